// Dates and times for learners, through Intl, in the device's time zone (a learner reads
// "22:46" the way the clock on the wall shows it, not UTC).
import { DEFAULT_LOCALE, toLocale } from "./locales.js";

export type DateTimeStyle = "dateTime" | "date" | "time";

const STYLES: Readonly<Record<DateTimeStyle, Intl.DateTimeFormatOptions>> = {
  dateTime: { dateStyle: "medium", timeStyle: "short" },
  date: { dateStyle: "medium" },
  time: { timeStyle: "short" },
};

/** Shown for a missing or unreadable date, in every language. */
export const NO_DATE = "—";

/** The time zone this device runs in (TZ, else /etc/localtime; UTC when neither is set). */
export function deviceTimeZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** Whether `timeZone` is an IANA zone name Intl knows ("Africa/Nairobi", "Asia/Jakarta", "UTC"). */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(locale: string, timeZone: string, style: DateTimeStyle): Intl.DateTimeFormat {
  const key = `${locale}|${timeZone}|${style}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    if (!isValidTimeZone(timeZone)) {
      throw new RangeError(`unknown time zone "${timeZone}" (expected an IANA name such as Africa/Nairobi)`);
    }
    formatter = new Intl.DateTimeFormat(locale, { ...STYLES[style], timeZone });
    formatters.set(key, formatter);
  }
  return formatter;
}

/**
 * Format a date (a Date, an ISO string or epoch milliseconds) for `locale` in `timeZone`.
 * An unsupported locale falls back to English; a missing or invalid date gives NO_DATE; an
 * unknown time zone is a RangeError naming it.
 */
export function formatDateTime(
  date: Date | string | number | null | undefined,
  locale: string,
  timeZone: string = deviceTimeZone(),
  style: DateTimeStyle = "dateTime",
): string {
  const formatter = formatterFor(toLocale(locale) ?? DEFAULT_LOCALE, timeZone, style);
  if (date === null || date === undefined || date === "") return NO_DATE;
  const d = date instanceof Date ? date : new Date(date);
  if (Number.isNaN(d.getTime())) return NO_DATE;
  return formatter.format(d);
}

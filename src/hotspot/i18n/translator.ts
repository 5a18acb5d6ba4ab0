// Messages in a language: the catalogs compiled by intl-messageformat (ICU MessageFormat,
// with Intl's plural rules), once per message and language, on first use.
import { IntlMessageFormat } from "intl-messageformat";
import { type Catalog, en, type MessageKey } from "./catalogs/en.js";
import { fr } from "./catalogs/fr.js";
import { id } from "./catalogs/id.js";
import { type DateTimeStyle, deviceTimeZone, formatDateTime } from "./datetime.js";
import { DEFAULT_LOCALE, type Locale, toLocale } from "./locales.js";

export const CATALOGS: Readonly<Record<Locale, Catalog>> = { en, id, fr };

/** Values a message can take: numbers (plurals, percentages) and plain text. */
export type MessageParams = Readonly<Record<string, string | number>>;

export interface Translator {
  readonly locale: Locale;
  readonly timeZone: string;
  /** The message `key` with `params` filled in, as plain text (escape it for HTML). */
  t(key: MessageKey, params?: MessageParams): string;
  /** A date in this language and time zone; "—" when missing or unreadable. */
  dateTime(date: Date | string | number | null | undefined, style?: DateTimeStyle): string;
}

const compiled = new Map<string, IntlMessageFormat>();

function compile(locale: Locale, key: MessageKey): IntlMessageFormat {
  const cacheKey = `${locale}\u0000${key}`;
  let format = compiled.get(cacheKey);
  if (!format) {
    format = new IntlMessageFormat(CATALOGS[locale][key], locale);
    compiled.set(cacheKey, format);
  }
  return format;
}

/**
 * A translator for `locale`. An unsupported or malformed locale falls back to English, so a
 * page always renders. Dates use `timeZone` (default: the device's).
 */
export function createTranslator(locale: string, options: { timeZone?: string } = {}): Translator {
  const resolved = toLocale(locale) ?? DEFAULT_LOCALE;
  const timeZone = options.timeZone ?? deviceTimeZone();
  return {
    locale: resolved,
    timeZone,
    t(key, params) {
      if (!Object.hasOwn(en, key)) throw new Error(`unknown message key "${key}"`);
      try {
        return String(compile(resolved, key).format(params));
      } catch (err) {
        throw new Error(`message "${key}" (${resolved}): ${(err as Error).message}`);
      }
    },
    dateTime: (date, style) => formatDateTime(date, resolved, timeZone, style),
  };
}

// The languages the hotspot speaks, and how a language choice is named in a request.

/** Every language with a complete catalog. English is the source the others translate. */
export const SUPPORTED_LOCALES = ["en", "id", "fr"] as const;
export type Locale = (typeof SUPPORTED_LOCALES)[number];

/** Used when nothing better is known and no admin default is set. */
export const DEFAULT_LOCALE: Locale = "en";

/** Each language named in itself, for the language switcher: a reader finds their own. */
export const LANGUAGE_NAMES: Readonly<Record<Locale, string>> = {
  en: "English",
  id: "Bahasa Indonesia",
  fr: "Français",
};

/** Cookie that keeps a phone's explicit choice. */
export const LOCALE_COOKIE = "hc_lang";
/** Query parameter of the switcher's links (`?lang=id`); it also sets the cookie. */
export const LOCALE_QUERY = "lang";

/** Older or regional spellings browsers and people use for a supported language. */
const ALIASES: Readonly<Record<string, Locale>> = { in: "id", ind: "id", eng: "en", fra: "fr", fre: "fr" };

/**
 * The supported locale a tag names, or undefined: "id-ID", "fr_CA", "EN" and "in" (the old
 * code for Indonesian) are all understood; anything else is not a supported language.
 */
export function toLocale(tag: string | null | undefined): Locale | undefined {
  if (typeof tag !== "string") return undefined;
  const primary = tag.trim().toLowerCase().split(/[-_]/)[0] ?? "";
  if ((SUPPORTED_LOCALES as readonly string[]).includes(primary)) return primary as Locale;
  return ALIASES[primary];
}

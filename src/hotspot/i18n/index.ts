// The hotspot's languages: message catalogs (English, Bahasa Indonesia, French) in ICU
// MessageFormat with plurals, the choice of language for a request, and dates in the
// device's time zone. Pure: knows nothing of HTTP beyond the header and cookie values.
export type { Catalog, MessageKey } from "./catalogs/en.js";
export { type DateTimeStyle, deviceTimeZone, formatDateTime, isValidTimeZone, NO_DATE } from "./datetime.js";
export {
  DEFAULT_LOCALE,
  LANGUAGE_NAMES,
  LOCALE_COOKIE,
  LOCALE_QUERY,
  type Locale,
  SUPPORTED_LOCALES,
  toLocale,
} from "./locales.js";
export { negotiateLocale } from "./negotiate.js";
export { CATALOGS, createTranslator, type MessageParams, type Translator } from "./translator.js";

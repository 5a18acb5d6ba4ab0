// Which language a page is shown in: the phone's explicit choice, else the best match of its
// browser languages, else the admin's default.
import Negotiator from "negotiator";
import { DEFAULT_LOCALE, type Locale, SUPPORTED_LOCALES, toLocale } from "./locales.js";

/**
 * Pick the page language.
 *
 * - `explicitChoice`: what the learner chose in the switcher (the `?lang=` value of this
 *   request, else the language cookie). It wins when it names a supported language.
 * - `acceptLanguage`: the browser's Accept-Language header; q-values and regional tags
 *   ("id-ID", "fr-CA") are honoured by negotiator, the parser Koa itself uses.
 * - `defaultLocale`: the admin's default, used when neither says anything supported; it
 *   also wins ties such as "*" or an empty header.
 */
export function negotiateLocale(
  acceptLanguage: string | null | undefined,
  explicitChoice: string | null | undefined,
  defaultLocale: string = DEFAULT_LOCALE,
): Locale {
  const fallback = toLocale(defaultLocale) ?? DEFAULT_LOCALE;
  const chosen = toLocale(explicitChoice);
  if (chosen) return chosen;
  if (typeof acceptLanguage !== "string" || acceptLanguage.trim() === "") return fallback;
  // The default goes first so that a wildcard or equal preference resolves to it.
  const available = [fallback, ...SUPPORTED_LOCALES.filter((l) => l !== fallback)];
  const ranked = new Negotiator({ headers: { "accept-language": acceptLanguage } }).languages(available);
  return toLocale(ranked[0]) ?? fallback;
}

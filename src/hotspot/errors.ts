// The hotspot's errors in the page's language. Its routes throw `hotspotError(status, key)`:
// an HttpError whose message is the English text (for the log, for scripts, for tests) and
// that carries its catalog key, so the error page says it again in the learner's language.
// JSON answers under /api/ keep the English `error` that scripts read, and add the key as
// `code` and the translated text as `message`.
import type { Context } from "koa";
import { HttpError } from "../http/errors.js";
import { currentFrame } from "./frame.js";
import { CATALOGS, createTranslator, type MessageKey, type MessageParams } from "./i18n/index.js";
import { errorPage } from "./pages/layout.js";
import { html } from "./respond.js";

const english = createTranslator("en");

export function hotspotError(status: number, key: MessageKey, params?: MessageParams): HttpError {
  return new HttpError(status, english.t(key, params), { key, params });
}

/** Koa's own errors (a body parser's 400 or 413) carry no key: their status picks the words. */
const KOA_STATUS_MESSAGES: Readonly<Record<number, MessageKey>> = {
  400: "error.badRequest",
  404: "error.notFound",
  413: "error.formTooLarge",
  415: "error.expectedForm",
};

const isMessageKey = (key: string): key is MessageKey => Object.hasOwn(CATALOGS.en, key);

/**
 * What went wrong, in the page's language, and its key. `message` is null for a server error.
 * An HttpError without a key (a router that has no catalog entry yet) keeps its own words.
 */
export function errorText(error: Error, status: number, message: string | null) {
  const { t } = currentFrame().t;
  const keyed = error instanceof HttpError ? error.translatable : undefined;
  const key: MessageKey | undefined =
    message === null
      ? "error.internal"
      : keyed && isMessageKey(keyed.key)
        ? keyed.key
        : error instanceof HttpError
          ? undefined
          : KOA_STATUS_MESSAGES[status];
  if (!key) return { key: null, text: message ?? "" };
  return { key, text: t(key, message === null ? undefined : keyed?.params) };
}

/** The hotspot's answer for an error: a page in the learner's language, JSON under /api/. */
export function renderError(ctx: Context, status: number, message: string | null, error: Error): void {
  const said = errorText(error, status, message);
  if (ctx.path.startsWith("/api/")) apiError(ctx, message, said);
  else html(ctx, errorPage(status, said.text), status);
}

/** The content origin's answer for an error: JSON under /api/, else text (the sandbox's headers stay). */
export function renderContentError(ctx: Context, status: number, message: string | null, error: Error): void {
  const said = errorText(error, status, message);
  if (ctx.path.startsWith("/api/")) apiError(ctx, message, said);
  else ctx.body = said.text;
}

function apiError(ctx: Context, message: string | null, said: ReturnType<typeof errorText>): void {
  ctx.body = {
    error: message ?? "internal error",
    ...(said.key ? { code: said.key, message: said.text } : {}),
  };
}

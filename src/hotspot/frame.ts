// What every page of one request shares: the language (the phone's choice, its browser's
// languages, the admin's default), a translator with dates in the device's time zone, and the
// learner who gave their name on this phone. Set once per request by `frameMiddleware` and read
// by the page layout through AsyncLocalStorage, so no page has to pass it along.
import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";
import type { Context, Next } from "koa";
import {
  createTranslator,
  LOCALE_COOKIE,
  LOCALE_QUERY,
  negotiateLocale,
  type Translator,
  toLocale,
} from "./i18n/index.js";

/** Who is learning on this phone: given once, kept in an HttpOnly cookie. */
export interface Learner {
  /** Random, made when the name is first given: tells two learners of the same name apart. */
  id: string;
  name: string;
  classCode: string;
}

export interface Frame {
  t: Translator;
  learner: Learner | null;
  /** The request's path and query, for the language switcher's links. */
  path: string;
}

export const LEARNER_COOKIE = "hc_learner";
const YEAR_MS = 365 * 24 * 3600 * 1000;
const storage = new AsyncLocalStorage<Frame>();

/** The frame of the request being answered; English without a learner outside of one. */
export function currentFrame(): Frame {
  return storage.getStore() ?? { t: createTranslator("en"), learner: null, path: "/" };
}

/** A learner's name and class code as typed: trimmed, control characters dropped, bounded. */
export function cleanName(value: unknown, max: number): string {
  const s = typeof value === "string" ? value : "";
  return [...s.replace(/[\u0000-\u001f\u007f]/g, "").trim()].slice(0, max).join("");
}

export function readLearner(ctx: Context): Learner | null {
  const raw = ctx.cookies.get(LEARNER_COOKIE);
  if (!raw) return null;
  try {
    const v = JSON.parse(Buffer.from(raw, "base64url").toString("utf8")) as Partial<Learner>;
    const name = cleanName(v.name, 60);
    if (!name || typeof v.id !== "string" || !/^[a-f0-9]{16}$/.test(v.id)) return null;
    return { id: v.id, name, classCode: cleanName(v.classCode, 20) };
  } catch {
    return null; // a cookie the phone mangled: ask for the name again
  }
}

export function writeLearner(ctx: Context, name: string, classCode: string, previous: Learner | null): void {
  const learner: Learner = { id: previous?.id ?? randomBytes(8).toString("hex"), name, classCode };
  ctx.cookies.set(LEARNER_COOKIE, Buffer.from(JSON.stringify(learner)).toString("base64url"), {
    httpOnly: true,
    sameSite: "lax",
    overwrite: true,
    maxAge: YEAR_MS,
  });
}

/**
 * Sets the request's frame; `?lang=` (the switcher) also keeps the choice in a cookie. The
 * content origin (`content`) knows no learner and sets no cookie: a launch's token says whose
 * data it is.
 */
export function frameMiddleware(defaultLocale: () => string, o: { content?: boolean } = {}) {
  return (ctx: Context, next: Next) => {
    const asked = toLocale(typeof ctx.query[LOCALE_QUERY] === "string" ? ctx.query[LOCALE_QUERY] : undefined);
    if (asked && !o.content)
      ctx.cookies.set(LOCALE_COOKIE, asked, {
        httpOnly: true,
        sameSite: "lax",
        overwrite: true,
        maxAge: YEAR_MS,
      });
    const locale = negotiateLocale(
      ctx.get("Accept-Language"),
      asked ?? ctx.cookies.get(LOCALE_COOKIE),
      defaultLocale(),
    );
    ctx.vary("Accept-Language");
    const learner = o.content ? null : readLearner(ctx);
    const frame: Frame = { t: createTranslator(locale), learner, path: ctx.path };
    return storage.run(frame, next);
  };
}

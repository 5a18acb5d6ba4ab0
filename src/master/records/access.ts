// Who may read learner records: the holder of the records token, sent as a bearer token (the
// API, scripts) or carried by a login cookie (a teacher's browser, after typing the token
// once). The cookie holds no token: an expiry and an HMAC of it under the token, so it ends
// by itself and stops working when the token changes. Without a records token the records
// are closed to everyone: they are personal data, never open by default.
import { createHmac } from "node:crypto";
import type { Context, Next } from "koa";
import { tokenMatches } from "../auth.js";

export const RECORDS_COOKIE = "handcarry_records";
/** How long a login lasts. */
export const LOGIN_HOURS = 12;

export const CLOSED_MESSAGE =
  "records are closed on this master: start it with --records-token (or HANDCARRY_RECORDS_TOKEN) to read them";

const sign = (token: string, expires: number) =>
  createHmac("sha256", token).update(`records-login:${expires}`).digest("base64url");

/** The cookie value of a login made now. */
export function loginCookie(token: string, now = Date.now()): string {
  const expires = now + LOGIN_HOURS * 3_600_000;
  return `${expires}.${sign(token, expires)}`;
}

function cookieValid(value: string | undefined, token: string, now = Date.now()): boolean {
  const m = /^(\d{1,15})\.([\w-]{43})$/.exec(value ?? "");
  if (!m) return false;
  const expires = Number(m[1]);
  return expires > now && tokenMatches(m[2], sign(token, expires));
}

const bearer = (ctx: Context) => /^Bearer\s+(.+)$/i.exec(ctx.get("authorization"))?.[1];

export type Access = "granted" | "closed" | "none" | "wrong";

/** Whether this request may read records, and if not, why. */
export function recordsAccess(ctx: Context, token: string | undefined): Access {
  if (!token) return "closed";
  const given = bearer(ctx);
  if (given !== undefined) return tokenMatches(given, token) ? "granted" : "wrong";
  if (cookieValid(ctx.cookies.get(RECORDS_COOKIE), token)) return "granted";
  return "none";
}

/** For the API: 403 when closed or wrong, 401 (with WWW-Authenticate) without a token. */
export function requireRecordsToken(token: string | undefined) {
  return async (ctx: Context, next: Next) => {
    const access = recordsAccess(ctx, token);
    if (access === "granted") return next();
    if (access === "none") ctx.set("WWW-Authenticate", 'Bearer realm="handcarry-records"');
    ctx.status = access === "none" ? 401 : 403;
    ctx.body = {
      error:
        access === "closed"
          ? CLOSED_MESSAGE
          : access === "wrong"
            ? "wrong token"
            : "a bearer token is required",
    };
  };
}

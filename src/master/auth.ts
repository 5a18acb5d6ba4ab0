/** Bearer tokens, compared in constant time (hashing first hides the length too). */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Context, Next } from "koa";

const digest = (s: string) => createHash("sha256").update(s).digest();

export function tokenMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  return timingSafeEqual(digest(given), digest(expected));
}

function bearer(ctx: Context): string | undefined {
  const h = ctx.get("authorization");
  const m = /^Bearer\s+(.+)$/i.exec(h);
  return m?.[1];
}

/** 401 without a token, 403 with a wrong one; the body never says more. */
export function requireToken(expected: string | undefined, realm: string) {
  return async (ctx: Context, next: Next) => {
    if (expected === undefined || expected === "") return next();
    const given = bearer(ctx);
    if (given === undefined) {
      ctx.set("WWW-Authenticate", `Bearer realm="${realm}"`);
      ctx.status = 401;
      ctx.body = { error: "a bearer token is required" };
      return;
    }
    if (!tokenMatches(given, expected)) {
      ctx.status = 403;
      ctx.body = { error: "wrong token" };
      return;
    }
    return next();
  };
}

// The admin's session cookie: set at login, checked by the admin and status routes.
import type { Context } from "koa";
import type { AdminAuth } from "./auth.js";

export const SESSION_COOKIE = "hc_admin";

/** The session cookie's value when it is a live admin session, else null. */
export function adminSession(ctx: Context, auth: AdminAuth): string | null {
  const value = ctx.cookies.get(SESSION_COOKIE);
  return value && auth.verifySession(value) ? value : null;
}

// The admin area: log in and out, sync now, the master URL and its token, known Wi-Fi
// networks; and HTTP Basic for scripts. Every form needs the session and its CSRF token.
import Router from "@koa/router";
import type { Context } from "koa";
import { type MasterUrlIssue, masterUrlIssue } from "../../agent/config.js";
import { readForm } from "../../http/form.js";
import type { AdminAuth, LoginThrottle } from "../auth.js";
import { hotspotError } from "../errors.js";
import { currentFrame } from "../frame.js";
import { type MessageKey, SUPPORTED_LOCALES, toLocale } from "../i18n/index.js";
import { adminPage, loginPage } from "../pages/admin.js";
import { html } from "../respond.js";
import { adminSession, SESSION_COOKIE } from "../session.js";
import type { AgentControl } from "../types.js";

const MASTER_URL_MESSAGES: Readonly<Record<MasterUrlIssue, MessageKey>> = {
  "not-a-url": "error.masterNotUrl",
  "not-http": "error.masterScheme",
  "has-credentials": "error.masterCredentials",
};

/** What the admin page confirms after a form (`?done=`); anything else in the query is ignored. */
const DONE_MESSAGES: Readonly<Record<string, MessageKey>> = {
  sync: "admin.syncStarted",
  master: "admin.masterSaved",
  language: "admin.languageSaved",
  "network-saved": "admin.networkSaved",
  "network-removed": "admin.networkRemoved",
};

export function adminRouter(control: AgentControl, auth: AdminAuth, throttle: LoginThrottle): Router {
  const router = new Router();

  /** A logged-in admin posting a form with the right CSRF token; else 401/403. */
  const adminForm = async (ctx: Context): Promise<URLSearchParams> => {
    const s = adminSession(ctx, auth);
    if (!s) throw hotspotError(401, "error.logInFirst");
    const form = await readForm(ctx);
    if (!auth.checkCsrf(s, form.get("csrf"))) throw hotspotError(403, "error.staleForm");
    return form;
  };
  const adminView = async (ctx: Context, s: string, message?: string) => {
    const networks = await control.networks();
    const status = await control.status();
    html(
      ctx,
      adminPage({
        csrf: auth.csrfFor(s),
        masterUrl: control.masterUrl(),
        hasToken: control.hasToken(),
        networks: networks.map((n) => ({ ssid: n.ssid, secured: n.password !== undefined })),
        state: status.state,
        defaultLocale: control.defaultLocale(),
        message,
      }),
    );
  };

  router.get("/admin", async (ctx) => {
    const s = adminSession(ctx, auth);
    if (!s) return html(ctx, loginPage());
    const done = String(ctx.query.done);
    await adminView(
      ctx,
      s,
      Object.hasOwn(DONE_MESSAGES, done) ? currentFrame().t.t(DONE_MESSAGES[done]!) : undefined,
    );
  });

  /** Check a password under the per-client throttle; sets 429 and returns null when locked out. */
  const checkPassword = async (ctx: Context, password: string): Promise<boolean | null> => {
    const client = ctx.request.ip || "unknown";
    const wait = throttle.retryAfterMs(client);
    if (wait > 0) {
      ctx.set("Retry-After", String(Math.ceil(wait / 1000)));
      return null;
    }
    // Counted before the slow check: guesses sent in parallel cannot all slip in while scrypt runs.
    throttle.failed(client);
    const ok = await auth.check(password);
    if (ok) {
      throttle.succeeded(client);
      await auth.passwordSeen();
    }
    return ok;
  };

  router.post("/admin/login", async (ctx) => {
    const form = await readForm(ctx);
    const ok = await checkPassword(ctx, form.get("password") ?? "");
    if (ok === null) return html(ctx, loginPage(currentFrame().t.t("admin.tooManyTries")), 429);
    if (!ok) return html(ctx, loginPage(currentFrame().t.t("admin.wrongPassword")), 401);
    const s = auth.issueSession();
    ctx.cookies.set(SESSION_COOKIE, s, { httpOnly: true, sameSite: "strict", path: "/", overwrite: true });
    ctx.redirect("/admin");
  });

  router.post("/admin/logout", async (ctx) => {
    await adminForm(ctx);
    // Ended here, not only in the browser: a copied cookie is worth nothing after logout.
    auth.endSession(ctx.cookies.get(SESSION_COOKIE));
    ctx.cookies.set(SESSION_COOKIE, "", { httpOnly: true, sameSite: "strict", path: "/", maxAge: 0 });
    ctx.redirect("/admin");
  });

  router.post("/admin/sync", async (ctx) => {
    await adminForm(ctx);
    control.syncNow("admin");
    ctx.redirect("/admin?done=sync");
  });

  router.post("/admin/master", async (ctx) => {
    const form = await adminForm(ctx);
    const url = (form.get("masterUrl") ?? "").trim();
    const issue = masterUrlIssue(url);
    if (issue) throw hotspotError(400, MASTER_URL_MESSAGES[issue]);
    const token = (form.get("token") ?? "").trim();
    if (token.length > 4096) throw hotspotError(400, "error.tokenLength");
    await control.setMasterUrl(url.replace(/\/+$/, ""), token || undefined);
    ctx.redirect("/admin?done=master");
  });

  router.post("/admin/language", async (ctx) => {
    const form = await adminForm(ctx);
    const locale = toLocale(form.get("locale"));
    if (!locale) throw hotspotError(400, "error.defaultLanguage", { list: SUPPORTED_LOCALES.join(", ") });
    await control.setDefaultLocale(locale);
    ctx.redirect("/admin?done=language");
  });

  router.post("/admin/networks", async (ctx) => {
    const form = await adminForm(ctx);
    const ssid = form.get("ssid") ?? "";
    const password = form.get("password") || undefined;
    if (ssid.length < 1 || Buffer.byteLength(ssid) > 32) throw hotspotError(400, "error.networkNameLength");
    if (password !== undefined && (password.length < 8 || password.length > 63))
      throw hotspotError(400, "error.passwordLength");
    await control.addNetwork({ ssid, password });
    ctx.redirect("/admin?done=network-saved");
  });

  router.post("/admin/networks/delete", async (ctx) => {
    const form = await adminForm(ctx);
    await control.removeNetwork(form.get("ssid") ?? "");
    ctx.redirect("/admin?done=network-removed");
  });

  /** Scripted admin (curl): HTTP Basic, any user name. */
  router.post("/api/admin/sync", async (ctx) => {
    const header = ctx.get("authorization");
    const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header);
    const decoded = m ? Buffer.from(m[1]!, "base64").toString("utf8") : "";
    const password = decoded.includes(":") ? decoded.slice(decoded.indexOf(":") + 1) : "";
    const ok = m ? await checkPassword(ctx, password) : false;
    if (ok === null) {
      ctx.status = 429;
      ctx.body = { error: "too many wrong passwords; retry later" };
      return;
    }
    if (!ok) {
      ctx.set("WWW-Authenticate", 'Basic realm="handcarry admin", charset="UTF-8"');
      ctx.status = 401;
      ctx.body = { error: "admin password required" };
      return;
    }
    control.syncNow("api");
    ctx.status = 202;
    ctx.body = { ok: true, state: (await control.status()).state };
  });

  return router;
}

// The package sandbox in real Chromium (390×844): a package document framed by a player page
// runs its scripts, loads its own files and a player's npm assets, and reaches its own launch
// API; it cannot read cookies, the framing page, the hotspot's other routes (which refuse
// `Origin: null` before any handler runs) or anything off the Pi. The app here is the real
// guard, package router and launch registry around stand-ins for the hotspot's own routes.
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import Router from "@koa/router";
import Koa from "koa";
import { type Browser, chromium, type Frame } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Launch, Launches, launchApi, launchUrl } from "../../src/hotspot/launches.js";
import { html } from "../../src/hotspot/respond.js";
import { packagesRouter } from "../../src/hotspot/routers/packages.js";
import { playerAssetsRouter, playerAssetUrl, SANDBOX_CSP, sandboxGuard } from "../../src/hotspot/sandbox.js";
import type { ServedCourse } from "../../src/hotspot/types.js";
import { listen, type RunningServer } from "../../src/http/listen.js";
import { tempDir } from "../agent/helpers.js";
import { CHROMIUM, CHROMIUM_ARGS } from "../support/chromium.js";
import { waitFor } from "../support/wait.js";
import { rawRequest } from "./helpers.js";

const present = existsSync(CHROMIUM);
if (!present) console.warn("skipping: needs /usr/bin/chromium");

/** What the package's script tries; each line reports "allowed: …" or "blocked". */
const PROBE = `
window.results = (async () => {
  const out = {};
  const attempt = async (name, fn) => {
    try { out[name] = "allowed: " + String(await fn()).slice(0, 40); } catch (e) { out[name] = "blocked"; }
  };
  const ok = async (r) => { if (!r.ok) throw new Error(r.status); return r.text(); };
  await attempt("cookie", () => document.cookie);
  await attempt("parent", () => parent.document.title);
  await attempt("own file", () => fetch("data.json").then(ok));
  await attempt("player asset", () => typeof temml);
  await attempt("own launch", () => fetch(location.pathname.replace(/^\\/pkg\\/([^/]+)\\/.*/, "/api/launch/$1/test/learner")).then(ok));
  await attempt("guessed launch", () => fetch("/api/launch/AAAAAAAAAAAAAAAAAAAAAA/test/learner").then(ok));
  await attempt("status", () => fetch("/api/status").then(ok));
  await attempt("admin", () => fetch("/admin", { method: "POST", body: "x" }).then(ok));
  await attempt("admin no-cors", () => fetch("/admin", { method: "POST", mode: "no-cors", body: "x" }).then((r) => r.type));
  await attempt("internet", () => fetch("http://cdn.example.com/x.js").then(ok));
  return out;
})();`;

describe.skipIf(!present)("the package sandbox", () => {
  let server: RunningServer;
  let browser: Browser;
  const reachedStandIns: string[] = [];
  const launches = new Launches();
  let launch: Launch;

  beforeAll(async () => {
    const dir = await tempDir("hc-sandbox-");
    const root = join(dir.path, "tree", "pkg");
    await mkdir(root, { recursive: true });
    await writeFile(
      join(root, "index.html"),
      `<!doctype html><html><head><title>pkg</title></head><body><script src="probe.js"></script></body></html>`,
    );
    await writeFile(join(root, "probe.js"), PROBE);
    await writeFile(join(root, "data.json"), `{"own":true}`);
    const course = { id: "c1", treePath: join(dir.path, "tree") } as ServedCourse;
    launch = launches.open({
      kind: "test",
      learner: { id: "a".repeat(16), name: "Ana", classCode: "" },
      course,
      activityId: "1",
      root,
    });

    const app = new Koa();
    const standIns = new Router();
    standIns.all(["/api/status", "/admin"], (ctx) => {
      reachedStandIns.push(`${ctx.method} ${ctx.path}`);
      ctx.body = "secret";
    });
    standIns.get("/player", (ctx) => {
      ctx.cookies.set("hc_session", "s3cret", { httpOnly: false, sameSite: "lax" });
      html(
        ctx,
        `<!doctype html><title>Player</title><iframe src="${launchUrl(launch, "index.html")}"></iframe>`,
        200,
        { frames: true },
      );
    });
    standIns.get("/api/launch/:token/test/learner", (ctx) => {
      ctx.body = launchApi(ctx, launches, "test").learner?.name;
    });
    const inject = (page: string) =>
      page.replace("<head>", `<head><script src="${playerAssetUrl("temml", "temml.js")}"></script>`);
    app.use(sandboxGuard());
    for (const r of [
      standIns,
      packagesRouter(launches, { test: { transformHtml: inject } }),
      playerAssetsRouter("temml", "dist"),
    ])
      app.use(r.routes());
    server = await listen(app, "127.0.0.1", 0);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [...CHROMIUM_ARGS, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("runs the package's scripts and lets them reach only their own files and launch", async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.goto(`${server.url}/player`);
    const frame = await waitFor(
      () => page.frames().find((f: Frame) => f.url().includes("/pkg/")),
      "the package frame",
    );
    const results = await frame.evaluate("window.results");
    expect(results).toEqual({
      cookie: "blocked",
      parent: "blocked",
      "own file": 'allowed: {"own":true}',
      "player asset": "allowed: object",
      "own launch": "allowed: Ana",
      "guessed launch": "blocked",
      status: "blocked",
      admin: "blocked",
      "admin no-cors": "allowed: opaque",
      internet: "blocked",
    });
    // Not one of the content's calls reached the routes it must not reach.
    expect(reachedStandIns).toEqual([]);
    await page.close();
  });

  it("serves package documents in the sandbox and refuses sandboxed callers elsewhere", async () => {
    const doc = await rawRequest(server.url, `${launchUrl(launch, "index.html")}`);
    expect(doc.status).toBe(200);
    expect(doc.headers["content-security-policy"]).toBe(SANDBOX_CSP);
    expect(doc.headers["access-control-allow-origin"]).toBe("*");
    expect(doc.body).toContain("/assets/players/temml-");
    const climb = await rawRequest(server.url, `${launchUrl(launch)}..%2f..%2fetc%2fpasswd`);
    expect(climb.status).toBe(400);
    const stale = await rawRequest(server.url, "/pkg/AAAAAAAAAAAAAAAAAAAAAA/index.html");
    expect(stale.status).toBe(404);
    const refused = await rawRequest(server.url, "/api/status", { Origin: "null" });
    expect([refused.status, refused.body]).toEqual([403, "Course content may not call this address."]);
    const preflight = await rawRequest(
      server.url,
      "/api/launch/x/test/learner",
      { Origin: "null", "Access-Control-Request-Method": "PUT" },
      "OPTIONS",
    );
    expect([preflight.status, preflight.headers["access-control-allow-origin"]]).toEqual([204, "*"]);
    expect(reachedStandIns).toEqual([]);
  });
});

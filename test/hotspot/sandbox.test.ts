// The package sandbox in real Chromium (390×844): a package framed by a player page on the main
// origin runs on the content origin (another port), in its runner's frame; it runs its scripts,
// loads its own files and a player's npm assets, reaches its own launch API and its runner; it
// cannot read cookies or the framing page, cannot call the main origin (the content's policy
// stops fetches, the main origin's guard refuses what a popup navigates to), cannot install a
// service worker and cannot reach anything off the Pi. The apps here are the real guards,
// package router and launch registry around stand-ins for the hotspot's own routes.
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import Router from "@koa/router";
import Koa from "koa";
import { type Browser, chromium, type Frame } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Launch, Launches, launchApi, launchUrl, runnerUrl } from "../../src/hotspot/launches.js";
import { html } from "../../src/hotspot/respond.js";
import { packagesRouter } from "../../src/hotspot/routers/packages.js";
import {
  contentGuard,
  playerAssetsRouter,
  playerAssetUrl,
  SANDBOX_CSP,
  SANDBOX_FLAGS,
  sandboxGuard,
} from "../../src/hotspot/sandbox.js";
import type { ServedCourse } from "../../src/hotspot/types.js";
import { listen, type RunningServer } from "../../src/http/listen.js";
import { tempDir } from "../agent/helpers.js";
import { CHROMIUM, CHROMIUM_ARGS } from "../support/chromium.js";
import { waitFor } from "../support/wait.js";
import { rawRequest } from "./helpers.js";

const present = existsSync(CHROMIUM);
if (!present) console.warn("skipping: needs /usr/bin/chromium");

/** What the package's script tries; each line reports "allowed: …" or "blocked". */
const probe = (main: string) => `
window.results = (async () => {
  const out = {};
  const attempt = async (name, fn) => {
    try { out[name] = "allowed: " + String(await fn()).slice(0, 40); } catch (e) { out[name] = "blocked"; }
  };
  const ok = async (r) => { if (!r.ok) throw new Error(r.status); return r.text(); };
  const token = new URLSearchParams(parent.location.search).get("t");
  await attempt("cookie", () => document.cookie || "(none)");
  await attempt("player page", () => parent.parent.document.title);
  await attempt("runner", () => parent.document.title);
  await attempt("own file", () => fetch("data.json").then(ok));
  await attempt("player asset", () => typeof temml);
  await attempt("own launch", () => fetch("/api/launch/" + token + "/test/learner").then(ok));
  await attempt("guessed launch", () => fetch("/api/launch/AAAAAAAAAAAAAAAAAAAAAA/test/learner").then(ok));
  await attempt("status here", () => fetch("/api/status").then(ok));
  await attempt("main status", () => fetch("${main}/api/status").then(ok));
  await attempt("main admin", () => fetch("${main}/admin", { method: "POST", body: "x" }).then(ok));
  await attempt("main admin no-cors", () => fetch("${main}/admin", { method: "POST", mode: "no-cors", body: "x" }).then((r) => r.type));
  await attempt("service worker", () => navigator.serviceWorker.register("data.js").then(() => "registered"));
  await attempt("internet", () => fetch("http://cdn.example.com/x.js").then(ok));
  window.open("${main}/admin");
  return out;
})();`;

describe.skipIf(!present)("the package sandbox", () => {
  let main: RunningServer;
  let content: RunningServer;
  let browser: Browser;
  const reachedStandIns: string[] = [];
  const refused: string[] = [];
  const launches = new Launches();
  let launch: Launch;
  let root: string;

  beforeAll(async () => {
    const dir = await tempDir("hc-sandbox-");
    root = join(dir.path, "tree", "pkg");
    await mkdir(root, { recursive: true });
    await writeFile(
      join(root, "index.html"),
      `<!doctype html><html><head><title>pkg</title></head><body><script src="probe.js"></script></body></html>`,
    );
    await writeFile(join(root, "data.json"), `{"own":true}`);
    await writeFile(join(root, "data.js"), `self.addEventListener("fetch", () => {});`);
    const course = { id: "c1", contentHash: "hc1:c1", treePath: join(dir.path, "tree") } as ServedCourse;
    launch = launches.open({
      kind: "test",
      learner: { id: "a".repeat(16), name: "Ana", classCode: "" },
      course,
      activityId: "1",
      root,
    });

    const contentApp = new Koa();
    const api = new Router();
    api.get("/api/launch/:token/test/learner", (ctx) => {
      ctx.body = launchApi(ctx, launches, "test").learner?.name;
    });
    const inject = (page: string) =>
      page.replace("<head>", `<head><script src="${playerAssetUrl("temml", "temml.js")}"></script>`);
    const runner = (l: Launch) =>
      `<!doctype html><title>Runner</title><iframe src="${launchUrl(l, "index.html")}"></iframe>`;
    contentApp.use(contentGuard());
    for (const r of [
      api,
      packagesRouter(launches, { test: { runner, transformHtml: inject } }),
      playerAssetsRouter("temml", "dist"),
    ])
      contentApp.use(r.routes());
    content = await listen(contentApp, "127.0.0.1", 0);

    const mainApp = new Koa();
    const standIns = new Router();
    standIns.all(["/api/status", "/admin"], (ctx) => {
      reachedStandIns.push(`${ctx.method} ${ctx.path}`);
      ctx.body = "secret";
    });
    standIns.get("/player", (ctx) => {
      ctx.cookies.set("hc_session", "s3cret", { httpOnly: true, sameSite: "lax" });
      html(
        ctx,
        `<!doctype html><title>Player</title><iframe sandbox="${SANDBOX_FLAGS}" src="${content.url}${runnerUrl(launch)}"></iframe>`,
        200,
        { frames: content.url },
      );
    });
    mainApp.use(async (ctx, next) => {
      await next();
      if (ctx.status === 403) refused.push(`${ctx.method} ${ctx.path} ${ctx.get("Sec-Fetch-Site")}`);
    });
    mainApp.use(sandboxGuard());
    mainApp.use(standIns.routes());
    main = await listen(mainApp, "127.0.0.1", 0);
    await writeFile(join(root, "probe.js"), probe(main.url));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [...CHROMIUM_ARGS, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await main?.close();
    await content?.close();
  });

  it("runs the package's scripts and lets them reach only their own files, runner and launch", async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.goto(`${main.url}/player`);
    const frame = await waitFor(
      () => page.frames().find((f: Frame) => f.url().endsWith("/index.html")),
      "the package frame",
    );
    const results = await waitFor(() => frame.evaluate("window.results"), "the probe's results");
    expect(results).toEqual({
      cookie: "allowed: (none)",
      "player page": "blocked",
      runner: "allowed: Runner",
      "own file": 'allowed: {"own":true}',
      "player asset": "allowed: object",
      "own launch": "allowed: Ana",
      "guessed launch": "blocked",
      "status here": "blocked",
      "main status": "blocked",
      "main admin": "blocked",
      "main admin no-cors": "blocked",
      "service worker": "blocked",
      internet: "blocked",
    });
    // The popup's navigation reached the main origin and was refused before any handler.
    await waitFor(() => refused.length > 0, "the popup's refused request");
    expect(refused).toEqual(["GET /admin same-site"]);
    expect(reachedStandIns).toEqual([]);
    await page.close();
  });

  it("serves package documents in the sandbox, immutable, and the runner per launch", async () => {
    const doc = await rawRequest(content.url, launchUrl(launch, "index.html"));
    expect(doc.status).toBe(200);
    expect(doc.headers["content-security-policy"]).toBe(SANDBOX_CSP);
    expect(doc.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(doc.headers["access-control-allow-origin"]).toBeUndefined();
    expect(doc.body).toContain("/assets/players/temml-");
    expect(launchUrl(launch, "index.html")).toBe("/p/test/c1/hc1%3Ac1/1/index.html");
    const run = await rawRequest(content.url, runnerUrl(launch));
    expect([run.status, run.headers["cache-control"]]).toEqual([200, "no-store"]);
    const climb = await rawRequest(content.url, `${launchUrl(launch)}..%2f..%2fetc%2fpasswd`);
    expect(climb.status).toBe(400);
    const unknown = await rawRequest(content.url, "/p/test/c1/hc1%3Aother/1/index.html");
    expect(unknown.status).toBe(404);
    const stale = await rawRequest(content.url, "/run?t=AAAAAAAAAAAAAAAAAAAAAA");
    expect(stale.status).toBe(404);
    const worker = await rawRequest(content.url, launchUrl(launch, "data.js"), {
      "Service-Worker": "script",
    });
    expect([worker.status, worker.body]).toEqual([403, "Course content may not call this address."]);
  });

  it("the main origin refuses what content sends, before any handler", async () => {
    const asked: Record<string, string>[] = [
      { Origin: "null" },
      { "Sec-Fetch-Site": "same-site" },
      { Origin: content.url },
      { Origin: content.url, "Sec-Fetch-Site": "same-site" },
    ];
    for (const headers of asked) {
      const res = await rawRequest(main.url, "/api/status", headers, "POST");
      expect([headers, res.status, res.body]).toEqual([
        headers,
        403,
        "Course content may not call this address.",
      ]);
    }
    expect(reachedStandIns).toEqual([]);
    // Its own pages' requests pass.
    const own = await rawRequest(main.url, "/api/status", {
      Origin: main.url,
      "Sec-Fetch-Site": "same-origin",
    });
    expect([own.status, own.body]).toEqual([200, "secret"]);
  });
});

// H5P played on a phone (real Chromium, 390×844) from the real hotspot app on loopback: the
// corpus's DragText package as a course of its own and as the h5pactivity of the real Moodle
// 5.1 backup; words dragged, answers checked, and H5P's own xAPI "answered" statement kept in
// the agent's LevelDB with the learner's name. A hostile package tries, from the content
// origin, what course scripts must never do, and reports each outcome on the console.
// With HANDCARRY_SCREENSHOTS=1 the phone screenshot replaces the README's in docs/screenshots/.
import { existsSync } from "node:fs";
import { mkdir, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Frame, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { extractArchive } from "../../src/archive/index.js";
import type { ServedCourse } from "../../src/hotspot/app.js";
import { type H5pStatementRecord, H5pStatementStore } from "../../src/hotspot/h5p-statements.js";
import { Store } from "../../src/store/index.js";
import { tempDir } from "../agent/helpers.js";
import { CHROMIUM, CHROMIUM_ARGS } from "../support/chromium.js";
import { repoRoot } from "../support/cli.js";
import { CORPUS_DIR, MOODLE51_DIR } from "../support/corpus.js";
import { waitFor } from "../support/wait.js";
import { hotspotOnLoopback } from "./helpers.js";

const DRAGTEXT = join(CORPUS_DIR, "H5P.DragText@859ed559.h5p");
const MOODLE = join(MOODLE51_DIR, "community-health@v1.mbz");
const present = existsSync(CHROMIUM) && existsSync(DRAGTEXT) && existsSync(MOODLE);
if (!present) console.warn("skipping: needs /usr/bin/chromium, the DragText H5P and the Moodle 5.1 backups");
const shots = process.env.HANDCARRY_SCREENSHOTS
  ? join(repoRoot, "docs", "screenshots")
  : join(tmpdir(), `hc-screenshots-${process.pid}`);

const ANSWERED = "http://adlnet.gov/expapi/verbs/answered";
const MAIN_BUNDLE = "/assets/players/h5p-standalone-3.8.2/main.bundle.js";

/** The hostile library: runs as the package loads, reports each attempt as "hostile:{…}". */
const hostileJs = (main: string) => `
H5P.Hostile = function () { this.attach = function ($c) { $c.html("<p>Nothing to see</p>"); }; };
(async function () {
  var out = {};
  var violation = new Promise(function (resolve) {
    document.addEventListener("securitypolicyviolation", function (e) { resolve(e.violatedDirective + " " + e.blockedURI); });
  });
  async function attempt(name, fn) {
    try { out[name] = await fn(); } catch (e) { out[name] = "blocked (" + e.name + ")"; }
  }
  function answered(r) { return "answered " + r.status; }
  var guess = btoa(String.fromCharCode.apply(null, crypto.getRandomValues(new Uint8Array(16))))
    .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  await attempt("admin", function () { return fetch("${main}/admin").then(answered); });
  await attempt("status", function () { return fetch("${main}/api/status").then(answered); });
  await attempt("cookie", function () { return "read: " + document.cookie; });
  await attempt("parent", function () { return "read: " + parent.document.title; });
  await attempt("other learner", function () {
    return fetch("/api/launch/" + guess + "/h5p/xapi", { method: "POST", headers: { "Content-Type": "text/plain" },
      body: JSON.stringify({ verb: { id: "${ANSWERED}" }, object: { id: "forged" } }) }).then(answered);
  });
  await attempt("internet", function () { return fetch("http://198.51.100.7/").then(answered); });
  out.violation = await violation; // the policy's own report, which follows the refusal
  window.open("${main}/admin"); // a popup: the main origin refuses it before any handler
  console.log("hostile:" + JSON.stringify(out));
})();`;

let dir: Awaited<ReturnType<typeof tempDir>>;
let store: Store;
let statements: H5pStatementStore;
let server: Awaited<ReturnType<typeof hotspotOnLoopback>>;
let browser: Browser;
/** Every request either origin answered: origin ("main", "content"), path, Sec-Fetch-Site, status. */
const served: { on: string; path: string; site: string | undefined; status: number }[] = [];

function served0(course: Omit<ServedCourse, "size" | "publishedAt" | "installedAt">): ServedCourse {
  return {
    ...course,
    size: 0,
    publishedAt: "2026-12-01T14:44:52.000Z",
    installedAt: "2026-12-01T15:00:00.000Z",
  };
}

async function install(id: string, title: string, archive: string): Promise<ServedCourse> {
  const treePath = join(dir.path, id, "v1", "tree");
  await extractArchive(archive, treePath);
  return served0({ id, title, contentHash: `hc1:${id}`, format: "zip", archivePath: archive, treePath });
}

/** A package made here: h5p.json, content and one library whose script is HOSTILE_JS. */
async function hostileCourse(): Promise<ServedCourse> {
  const treePath = join(dir.path, "hostile", "v1", "tree");
  const files: Record<string, string> = {
    "h5p.json": JSON.stringify({
      title: "Free prizes",
      mainLibrary: "H5P.Hostile",
      preloadedDependencies: [{ machineName: "H5P.Hostile", majorVersion: "1", minorVersion: "0" }],
    }),
    "content/content.json": "{}",
    "H5P.Hostile-1.0/library.json": JSON.stringify({
      title: "Hostile",
      machineName: "H5P.Hostile",
      majorVersion: 1,
      minorVersion: 0,
      patchVersion: 0,
      runnable: 1,
      preloadedJs: [{ path: "hostile.js" }],
    }),
    "H5P.Hostile-1.0/hostile.js": "", // written once the main origin's port is known
  };
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(treePath, path)), { recursive: true });
    await writeFile(join(treePath, path), text);
  }
  return served0({
    id: "prizes",
    title: "Prizes",
    contentHash: "hc1:prizes",
    format: "zip",
    archivePath: treePath,
    treePath,
  });
}

/** A phone whose learner has given a name. */
async function phone(name: string): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
    locale: "en-GB",
    timezoneId: "UTC",
  });
  const tab = await context.newPage();
  await tab.goto(`${server.url}/me`);
  await tab.getByLabel("Your name").fill(name);
  await Promise.all([tab.waitForURL(`${server.url}/`), tab.getByRole("button", { name: "Save" }).click()]);
  await tab.close();
  return context;
}

/** Open a course and tap its activity; resolves with the player's frame once H5P has started. */
async function openPlayer(tab: Page, courseId: string, activity: string): Promise<Frame> {
  const ready = tab.waitForEvent("console", { predicate: (m) => m.text() === "h5p: ready" });
  await tab.goto(`${server.url}/c/${courseId}`);
  await Promise.all([tab.waitForURL(/\/h5p\//), tab.getByRole("link", { name: activity }).click()]);
  await ready;
  return tab.frames().find((f) => f.url().includes("/run?t="))!;
}

/** Drag each word onto its gap with a finger's worth of moves, then tap Check. */
async function solveBerries(frame: Frame): Promise<void> {
  const answers = ["blue", "red", "orange"];
  for (const [i, word] of answers.entries()) {
    const from = await frame.locator(".ui-draggable", { hasText: word }).boundingBox();
    const to = await frame.locator(".ui-droppable").nth(i).boundingBox();
    const mouse = frame.page().mouse;
    await mouse.move(from!.x + from!.width / 2, from!.y + from!.height / 2);
    await mouse.down();
    await mouse.move(to!.x + to!.width / 2, to!.y + to!.height / 2, { steps: 8 });
    await mouse.up();
    await frame.locator(`.ui-droppable[aria-label*="contains"]`).nth(i).waitFor();
  }
  await frame.getByRole("button", { name: /Check the answers/ }).click();
}

const answeredBy = async (name: string, courseId: string): Promise<H5pStatementRecord | undefined> =>
  (await statements.list()).find(
    (r) =>
      r.learner?.name === name &&
      r.courseId === courseId &&
      (r.statement.verb as { id: string }).id === ANSWERED,
  );

describe.skipIf(!present)("H5P on a phone", () => {
  beforeAll(async () => {
    dir = await tempDir("hc-h5p-");
    await mkdir(shots, { recursive: true });
    const courses = [
      await install("berries", "Berries", DRAGTEXT),
      await install("community-health", "Community health", MOODLE),
      await hostileCourse(),
    ];
    store = await Store.open(join(dir.path, "db"));
    statements = new H5pStatementStore(store);
    server = await hotspotOnLoopback(courses, { store });
    for (const [on, http] of [
      ["main", server.server],
      ["content", server.contentServer],
    ] as const)
      http.on("request", (req, res) =>
        res.on("finish", () =>
          served.push({
            on,
            path: req.url ?? "",
            site: req.headers["sec-fetch-site"] as string | undefined,
            status: res.statusCode,
          }),
        ),
      );
    await writeFile(join(courses[2]!.treePath, "H5P.Hostile-1.0", "hostile.js"), hostileJs(server.url));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await store?.close();
    await dir?.remove();
  });

  it("a .h5p course: the words dragged and checked; H5P's 'answered' statement kept with the name", async () => {
    const context = await phone("Siti");
    const tab = await context.newPage();
    const frame = await openPlayer(tab, "berries", "Drag the Words");
    await expect(tab.title()).resolves.toBe("Drag the Words");
    await expect(tab.locator("header p").first().textContent()).resolves.toBe(
      "← Back · Berries · Interactive content",
    );
    await solveBerries(frame);
    const record = await waitFor(() => answeredBy("Siti", "berries"), "Siti's answered statement");
    expect(record).toMatchObject({
      courseId: "berries",
      contentHash: "hc1:berries",
      activityId: "content",
      learner: { name: "Siti", classCode: "" },
    });
    expect(record.statement).toMatchObject({
      verb: { id: ANSWERED },
      object: { id: "urn:handcarry:berries:content" },
      result: { score: { raw: 3, max: 3 }, completion: true },
    });
    await frame.getByText("Score: 3 of 3.").first().waitFor();
    // The score bar counts up to 3 and marks the full score; the screenshot waits for that.
    await frame
      .locator(".h5p-joubelui-score-bar-full-score .h5p-joubelui-score-number-counter", { hasText: "3" })
      .waitFor();
    await tab.screenshot({ path: join(shots, "h5p.png") });
    expect((await stat(join(shots, "h5p.png"))).size).toBeLessThan(150_000);

    // The player's files come from its npm package, on the content origin, under an immutable URL.
    expect(served.filter((s) => s.path === MAIN_BUNDLE)).toEqual([
      { on: "content", path: MAIN_BUNDLE, site: "same-origin", status: 200 },
    ]);
    const asset = await fetch(`${server.contentUrl}${MAIN_BUNDLE}`);
    expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    await context.close();
  }, 240_000);

  it("a Moodle h5pactivity plays its .h5p, unzipped once beside the course; 'answered' kept", async () => {
    const context = await phone("Budi");
    const tab = await context.newPage();
    const frame = await openPlayer(tab, "community-health", "Drag the words: hygiene words");
    expect(new URL(tab.url()).pathname).toBe("/c/community-health/h5p/h5pactivity_574");
    await solveBerries(frame);
    const record = await waitFor(() => answeredBy("Budi", "community-health"), "Budi's answered statement");
    expect(record).toMatchObject({ activityId: "h5pactivity_574", learner: { name: "Budi" } });
    expect(record.statement).toMatchObject({
      object: { id: "urn:handcarry:community-health:h5pactivity_574" },
      result: { score: { raw: 3, max: 3 } },
    });
    // The old read-only address leads to the player; the package was unzipped once.
    const old = await fetch(`${server.url}/c/community-health/a/h5pactivity_574`, { redirect: "manual" });
    expect(old.status).toBe(302);
    expect(old.headers.get("location")).toBe("/c/community-health/h5p/h5pactivity_574");
    const cache = join(dir.path, "community-health", "v1", "h5p-packages");
    expect(
      existsSync(join(cache, "ac067f193e68bd28ed6e19cb66f95abf63ad049235a5292b75a184a4f92ed427", "h5p.json")),
    ).toBe(true);
    await context.close();
  }, 240_000);

  it("the launch API refuses what is not a statement, with a clear 400", async () => {
    const context = await phone("Ana");
    const tab = await context.newPage();
    await openPlayer(tab, "berries", "Drag the Words");
    const token = /\/run\?t=([A-Za-z0-9_-]{22})$/.exec(
      tab
        .frames()
        .find((f) => f.url().includes("/run?t="))!
        .url(),
    )![1];
    const post = (body: string) =>
      fetch(`${server.contentUrl}/api/launch/${token}/h5p/xapi`, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body,
      });
    const bad = [
      ["[1]", "not an xAPI statement: (statement): Invalid input: expected object, received array"],
      [
        '{"verb":{"id":"x"}}',
        "not an xAPI statement: object: Invalid input: expected object, received undefined",
      ],
      ["{", "not an xAPI statement: the body is not JSON"],
    ];
    for (const [body, error] of bad) {
      const res = await post(body!);
      expect(res.status).toBe(400);
      await expect(res.json()).resolves.toEqual({ error });
    }
    const huge = await post(
      JSON.stringify({ verb: { id: "x" }, object: { id: "y" }, pad: "x".repeat(70_000) }),
    );
    expect(huge.status).toBe(413);
    expect((await statements.list()).filter((r) => r.learner?.name === "Ana")).toEqual([]);
    await context.close();
  }, 240_000);

  it("a hostile package reaches nothing: not the admin, the status API, cookies, the page, another launch or the internet", async () => {
    const context = await phone("Eve");
    // The phone also holds an admin session and a language choice: all cookies are HttpOnly.
    const admin = await context.newPage();
    await admin.goto(`${server.url}/admin?lang=en`);
    await admin.locator('input[name="password"]').fill("correct horse battery");
    await Promise.all([admin.waitForURL(`${server.url}/admin`), admin.getByRole("button").first().click()]);
    await admin.close();
    expect((await context.cookies()).map((c) => [c.name, c.httpOnly]).sort()).toEqual([
      ["hc_admin", true],
      ["hc_lang", true],
      ["hc_learner", true],
    ]);
    const tab = await context.newPage();
    const report = tab.waitForEvent("console", { predicate: (m) => m.text().startsWith("hostile:") });
    await openPlayer(tab, "prizes", "Free prizes");
    const found = JSON.parse((await report).text().slice("hostile:".length));
    expect(found).toEqual({
      admin: "blocked (TypeError)",
      status: "blocked (TypeError)",
      cookie: "read: ",
      parent: "blocked (SecurityError)",
      "other learner": "answered 404",
      internet: "blocked (TypeError)",
      violation: `connect-src ${server.url}/admin`,
    });
    // What reached the main origin from the content: the popup, refused before any handler.
    const popup = await waitFor(
      () => served.find((s) => s.on === "main" && s.site === "same-site"),
      "the popup's request",
    );
    expect(popup).toEqual({ on: "main", path: "/admin", site: "same-site", status: 403 });
    expect(served.filter((s) => s.path === "/api/status")).toEqual([]);
    expect(
      (await statements.list()).filter((r) => (r.statement.object as { id: string }).id === "forged"),
    ).toEqual([]);
    await context.close();
  }, 240_000);
});

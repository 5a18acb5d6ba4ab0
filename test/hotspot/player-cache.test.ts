// A phone loads a package's player and files once (real Chromium, 390×844, one browser
// context): the DragText H5P and a SCORM 2004 package are opened, left for the course page
// and opened again; the content origin counts the requests for the players' files
// (/assets/players/…) and the package's (/p/…). The first visit fetches them, the second none:
// they are cached for good under URLs that do not hold the launch token.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../agent/helpers.js";
import { CHROMIUM } from "../support/chromium.js";
import { CORPUS_DIR } from "../support/corpus.js";
import { openPhone, type Phone } from "../support/phone.js";
import { twoScoPackage } from "../support/scorm.js";
import { courseTree, giveName, hotspotOnLoopback, installedArchive } from "./helpers.js";

const DRAGTEXT = join(CORPUS_DIR, "H5P.DragText@859ed559.h5p");
const present = existsSync(CHROMIUM) && existsSync(DRAGTEXT);
if (!present) console.warn("skipping: needs /usr/bin/chromium and the DragText H5P of the corpus");

let dir: Awaited<ReturnType<typeof tempDir>>;
let server: Awaited<ReturnType<typeof hotspotOnLoopback>>;
let phone: Phone;
/** The content origin's requests for player and package files, as "GET <path>". */
let fetched: string[] = [];

/** Open the course page, tap the activity, wait for `ready` inside the player; then tap back. */
async function visit(tab: Page, course: string, activity: string, ready: () => Promise<unknown>) {
  await tab.goto(`${server.url}/c/${course}`);
  await Promise.all([tab.waitForURL(/\/(h5p|scorm)\//), tab.getByRole("link", { name: activity }).click()]);
  await ready();
  await Promise.all([
    tab.waitForURL(`${server.url}/c/${course}`),
    tab.getByRole("link", { name: "Back" }).click(),
  ]);
}

describe.skipIf(!present)("a phone loads each player and package once", () => {
  beforeAll(async () => {
    dir = await tempDir("hc-player-cache-");
    const courses = [
      await installedArchive(DRAGTEXT, join(dir.path, "berries"), {
        id: "berries",
        title: "Berries",
        version: "berries",
        format: "zip",
      }),
      await courseTree(dir.path, "wash", twoScoPackage()),
    ];
    server = await hotspotOnLoopback(courses, { packageCacheDir: join(dir.path, "package-cache") });
    server.contentServer.on("request", (req) => {
      if (/^\/(assets\/players|p)\//.test(req.url ?? "")) fetched.push(`${req.method} ${req.url}`);
    });
    phone = await openPhone();
    await giveName(phone.phone, server.url, "Siti");
  }, 120_000);

  afterAll(async () => {
    await phone?.close();
    await server?.close();
    await dir?.remove();
  });

  it("H5P: the second visit fetches none of the player's or the package's files", async () => {
    const tab = await phone.phone.newPage();
    const h5pReady = () => tab.waitForEvent("console", { predicate: (m) => m.text() === "h5p: ready" });
    fetched = [];
    let ready = h5pReady();
    await visit(tab, "berries", "Drag the Words", () => ready);
    const first = fetched;
    expect(
      first.filter((r) => r.includes("/assets/players/h5p-standalone-3.8.2/main.bundle.js")),
    ).toHaveLength(1);
    expect(
      first.filter((r) => r.startsWith("GET /p/h5p/berries/hc1%3Aberries/content/")).length,
    ).toBeGreaterThan(10);

    fetched = [];
    ready = h5pReady();
    await visit(tab, "berries", "Drag the Words", () => ready);
    expect(fetched).toEqual([]);
    await tab.close();
  }, 180_000);

  it("SCORM: the second visit fetches none of the runtime's or the SCO's files", async () => {
    const tab = await phone.phone.newPage();
    const found = () => tab.frameLocator("iframe.package").frameLocator("iframe").locator("#found");
    const apiFound = () => found().getByText("API found").waitFor();
    fetched = [];
    await visit(tab, "wash", "Hand washing", apiFound);
    const first = fetched;
    expect(first.filter((r) => r.startsWith("GET /assets/players/scorm-again-"))).toHaveLength(1);
    expect(first.filter((r) => r.startsWith("GET /assets/players/handcarry-scorm-"))).toHaveLength(2);
    expect(
      first.filter((r) =>
        /^GET \/p\/scorm\.[0-9a-f]{12}\/wash\/hc1%3Awash\/package\/wash\/index\.html\?lang=en$/.test(r),
      ),
    ).toHaveLength(1);

    fetched = [];
    await visit(tab, "wash", "Hand washing", apiFound);
    expect(fetched).toEqual([]);
    await tab.close();
  }, 180_000);
});

// SCORM on a phone (real Chromium, 390×844) from the real hotspot app on loopback: the corpus
// SCORM 1.2 package finds window.API from its own window (the runner's, on the content origin), commits when the learner
// leaves, and resumes on a second visit (lesson_location and suspend_data come back); a made
// SCORM 2004 package of two SCOs does the same with API_1484_11 and shows its table of
// contents; the SCORM activity inside a real Moodle 5.1 backup plays from its unpacked zip.
// Waits end on the stored commit, read back through the launch API. Phone screenshots go to
// docs/screenshots/ with HANDCARRY_SCREENSHOTS=1.
import { existsSync } from "node:fs";
import { mkdir, readdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Frame, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../agent/helpers.js";
import { CHROMIUM, phoneBrowser } from "../support/chromium.js";
import { repoRoot } from "../support/cli.js";
import { CORPUS_DIR, MOODLE51_DIR } from "../support/corpus.js";
import { twoScoPackage } from "../support/scorm.js";
import { waitFor } from "../support/wait.js";
import { courseTree, giveName, hotspotOnLoopback, installedArchive } from "./helpers.js";

const BASIC = join(CORPUS_DIR, "singlescobasic@733a3274.zip");
const MOODLE = join(MOODLE51_DIR, "community-health@v1.mbz");
const present = existsSync(CHROMIUM) && existsSync(BASIC) && existsSync(MOODLE);
if (!present)
  console.warn("skipping: needs /usr/bin/chromium and the corpus (SCORM 1.2 package, Moodle 5.1 backup)");
const shots = process.env.HANDCARRY_SCREENSHOTS
  ? join(repoRoot, "docs", "screenshots")
  : join(tmpdir(), `hc-screenshots-${process.pid}`);

let dir: Awaited<ReturnType<typeof tempDir>>;
let server: Awaited<ReturnType<typeof hotspotOnLoopback>>;
let browser: Browser;
let phone: BrowserContext;

const installed = (id: string, title: string, archive: string) =>
  installedArchive(archive, join(dir.path, id), { id, title, version: id, format: "zip" });

/** A document of the package in the player (its URL is /p/scorm.<tag>/<course>/<hash>/<activity>/…). */
async function packageFrame(tab: Page, file: string): Promise<Frame> {
  return waitFor(
    () => tab.frames().find((f) => f.url().includes("/p/scorm.") && f.url().split("?")[0]!.endsWith(file)),
    `the package document ${file}`,
  );
}

/** Reads what the Pi keeps for this learner and SCO, through the launch API of the page's iframe. */
async function keptState(tab: Page): Promise<() => Promise<Record<string, string>>> {
  const src = await tab.locator("iframe.package").getAttribute("src");
  const token = /\/run\?t=([A-Za-z0-9_-]{22})$/.exec(src ?? "")?.[1];
  return async () => {
    const res = await fetch(`${server.contentUrl}/api/launch/${token}/scorm/state`);
    return ((await res.json()) as { cmi: Record<string, string> }).cmi;
  };
}

async function shot(tab: Page, name: string): Promise<void> {
  // JPEG: the packages' photos make a PNG of one phone screen too large for the README.
  const path = join(shots, `${name}.jpg`);
  await tab.screenshot({ path, type: "jpeg", quality: 70 });
  expect((await stat(path)).size).toBeLessThan(150_000);
}

describe.skipIf(!present)("SCORM on a phone", () => {
  beforeAll(async () => {
    dir = await tempDir("hc-scorm-player-");
    await mkdir(shots, { recursive: true });
    const courses = [
      await installed("golf", "Golf explained", BASIC),
      await courseTree(dir.path, "wash", twoScoPackage()),
      await installed("community-health", "Community health", MOODLE),
    ];
    server = await hotspotOnLoopback(courses, { packageCacheDir: join(dir.path, "package-cache") });
    ({ browser, phone } = await phoneBrowser());
    await giveName(phone, server.url, "Siti");
  }, 180_000);

  afterAll(async () => {
    await phone?.close();
    await browser?.close();
    await server?.close();
    await dir?.remove();
  });

  it("SCORM 1.2: the corpus package finds window.API, commits on leaving, resumes on the next visit", async () => {
    const tab = await phone.newPage();
    await tab.goto(`${server.url}/c/golf`);
    await Promise.all([
      tab.waitForURL(/\/c\/golf\/scorm\/package$/),
      tab.getByRole("link", { name: "Golf Explained - Run-time Basic Calls" }).click(),
    ]);
    const launch = await packageFrame(tab, "/shared/launchpage.html");
    await packageFrame(tab, "/Playing/Playing.html");
    await expect(launch.evaluate("typeof window.API.LMSInitialize")).resolves.toBe("function");
    await expect(launch.evaluate(`window.API.LMSGetValue("cmi.core.student_name")`)).resolves.toBe("Siti");
    await launch.getByRole("button", { name: "Next ->" }).click();
    await launch.getByRole("button", { name: "Next ->" }).click();
    await packageFrame(tab, "/Playing/Scoring.html");
    await launch.evaluate(`window.API.LMSSetValue("cmi.suspend_data", "seen=0,1,2")`);
    await shot(tab, "scorm");
    const read = await keptState(tab);
    // Leaving the page unloads the SCO: its LMSFinish goes out as a keepalive request.
    await tab.goto(`${server.url}/c/golf`);
    const kept = await waitFor(async () => {
      const s = await read();
      return s["cmi.core.lesson_location"] === "2" && s;
    }, "the commit of lesson_location 2");
    expect(kept).toMatchObject({
      "cmi.core.entry": "resume",
      "cmi.suspend_data": "seen=0,1,2",
      "cmi.core.lesson_status": "incomplete",
    });

    tab.on("dialog", (d) => void d.accept()); // "Would you like to resume from where you previously left off?"
    await tab.goto(`${server.url}/c/golf/scorm/package`);
    const again = await packageFrame(tab, "/shared/launchpage.html");
    await packageFrame(tab, "/Playing/Scoring.html");
    await expect(again.evaluate(`window.API.LMSGetValue("cmi.core.lesson_location")`)).resolves.toBe("2");
    await expect(again.evaluate(`window.API.LMSGetValue("cmi.suspend_data")`)).resolves.toBe("seen=0,1,2");
    await expect(again.evaluate(`window.API.LMSGetValue("cmi.core.entry")`)).resolves.toBe("resume");
    // The lesson's quiz page reports its score by calling a function of the page around it:
    // frames of the content origin reach each other, so the call lands in the one API.
    const inner = await packageFrame(tab, "/Playing/Scoring.html");
    await expect(inner.evaluate("typeof parent.RecordTest")).resolves.toBe("function");
    await inner.evaluate("parent.RecordTest(80)");
    await expect(again.evaluate(`window.API.LMSGetValue("cmi.core.score.raw")`)).resolves.toBe("80");
    await expect(again.evaluate(`window.API.LMSGetValue("cmi.core.lesson_status")`)).resolves.toBe("passed");
    await tab.close();
  });

  it("SCORM 2004: two SCOs in a table of contents; API_1484_11 commits and resumes each", async () => {
    const tab = await phone.newPage();
    await tab.goto(`${server.url}/c/wash/scorm/package`);
    await expect(
      tab.getByRole("navigation", { name: "Contents" }).getByRole("link").allTextContents(),
    ).resolves.toEqual(["Washing hands", "Drying hands"]);
    const wash = await packageFrame(tab, "/wash/index.html");
    expect(new URL(wash.url()).search).toBe("?lang=en");
    await expect(wash.locator("#found").textContent()).resolves.toBe("API found");
    await expect(wash.locator("#entry").textContent()).resolves.toBe("entry ab-initio");
    await expect(wash.locator("#learner").textContent()).resolves.toBe("learner Siti");
    await wash.getByRole("button", { name: "Next" }).click();
    await wash.getByRole("button", { name: "Saved" }).waitFor();
    await wash.evaluate(`document.getElementById("next").textContent = "Next"`);
    await wash.getByRole("button", { name: "Next" }).click();
    await wash.getByRole("button", { name: "Saved" }).waitFor();
    await shot(tab, "scorm-2004");

    await tab.goto(`${server.url}/c/wash/scorm/package/sco_wash`);
    const back = await packageFrame(tab, "/wash/index.html");
    await expect(back.locator("#location").textContent()).resolves.toBe("location 2");
    await expect(back.locator("#suspend").textContent()).resolves.toBe("suspend visited=2");
    await expect(back.locator("#entry").textContent()).resolves.toBe("entry resume");

    await Promise.all([
      tab.waitForURL(/\/scorm\/package\/sco_dry$/),
      tab.getByRole("link", { name: "Drying hands" }).click(),
    ]);
    const dry = await packageFrame(tab, "/dry/index.html");
    await expect(dry.locator("#location").textContent()).resolves.toBe("location 0");
    await expect(dry.locator("#entry").textContent()).resolves.toBe("entry ab-initio");
    await tab.close();
  });

  it("the SCORM activity of a Moodle 5.1 backup plays from its zip, unpacked once", async () => {
    const tab = await phone.newPage();
    await tab.goto(`${server.url}/c/community-health`);
    await Promise.all([
      tab.waitForURL(/\/c\/community-health\/scorm\/scorm_577$/),
      tab.getByRole("link", { name: "Interactive module: golf etiquette (SCORM 1.2 sample)" }).click(),
    ]);
    const launch = await packageFrame(tab, "/shared/launchpage.html");
    await expect(launch.locator("h1").textContent()).resolves.toBe("Not implemented yet");
    await expect(launch.evaluate("typeof window.API.LMSInitialize")).resolves.toBe("function");
    await tab.reload();
    await packageFrame(tab, "/shared/launchpage.html");
    expect(await readdir(join(dir.path, "package-cache"))).toHaveLength(1);
    await tab.close();
  });
});

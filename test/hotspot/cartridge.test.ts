// IMS packages on a phone (real Chromium, 390×844) from the real hotspot app on loopback: a
// Common Cartridge's organization as the course page, a web content page with its picture and a
// link to the next page, a web link marked as needing internet, a discussion topic read-only, the
// QTI quiz answered and graded, and the real Canvas cartridge of the corpus with its TeX as
// MathML. Phone screenshots are taken on every run; with HANDCARRY_SCREENSHOTS=1 they replace the
// README's in docs/screenshots/.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { extractArchive } from "../../src/archive/index.js";
import type { ServedCourse } from "../../src/hotspot/app.js";
import { tempDir } from "../agent/helpers.js";
import { writeCartridge } from "../readers/ims/fixtures.js";
import { CHROMIUM } from "../support/chromium.js";
import { CORPUS_DIR } from "../support/corpus.js";
import { openPhone, type Phone, phoneShot } from "../support/phone.js";
import { hotspotOnLoopback } from "./helpers.js";

const CANVAS = join(CORPUS_DIR, "canvas_cc_gem_course@baa3ae62.imscc");
const present = existsSync(CHROMIUM) && existsSync(CANVAS);
if (!present)
  console.warn("skipping: needs /usr/bin/chromium and the corpus's Canvas cartridge (CORPUS_DIR)");

let dir: Awaited<ReturnType<typeof tempDir>>;
let server: Awaited<ReturnType<typeof hotspotOnLoopback>>;
let device: Phone;

function served(id: string, title: string, treePath: string, archivePath: string): ServedCourse {
  return {
    id,
    title,
    contentHash: `hc1:${id}`,
    format: "zip",
    archivePath,
    treePath,
    size: 7895,
    publishedAt: "2026-12-01T14:44:52.000Z",
    installedAt: "2026-12-01T15:00:00.000Z",
  };
}

async function openActivity(tab: Page, course: string, name: string): Promise<void> {
  await tab.goto(`${server.url}/c/${course}`);
  await Promise.all([tab.waitForURL(/\/a\//), tab.getByRole("link", { name }).first().click()]);
}

describe.skipIf(!present)("an IMS Common Cartridge on a phone", () => {
  beforeAll(async () => {
    dir = await tempDir("hc-cartridge-");
    const water = await writeCartridge(join(dir.path, "water"), join(dir.path, "outside.html"));
    const canvasTree = join(dir.path, "canvas");
    await extractArchive(CANVAS, canvasTree);
    server = await hotspotOnLoopback([
      served("clean-water", "Clean water", water, CANVAS),
      served("canvas-gem", "Canvas CC Gem Course", canvasTree, CANVAS),
    ]);
    device = await openPhone();
  }, 180_000);

  afterAll(async () => {
    await server?.close();
    await device?.close();
    await dir?.remove();
  });

  it("the course page is the cartridge's organization: modules, a heading, 48 px links", async () => {
    const tab = await device.phone.newPage();
    expect((await tab.goto(`${server.url}/c/clean-water`))!.status()).toBe(200);
    await expect(tab.locator("section.card h2").allTextContents()).resolves.toEqual([
      "Week 1: Safe water",
      "Week 2: Check",
    ]);
    await expect(tab.locator(".list h3").allTextContents()).resolves.toEqual(["Going further"]);
    await expect(tab.locator(".list a").allTextContents()).resolves.toEqual([
      "PageWhy boil water",
      "LinkWHO guidance",
      "ForumShare your ideas",
      "QuizWater quiz",
      "FileStorage poster",
      "PageStoring water",
    ]);
    const box = await tab.getByRole("link", { name: "Why boil water" }).boundingBox();
    expect(box!.height).toBeGreaterThanOrEqual(48);
    expect(await tab.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await phoneShot(tab, "imscc-course");
    await tab.close();
  });

  it("a web content page shows inline with its picture, no script runs, its link opens the next page", async () => {
    const tab = await device.phone.newPage();
    await openActivity(tab, "clean-water", "Why boil water");
    await expect(tab.locator(".content h2").textContent()).resolves.toBe("Boil it");
    await expect(tab.locator(".content math").count()).resolves.toBe(1);
    const img = tab.getByAltText("A kettle");
    await expect(
      img.evaluate((i) => (i as unknown as { complete: boolean; naturalWidth: number }).naturalWidth),
    ).resolves.toBe(48);
    await expect(tab.title()).resolves.not.toBe("hacked");
    await phoneShot(tab, "imscc-page");
    await Promise.all([
      tab.waitForURL(/\/a\/r_store#jugs$/),
      tab.getByRole("link", { name: "How to store it" }).click(),
    ]);
    await expect(tab.locator("#jugs").textContent()).resolves.toBe("Jugs");
    await tab.close();
  });

  it("a web link needs internet; a discussion topic is read-only", async () => {
    const tab = await device.phone.newPage();
    await openActivity(tab, "clean-water", "WHO guidance");
    const link = tab.getByRole("link", { name: "https://www.who.int/health-topics/drinking-water" });
    await expect(link.getAttribute("href")).resolves.toBe("https://www.who.int/health-topics/drinking-water");
    await expect(tab.getByText("Needs an internet connection.").count()).resolves.toBe(1);
    await openActivity(tab, "clean-water", "Share your ideas");
    await expect(
      tab.getByText("A discussion topic: read it here; replies are posted in the online course.").count(),
    ).resolves.toBe(1);
    await expect(tab.locator("textarea, input[type=text]").count()).resolves.toBe(0);
    await tab.close();
  });

  it("the QTI quiz is answered, submitted and graded; the essay waits for a teacher", async () => {
    const tab = await device.phone.newPage();
    await openActivity(tab, "clean-water", "Water quiz");
    await Promise.all([
      tab.waitForURL(/\/attempt\//),
      tab.getByRole("button", { name: "Start attempt" }).click(),
    ]);
    await tab.getByLabel("Boiled water").check();
    await tab.getByLabel("True").check();
    await tab.getByLabel("A covered jar").check();
    await tab.getByLabel("A clean jerrycan with a tap").check();
    await tab.locator("#q4-answer").fill("one");
    await tab.locator("#q5-answer").fill("In a covered jar.");
    await phoneShot(tab, "imscc-quiz");
    await Promise.all([
      tab.waitForLoadState("load"),
      tab.getByRole("button", { name: "Finish attempt" }).click(),
    ]);
    await tab.locator("#grade").waitFor();
    await expect(tab.locator("#grade").textContent()).resolves.toBe("Grade: 4.00 out of 5.00");
    await expect(tab.locator(".feedback").first().textContent()).resolves.toBe("Yes: boiling kills germs.");
    await expect(tab.getByText("Your answer is saved. Your teacher will grade it.").count()).resolves.toBe(1);
    await tab.close();
  });

  it("serves the package's files, never its HTML as a page, never a file outside the tree", async () => {
    const get = (path: string) => fetch(`${server.url}/c/clean-water${path}`);
    const png = await get("/file/web_resources/images/kettle.png");
    expect([png.status, png.headers.get("content-type")]).toEqual([200, "image/png"]);
    const page = await get("/file/wiki_content/why-boil.html");
    expect([page.status, page.headers.get("content-disposition")?.split(";")[0]]).toEqual([
      200,
      "attachment",
    ]);
    for (const path of ["/file/linked.html", "/file/..%2Foutside.html", "/a/r_symlink", "/a/r_hidden"])
      expect([path, (await get(path)).status]).toEqual([path, 404]);
    const download = await get("/download");
    expect(download.headers.get("content-disposition")).toBe(
      "attachment; filename=\"clean-water-2026-12-01.imscc\"; filename*=UTF-8''clean-water-2026-12-01.imscc",
    );
    await download.body?.cancel();
  });

  it("the corpus's Canvas cartridge lists its pages; TeX shows as MathML", async () => {
    const tab = await device.phone.newPage();
    await tab.goto(`${server.url}/c/canvas-gem`);
    await expect(tab.locator(".list a").count()).resolves.toBe(4);
    await openActivity(tab, "canvas-gem", "Latex Example");
    await expect(tab.locator(".content math").count()).resolves.toBe(3);
    await tab.close();
  });
});

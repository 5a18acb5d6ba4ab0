// A learner uses a whole Moodle 5.1 course on a phone (real Chromium, 390×844) from the real
// hotspot app on loopback, over the real backup extracted as the agent installs it: the course
// page, a book chapter, a glossary entry, a forum post, a lesson page, TeX as MathML, a quiz of
// every standard type answered and graded, a choice and the questionnaire answered, a bookmark
// that still works after the course is updated (v1 → v2), and the page in Bahasa Indonesia.
// Phone screenshots of each activity type are taken on every run; with
// HANDCARRY_SCREENSHOTS=1 they replace the README's in docs/screenshots/.
import { existsSync } from "node:fs";
import { mkdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServedCourse } from "../../src/hotspot/app.js";
import { tempDir } from "../agent/helpers.js";
import { CHROMIUM, phoneBrowser } from "../support/chromium.js";
import { repoRoot } from "../support/cli.js";
import { MOODLE51_DIR } from "../support/corpus.js";
import { answerCommunityHealthQuiz } from "../support/moodle51-quiz.js";
import { hotspotOnLoopback, installedArchive } from "./helpers.js";

const V1 = join(MOODLE51_DIR, "community-health@v1.mbz");
const V2 = join(MOODLE51_DIR, "community-health@v2.mbz");
const present = existsSync(CHROMIUM) && existsSync(V1) && existsSync(V2);
if (!present) console.warn("skipping: needs /usr/bin/chromium and the Moodle 5.1 backups (MOODLE51_DIR)");
const shots = process.env.HANDCARRY_SCREENSHOTS
  ? join(repoRoot, "docs", "screenshots")
  : join(tmpdir(), `hc-screenshots-${process.pid}`);

let dir: Awaited<ReturnType<typeof tempDir>>;
let server: Awaited<ReturnType<typeof hotspotOnLoopback>>;
let browser: Browser;
let phone: BrowserContext;
let installed: ServedCourse;

function install(archive: string, version: string): Promise<ServedCourse> {
  return installedArchive(archive, join(dir.path, version), {
    id: "community-health",
    title: "Community health",
    version,
    format: "tar.gz",
  });
}

/** A phone screenshot of what the viewport shows, small enough for the README. */
async function shot(tab: Page, name: string): Promise<void> {
  const path = join(shots, `${name}.png`);
  await tab.evaluate("window.scrollTo(0, 0)");
  await tab.screenshot({ path });
  expect((await stat(path)).size).toBeLessThan(150_000);
}

/** Open an activity from the course page by its name; returns its URL (the bookmark). */
async function openActivity(tab: Page, name: string): Promise<string> {
  await tab.goto(`${server.url}/c/community-health`);
  await Promise.all([tab.waitForURL(/\/a\//), tab.getByRole("link", { name }).first().click()]);
  return tab.url();
}

describe.skipIf(!present)("a Moodle course on a phone", () => {
  beforeAll(async () => {
    dir = await tempDir("hc-classroom-");
    await mkdir(shots, { recursive: true });
    installed = await install(V1, "v1");
    const courses = {
      list: async () => [installed],
      get: async (id: string) => (id === installed.id ? installed : undefined),
      archive: async () => installed.archivePath,
    };
    server = await hotspotOnLoopback([], { courses });
    ({ browser, phone } = await phoneBrowser());
  }, 180_000);

  afterAll(async () => {
    await phone?.close();
    await browser?.close();
    await server?.close();
    await dir?.remove();
  });

  it("the learner gives a name once; it shows in the header", async () => {
    const tab = await phone.newPage();
    await tab.goto(`${server.url}/me`);
    await tab.getByLabel("Your name").fill("Siti");
    await tab.getByLabel("Class code (optional)").fill("7B");
    await Promise.all([tab.waitForURL(`${server.url}/`), tab.getByRole("button", { name: "Save" }).click()]);
    await expect(tab.locator("header .learner").textContent()).resolves.toBe("Hello, Siti (7B)");
    const cookie = (await phone.cookies()).find((c) => c.name === "hc_learner");
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax" });
    await tab.close();
  });

  it("the course page shows section summaries; the stylesheet is cached for good; taps are 48 px", async () => {
    const tab = await phone.newPage();
    const res = await tab.goto(`${server.url}/c/community-health`);
    expect(res!.status()).toBe(200);
    await expect(tab.getByText("Welcome! Start with the course guide below").count()).resolves.toBe(1);
    const css = await tab.locator('link[rel="stylesheet"]').getAttribute("href");
    expect(css).toMatch(/^\/assets\/style-[0-9a-f]{12}\.css$/);
    const cssRes = await fetch(`${server.url}${css}`);
    expect(cssRes.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const box = await tab.getByRole("link", { name: "Community health volunteer handbook" }).boundingBox();
    expect(box!.height).toBeGreaterThanOrEqual(48);
    const width = await tab.evaluate("document.documentElement.scrollWidth");
    expect(width).toBeLessThanOrEqual(390);
    await shot(tab, "course");
    await tab.close();
  });

  it("a book chapter with TeX as MathML, next chapter; a glossary entry; a forum post; a lesson page", async () => {
    const tab = await phone.newPage();
    await openActivity(tab, "Community health volunteer handbook");
    await expect(tab.locator(".chapter").first().isVisible()).resolves.toBe(true);
    await expect(tab.locator("h2").first().textContent()).resolves.toBe("The role of a CHV");
    await tab.getByRole("link", { name: "Next →" }).click();
    await expect(tab.locator("h2").first().textContent()).resolves.toBe("Planning a household visit");
    await shot(tab, "book");
    // The display formula of the handbook is MathML, no script needed.
    let maths = 0;
    for (const link of await tab.locator(".list a").all()) {
      await link.click();
      maths += await tab.locator("math").count();
      if (maths > 0) break;
    }
    expect(maths).toBeGreaterThan(0);

    await openActivity(tab, "Community health glossary");
    await tab.getByRole("link", { name: "M", exact: true }).click();
    await expect(tab.locator(".entry h3").allTextContents()).resolves.toContain("MUAC");
    await shot(tab, "glossary");

    await openActivity(tab, "Discussion: sharing field experience");
    await tab.getByRole("link", { name: /Introduce yourself/ }).click();
    await expect(tab.locator(".post h3").first().textContent()).resolves.toBe("Introduce yourself");
    await expect(tab.locator(".post.reply").count()).resolves.toBeGreaterThan(0);
    await shot(tab, "forum");

    await openActivity(tab, "Recognising malnutrition");
    await expect(tab.locator("h2").first().textContent()).resolves.toBe("Measuring MUAC");
    await shot(tab, "lesson");
    for (const [name, type] of [
      ["Safe drinking water at home", "page"],
      ["Hygiene promotion materials", "folder"],
    ] as const) {
      await openActivity(tab, name);
      await shot(tab, type);
    }
    await tab.close();
  });

  it("a quiz of every standard type is answered, submitted and graded; the attempt is kept", async () => {
    const tab = await phone.newPage();
    await openActivity(tab, "Community health basics");
    await Promise.all([
      tab.waitForURL(/\/attempt\//),
      tab.getByRole("button", { name: "Start attempt" }).click(),
    ]);
    await answerCommunityHealthQuiz(tab);
    await shot(tab, "quiz");
    const attemptUrl = tab.url();
    await Promise.all([
      tab.waitForLoadState("load"),
      tab.getByRole("button", { name: "Finish attempt" }).click(),
    ]);
    await tab.locator("#grade").waitFor();
    await expect(tab.locator("#grade").textContent()).resolves.toBe("Grade: 53.11 out of 100.00");
    await shot(tab, "quiz-review");
    // Reloading the attempt shows the same kept review.
    await tab.goto(attemptUrl);
    await expect(tab.locator("#grade").textContent()).resolves.toBe("Grade: 53.11 out of 100.00");
    await tab.close();
  });

  it("a choice and the questionnaire are answered and saved", async () => {
    const tab = await phone.newPage();
    await openActivity(tab, "Which topic should we cover next?");
    await tab.getByLabel("Maternal health").check();
    await shot(tab, "choice");
    await tab.getByRole("button", { name: "Submit" }).click();
    await expect(tab.getByRole("status").textContent()).resolves.toBe("Saved");
    await expect(tab.getByLabel("Maternal health").isChecked()).resolves.toBe(true);

    await openActivity(tab, "Course questionnaire");
    await tab.locator('input[type="radio"]').first().check();
    await tab.locator('input[type="checkbox"]').first().check();
    await tab.getByLabel(/How many households/).fill("12");
    await tab.getByLabel(/What should we add/).fill("More on malaria.");
    await shot(tab, "feedback");
    await tab.getByRole("button", { name: "Submit" }).click();
    await expect(tab.getByRole("status").textContent()).resolves.toBe("Saved");
    await tab.close();
  });

  it("a bookmark to an activity still opens after the course is updated to v2", async () => {
    const tab = await phone.newPage();
    const bookmark = await openActivity(tab, "Community health glossary");
    installed = await install(V2, "v2");
    const res = await tab.goto(bookmark);
    expect(res!.status()).toBe(200);
    await expect(tab.locator("header h1").textContent()).resolves.toBe("Glossary of community health terms");
    await tab.close();
  });

  it("the switcher shows the pages in Bahasa Indonesia and keeps the choice", async () => {
    const tab = await phone.newPage();
    await openActivity(tab, "Community health basics");
    await tab.getByRole("link", { name: "Bahasa Indonesia" }).click();
    await expect(tab.getByRole("button", { name: "Mulai mengerjakan" }).count()).resolves.toBe(1);
    await expect(tab.locator("html").getAttribute("lang")).resolves.toBe("id");
    // The questions themselves: the quiz engine's words come in the page's language too.
    await Promise.all([
      tab.waitForURL(/\/attempt\//),
      tab.getByRole("button", { name: "Mulai mengerjakan" }).click(),
    ]);
    await expect(tab.getByText("Nilai maksimal 1.00").count()).resolves.toBeGreaterThan(0);
    await expect(tab.getByText("Benar", { exact: true }).count()).resolves.toBe(1);
    await tab.goto(`${server.url}/c/community-health`);
    await expect(tab.locator("html").getAttribute("lang")).resolves.toBe("id");
    await tab.close();
  });
});

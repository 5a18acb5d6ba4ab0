// End to end in real Chromium (Debian's /usr/bin/chromium driven by playwright-core): the demo
// (master + agent + sample courses on loopback) is started, then a phone-sized browser opens
// the hotspot page, finds a course, opens a resource in the viewer and downloads the course,
// once in full and once resumed with a Range request. Screenshots go to test-artifacts/;
// HANDCARRY_UPDATE_DOCS=1 (or a missing file) also refreshes docs/hotspot.png for the README.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_COURSE, type RunningDemo, runDemo } from "../../src/demo/demo.js";
import { fullCourse, generateCourse, writeCourse } from "../../src/demo/sample-course.js";
import { tempDir } from "../agent/helpers.js";
import { CHROMIUM, CHROMIUM_ARGS } from "../support/chromium.js";
import { repoRoot } from "../support/cli.js";

const artifacts = join(repoRoot, "test-artifacts", "agent");
const docsShot = join(repoRoot, "docs", "hotspot.png");

let dir: Awaited<ReturnType<typeof tempDir>>;
let demo: RunningDemo;
let context: BrowserContext;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) return; // the suite below is skipped
  dir = await tempDir("hc-browser-");
  await mkdir(artifacts, { recursive: true });
  demo = await runDemo({ port: 0, dataDir: join(dir.path, "demo"), scale: 0.1 });
  context = await chromium.launchPersistentContext(join(dir.path, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 412, height: 860 },
    deviceScaleFactor: 1,
    isMobile: true,
    hasTouch: true,
    acceptDownloads: true,
  });
});

afterAll(async () => {
  await context?.close();
  await demo?.close();
  await dir?.remove();
});

/** The part of a page's document the CSP check listens on (the test has no DOM types). */
interface CspEventTarget {
  addEventListener(
    type: "securitypolicyviolation",
    listener: (event: { violatedDirective: string }) => void,
    options: { once: boolean },
  ): void;
}

describe.skipIf(!existsSync(CHROMIUM))("hotspot in Chromium", () => {
  it("the demo synced both courses and a revision as a delta", () => {
    expect(demo.syncs.map((s) => s.label)).toEqual(["first sync", "sync after the revision"]);
    const [first, second] = demo.syncs;
    expect(first!.courses.every((c) => c.type === "course-done" && c.result === "updated")).toBe(true);
    const revised = second!.courses.find((c) => c.course === DEMO_COURSE);
    expect(revised).toMatchObject({ type: "course-done", result: "updated", plan: "known-base" });
  });

  it("finds a course, opens a resource in the viewer, downloads it in full and resumed", async () => {
    const page = await context.newPage();
    const home = await page.goto(`${demo.hotspotUrl}/`);
    expect(home!.status()).toBe(200);
    const card = page.locator("section.card", { hasText: "Community health and hygiene" });
    await expect(card.count()).resolves.toBe(1);
    await expect(page.locator("section.card", { hasText: "Clean water at home" }).count()).resolves.toBe(1);
    const shot = await page.screenshot({ path: join(artifacts, "hotspot.png"), fullPage: true });
    if (process.env.HANDCARRY_UPDATE_DOCS === "1" || !existsSync(docsShot)) {
      await mkdir(join(repoRoot, "docs"), { recursive: true });
      await writeFile(docsShot, shot);
    }
    expect((await stat(join(artifacts, "hotspot.png"))).size).toBeLessThan(200 * 1024);

    // Into the course viewer: sections and activities with their real titles.
    await card.getByRole("link", { name: "Open course" }).click();
    await page.waitForURL(`**/c/${DEMO_COURSE}`);
    await expect(page.getByRole("heading", { name: "Topic 1" }).count()).resolves.toBe(1);
    await page.screenshot({ path: join(artifacts, "viewer.png"), fullPage: true });
    await page.getByRole("link", { name: "Topic 1: handbook" }).click();
    await page.screenshot({ path: join(artifacts, "activity.png"), fullPage: true });

    // Open the PDF: the browser gets it inline, as a PDF, under its real file name.
    const open = page.getByRole("link", { name: /^Open handbook-\d+\.pdf$/ });
    const fileName = (await open.textContent())!.replace(/^Open /, "");
    const [pdf] = await Promise.all([page.waitForResponse((r) => r.url().includes("/file/")), open.click()]);
    expect(pdf.status()).toBe(200);
    expect(pdf.headers()["content-type"]).toBe("application/pdf");
    expect(pdf.headers()["content-disposition"]).toContain(`inline; filename="${fileName}"`);
    await page.screenshot({ path: join(artifacts, "resource.png") });
    // Chromium hands PDFs to its viewer, so read the bytes again with the browser's fetch:
    // Moodle names each file by the SHA-1 of its bytes, so files.xml vouches for them.
    const sha1 = await page.evaluate(async (url) => {
      const body = await (await fetch(url)).arrayBuffer();
      const head = new TextDecoder().decode(body.slice(0, 5));
      const digest = await crypto.subtle.digest("SHA-1", body);
      return { head, hex: [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("") };
    }, pdf.url());
    expect(sha1.head).toBe("%PDF-");
    const tree = (await demo.agent.library.get(DEMO_COURSE))!.treePath;
    const filesXml = await readFile(join(tree, "files.xml"), "utf8");
    expect(filesXml).toMatch(
      new RegExp(`<contenthash>${sha1.hex}</contenthash>[\\s\\S]*?<filename>${fileName}</filename>`),
    );

    // Download the whole course from the list page.
    await page.goto(`${demo.hotspotUrl}/`);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      card.getByRole("link", { name: "Download" }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^${DEMO_COURSE}-\\d{4}-\\d\\d-\\d\\d\\.mbz$`));
    const course = (await demo.agent.library.get(DEMO_COURSE))!;
    const archive = await readFile(course.archivePath);
    const got = await readFile((await download.path())!);
    expect(got.equals(archive)).toBe(true);

    // Resume from the middle with Range + If-Range, through the browser's own network stack.
    const from = Math.floor(archive.length / 2);
    const resumed = await page.evaluate(
      async ({ url, from }) => {
        const head = await fetch(url, { method: "HEAD" });
        const etag = head.headers.get("etag") ?? "";
        const res = await fetch(url, { headers: { Range: `bytes=${from}-`, "If-Range": etag } });
        const body = await res.arrayBuffer();
        const digest = await crypto.subtle.digest("SHA-256", body);
        const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
        return {
          status: res.status,
          range: res.headers.get("content-range"),
          length: body.byteLength,
          sha256: hex,
        };
      },
      { url: `/c/${DEMO_COURSE}/download`, from },
    );
    expect(resumed.status).toBe(206);
    expect(resumed.range).toBe(`bytes ${from}-${archive.length - 1}/${archive.length}`);
    expect(resumed.length).toBe(archive.length - from);
    expect(resumed.sha256).toBe(createHash("sha256").update(archive.subarray(from)).digest("hex"));

    // The status page, for the artefacts.
    await page.goto(`${demo.hotspotUrl}/status`);
    await expect(page.locator(".state").textContent()).resolves.toBe("updated");
    await page.screenshot({ path: join(artifacts, "status.png"), fullPage: true });
    await page.close();
  });

  it("never runs scripts from course content (the page's HTML is shown under a no-script policy)", async () => {
    // A backup whose page carries a script, an inline handler and a javascript: link.
    const entries = generateCourse(fullCourse({ seed: 5, scale: 0.02 }));
    const page = entries.find((e) => /^activities\/page_\d+\/page\.xml$/.test(e.path))!;
    const hostile =
      "<p>Safe text stays.</p><script>window.pwned = 1; document.title = 'pwned'</script>" +
      `<img src="/nope" onerror="document.title='pwned by onerror'"><a id="js" href="javascript:void(document.title='pwned by link')">x</a>`;
    const xml = page
      .data()
      .toString("utf8")
      .replace(
        /<content>[\s\S]*?<\/content>/,
        `<content>${hostile.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")}</content>`,
      );
    page.data = () => Buffer.from(xml);
    page.size = Buffer.byteLength(xml);
    const file = join(dir.path, "hostile.mbz");
    await writeCourse(entries, "zip", file);
    await demo.publish("hostile", file, "Hostile course");
    await demo.agent.syncNow("test");
    expect((await demo.agent.library.get("hostile"))?.title).toBe("Hostile course");

    const tab = await context.newPage();
    await tab.goto(`${demo.hotspotUrl}/c/hostile`);
    const link = tab.getByRole("link", { name: /introduction/ }).first();
    await link.click();
    await expect(tab.getByText("Safe text stays.").count()).resolves.toBe(1);
    // Give the broken image time to fail (its onerror would fire then).
    await tab.waitForLoadState("load");
    expect(await tab.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();
    expect(await tab.title()).not.toContain("pwned");
    // The javascript: link is refused by the page's policy: wait for that refusal, not a time.
    const refused = tab.evaluate(
      () =>
        new Promise<string>((resolve) => {
          const doc = (globalThis as unknown as { document: CspEventTarget }).document;
          doc.addEventListener("securitypolicyviolation", (e) => resolve(e.violatedDirective), {
            once: true,
          });
        }),
    );
    await tab.locator("#js").click();
    expect(await refused).toMatch(/^script-src/);
    expect(await tab.title()).not.toContain("pwned");
    await tab.close();
  });
});

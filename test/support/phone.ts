// A phone in real Chromium for the learner-facing tests: Debian's Chromium, a 390×844 touch
// viewport in English and UTC, and screenshots of what it shows. Screenshots go to a temp folder
// on every run; with HANDCARRY_SCREENSHOTS=1 they replace the README's in docs/screenshots/.
import { mkdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { expect } from "vitest";
import { phoneBrowser } from "./chromium.js";
import { repoRoot } from "./cli.js";

export const SCREENSHOTS_DIR = process.env.HANDCARRY_SCREENSHOTS
  ? join(repoRoot, "docs", "screenshots")
  : join(tmpdir(), `hc-screenshots-${process.pid}`);

export interface Phone {
  browser: Browser;
  phone: BrowserContext;
  close(): Promise<void>;
}

export async function openPhone(): Promise<Phone> {
  await mkdir(SCREENSHOTS_DIR, { recursive: true });
  const { browser, phone } = await phoneBrowser();
  return {
    browser,
    phone,
    close: async () => {
      await phone.close();
      await browser.close();
    },
  };
}

/** A phone screenshot of what the viewport shows, small enough for the README. */
export async function phoneShot(tab: Page, name: string): Promise<void> {
  const path = join(SCREENSHOTS_DIR, `${name}.png`);
  await tab.evaluate("window.scrollTo(0, 0)");
  await tab.screenshot({ path });
  expect((await stat(path)).size).toBeLessThan(150_000);
}

// Debian's Chromium as the tests drive it: headless, as root, and quiet on a machine with no
// network (without the background-networking flags it keeps trying Google's hosts).
import { type Browser, type BrowserContext, chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Debian's Chromium launched headless, with one phone-sized context (390×844, touch, en-GB, UTC). */
export async function phoneBrowser(): Promise<{ browser: Browser; phone: BrowserContext }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const phone = await browser.newContext({
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
    locale: "en-GB",
    timezoneId: "UTC",
  });
  return { browser, phone };
}

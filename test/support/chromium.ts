// Debian's Chromium as the tests drive it: headless, as root, and quiet on a machine with no
// network (without the background-networking flags it keeps trying Google's hosts).
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

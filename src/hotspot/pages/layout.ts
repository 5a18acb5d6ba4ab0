// The frame of every hotspot page: mobile-first, one stylesheet (cached for good, see ../assets.ts), no scripts, no external
// assets, a few KB per page so a cheap Android phone on 2.4 GHz loads it at once.
// Everything interpolated goes through esc(); course HTML from backups is only placed
// inside pages served under a no-script Content-Security-Policy (see ../respond.ts).

import { STYLESHEET_URL } from "../assets.js";
import { currentFrame, type Frame } from "../frame.js";
import { LANGUAGE_NAMES, LOCALE_QUERY, SUPPORTED_LOCALES } from "../i18n/index.js";

export function esc(value: unknown): string {
  return String(value)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** For element content only (never an attribute): quotes stay as they are, "the master's token". */
function escText(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** URL path segment. */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return "?";
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** A date in the page's language and the device's time zone (Intl). */
export function formatDate(iso: string | Date | null | undefined): string {
  return currentFrame().t.dateTime(iso ?? null);
}

/** The language switcher: each language in itself, the current one not a link. */
function languageSwitcher(f: Frame): string {
  const links = SUPPORTED_LOCALES.map((l) =>
    l === f.t.locale
      ? `<strong lang="${l}">${esc(LANGUAGE_NAMES[l])}</strong>`
      : `<a lang="${l}" hreflang="${l}" href="${esc(f.path)}?${LOCALE_QUERY}=${l}">${esc(LANGUAGE_NAMES[l])}</a>`,
  );
  return `<nav class="lang" aria-label="${esc(f.t.t("nav.language"))}">${links.join("")}</nav>`;
}

function learnerLine(f: Frame): string {
  if (!f.learner) return `<a href="/me">${esc(f.t.t("learner.yourName"))}</a>`;
  const code = f.learner.classCode ? ` (${esc(f.learner.classCode)})` : "";
  return `<span class="learner">${esc(f.t.t("learner.hello", { name: f.learner.name }))}${code}</span> <a href="/me">${esc(f.t.t("common.change"))}</a>`;
}

export function layout(
  title: string,
  body: string,
  options: { subtitle?: string; back?: string } = {},
): string {
  const f = currentFrame();
  const parts = [
    options.back ? `<a href="${esc(options.back)}">← ${esc(f.t.t("nav.back"))}</a>` : "",
    options.subtitle ? esc(options.subtitle) : "",
  ].filter(Boolean);
  const sub = parts.length ? `<p>${parts.join(" · ")}</p>` : "";
  const nav = `<a href="/">${esc(f.t.t("nav.courses"))}</a> · <a href="/status">${esc(f.t.t("nav.status"))}</a> · <a href="/admin">${esc(f.t.t("nav.admin"))}</a>`;
  return `<!doctype html><html lang="${f.t.locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><link rel="stylesheet" href="${STYLESHEET_URL}"></head><body><header><h1>${esc(title)}</h1>${sub}<p>${learnerLine(f)}</p></header><main>${body}</main><footer>${nav}${languageSwitcher(f)}</footer></body></html>`;
}

/** The page for an error status, in the page's language: plain text only, whatever the message holds. */
export function errorPage(status: number, message: string): string {
  const { t } = currentFrame().t;
  return layout(
    t("error.title", { status }),
    `<section class="card"><p class="err" role="alert">${escText(message)}</p><p><a class="btn" href="/">${esc(t("error.backToCourses"))}</a></p></section>`,
  );
}

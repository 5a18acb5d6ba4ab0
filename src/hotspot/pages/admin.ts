// The admin area's pages: log in, then sync, master URL and token, known Wi-Fi networks, the default language.
import { currentFrame } from "../frame.js";
import { LANGUAGE_NAMES, SUPPORTED_LOCALES } from "../i18n/index.js";
import { esc, layout } from "./layout.js";

export function loginPage(message?: string): string {
  return layout(
    "Admin",
    `<section class="card">${message ? `<p class="err">${esc(message)}</p>` : ""}<form method="post" action="/admin/login"><label>Password<input type="password" name="password" autocomplete="current-password" required></label><button class="btn" type="submit">Log in</button></form></section>`,
    { back: "/" },
  );
}

export function adminPage(v: {
  csrf: string;
  masterUrl: string;
  hasToken: boolean;
  networks: { ssid: string; secured: boolean }[];
  state: string;
  defaultLocale: string;
  message?: string;
}): string {
  const { t } = currentFrame().t;
  const hidden = `<input type="hidden" name="csrf" value="${esc(v.csrf)}">`;
  const nets = v.networks
    .map(
      (n) =>
        `<li>${esc(n.ssid)} ${n.secured ? "(password saved)" : "(open)"}<form method="post" action="/admin/networks/delete" style="display:inline">${hidden}<input type="hidden" name="ssid" value="${esc(n.ssid)}"><button class="btn alt" type="submit">Remove</button></form></li>`,
    )
    .join("");
  return layout(
    "Admin",
    (v.message ? `<section class="card"><p class="ok">${esc(v.message)}</p></section>` : "") +
      `<section class="card"><h2>Sync</h2><p class="meta">State: ${esc(v.state)}</p><form method="post" action="/admin/sync">${hidden}<button class="btn" type="submit">Sync now</button></form></section>` +
      `<section class="card"><h2>Master</h2><form method="post" action="/admin/master">${hidden}<label>Master URL<input name="masterUrl" type="url" value="${esc(v.masterUrl)}" required></label><label>Read token (${v.hasToken ? "one is saved for this master; empty keeps it" : "none for this master"}; a new master needs its own)<input name="token" type="password" autocomplete="off"></label>${v.hasToken && v.masterUrl.startsWith("http:") ? `<p class="err">This master is http://: the token crosses the network in clear. Prefer https://.</p>` : ""}<button class="btn" type="submit">Save</button></form></section>` +
      `<section class="card"><h2>Known Wi-Fi networks</h2><ul class="list">${nets || "<li>none</li>"}</ul><form method="post" action="/admin/networks">${hidden}<label>Network name (SSID)<input name="ssid" required maxlength="32"></label><label>Password (empty for an open network)<input name="password" type="password" maxlength="63"></label><button class="btn" type="submit">Add</button></form></section>` +
      `<section class="card"><h2>${esc(t("admin.defaultLanguage"))}</h2><form method="post" action="/admin/language">${hidden}<label>${esc(t("admin.defaultLanguage"))}<select name="locale">${SUPPORTED_LOCALES.map((l) => `<option value="${l}"${l === v.defaultLocale ? " selected" : ""}>${esc(LANGUAGE_NAMES[l])}</option>`).join("")}</select></label><button class="btn" type="submit">${esc(t("admin.save"))}</button></form></section>` +
      `<section class="card"><form method="post" action="/admin/logout">${hidden}<button class="btn alt" type="submit">Log out</button></form></section>`,
    { back: "/" },
  );
}

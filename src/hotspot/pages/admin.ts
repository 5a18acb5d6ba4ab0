// The admin area's pages: log in, then sync, master URL and token, known Wi-Fi networks, the default language.
import { currentFrame } from "../frame.js";
import { LANGUAGE_NAMES, type MessageKey, SUPPORTED_LOCALES } from "../i18n/index.js";
import { esc, layout } from "./layout.js";

export function loginPage(message?: string): string {
  const { t } = currentFrame().t;
  return layout(
    t("admin.title"),
    `<section class="card">${message ? `<p class="err">${esc(message)}</p>` : ""}<form method="post" action="/admin/login"><label>${esc(t("admin.password"))}<input type="password" name="password" autocomplete="current-password" required></label><button class="btn" type="submit">${esc(t("admin.logIn"))}</button></form></section>`,
    { back: "/" },
  );
}

/** The agent's state in words; a state the catalogs do not know yet is shown as its name. */
function stateName(state: string): string {
  const { t } = currentFrame().t;
  try {
    return t(`state.${state}` as MessageKey);
  } catch {
    return state;
  }
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
  const button = (key: MessageKey, cls = "btn") =>
    `<button class="${cls}" type="submit">${esc(t(key))}</button>`;
  const nets = v.networks
    .map(
      (n) =>
        `<li>${esc(n.ssid)} ${esc(t(n.secured ? "admin.passwordSaved" : "admin.openNetwork"))}<form method="post" action="/admin/networks/delete" style="display:inline">${hidden}<input type="hidden" name="ssid" value="${esc(n.ssid)}">${button("admin.remove", "btn alt")}</form></li>`,
    )
    .join("");
  const inClear = v.hasToken && v.masterUrl.startsWith("http:");
  return layout(
    t("admin.title"),
    (v.message ? `<section class="card"><p class="ok">${esc(v.message)}</p></section>` : "") +
      `<section class="card"><h2>${esc(t("admin.sync"))}</h2><p class="meta">${esc(t("admin.stateIs", { state: stateName(v.state) }))}</p><form method="post" action="/admin/sync">${hidden}${button("admin.syncNow")}</form></section>` +
      `<section class="card"><h2>${esc(t("admin.master"))}</h2><form method="post" action="/admin/master">${hidden}<label>${esc(t("admin.masterUrl"))}<input name="masterUrl" type="url" value="${esc(v.masterUrl)}" required></label><label>${esc(t("admin.tokenLabel", { saved: v.hasToken ? "yes" : "no" }))}<input name="token" type="password" autocomplete="off"></label>${inClear ? `<p class="err">${esc(t("admin.tokenInClear"))}</p>` : ""}${button("admin.save")}</form></section>` +
      `<section class="card"><h2>${esc(t("admin.knownNetworks"))}</h2><ul class="list">${nets || `<li>${esc(t("admin.none"))}</li>`}</ul><form method="post" action="/admin/networks">${hidden}<label>${esc(t("admin.networkName"))}<input name="ssid" required maxlength="32"></label><label>${esc(t("admin.networkPassword"))}<input name="password" type="password" maxlength="63"></label>${button("admin.add")}</form></section>` +
      `<section class="card"><h2>${esc(t("admin.defaultLanguage"))}</h2><form method="post" action="/admin/language">${hidden}<label>${esc(t("admin.defaultLanguage"))}<select name="locale">${SUPPORTED_LOCALES.map((l) => `<option value="${l}"${l === v.defaultLocale ? " selected" : ""}>${esc(LANGUAGE_NAMES[l])}</option>`).join("")}</select></label>${button("admin.save")}</form></section>` +
      `<section class="card"><a class="btn alt" href="/admin/grading">${esc(t("grading.title"))}</a></section>` +
      `<section class="card"><form method="post" action="/admin/logout">${hidden}${button("admin.logOut", "btn alt")}</form></section>`,
    { back: "/" },
  );
}

// The H5P player: the hotspot page a learner opens (an ordinary page, no scripts, framing the
// package) and the launch's runner document on the content origin (/run?t=<token>) that runs
// h5p-standalone over the package's files and sends each xAPI statement to the launch's API.
import type { FileLink } from "../../readers/index.js";
import { currentFrame } from "../frame.js";
import { h5pObjectIri } from "../h5p-statements.js";
import type { MessageKey } from "../i18n/index.js";
import { type Launch, launchUrl } from "../launches.js";
import { playerAssetUrl, SANDBOX_FLAGS } from "../sandbox.js";
import { esc, layout, seg } from "./layout.js";

const PLAYER = "h5p-standalone";
const t = (key: MessageKey) => currentFrame().t.t(key);

export interface H5pPlayerView {
  courseId: string;
  courseTitle: string;
  activityName: string;
  /** The runner document on the content origin (an absolute URL). */
  frameUrl: string;
  /** The .h5p file itself, when the course holds one (Moodle), to save. */
  download: FileLink | null;
}

export function h5pPlayerPage(v: H5pPlayerView): string {
  const learner = currentFrame().learner;
  const note = learner
    ? `<p class="meta">${esc(t("player.kept"))}</p>`
    : `<p class="meta"><a href="/me">${esc(t("player.giveName"))}</a></p>`;
  const frame = `<iframe class="player" src="${esc(v.frameUrl)}" title="${esc(t("player.frameTitle"))}" sandbox="${SANDBOX_FLAGS}" style="width:100%;height:75vh;border:0;background:#fff" allow="fullscreen"></iframe>`;
  const save = v.download
    ? `<p><a class="btn alt" href="${esc(v.download.url)}?download=1">${esc(t("activity.saveFile"))} ${esc(v.download.filename)}</a></p>`
    : "";
  return layout(v.activityName, `${note}<section class="card">${frame}</section>${save}`, {
    subtitle: `${v.courseTitle} · ${t("mod.h5p")}`,
    back: `/c/${seg(v.courseId)}`,
  });
}

/** A value for an inline script: JSON that cannot close the script element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028|\u2029/g, " ");
}

/**
 * The bridge: starts the player, then POSTs every xAPI statement to the launch API as
 * text/plain (a simple request: no preflight), retrying a few times when the network fails.
 */
const BRIDGE = `(function () {
  var cfg = JSON.parse(document.getElementById("h5p-config").textContent);
  function send(statement, tries) {
    fetch(cfg.api, { method: "POST", headers: { "Content-Type": "text/plain" }, body: JSON.stringify(statement), keepalive: true })
      .then(function (r) { if (r.ok) console.info("h5p: statement kept " + statement.verb.id); else console.warn("h5p: statement refused (" + r.status + ")"); })
      .catch(function () { if (tries < 5) setTimeout(function () { send(statement, tries + 1); }, 1000 * (tries + 1)); });
  }
  new H5PStandalone.H5P(document.getElementById("h5p"), cfg.options).then(function () {
    H5P.externalDispatcher.on("xAPI", function (event) { send(event.data.statement, 0); });
    console.info("h5p: ready");
  }, function (err) { console.error("h5p: the package did not start: " + (err && err.stack || err)); });
})();`;

/**
 * A browser that refuses storage (reading localStorage throws, as in some private modes) would
 * stop H5P's core on start: give it storage that lasts as long as the page.
 */
const STORAGE_SHIM = `(function () {
  function memory() {
    var items = {};
    return {
      getItem: function (k) { return Object.prototype.hasOwnProperty.call(items, k) ? items[k] : null; },
      setItem: function (k, v) { items[k] = String(v); },
      removeItem: function (k) { delete items[k]; },
      clear: function () { items = {}; },
      key: function (i) { return Object.keys(items)[i] || null; },
      get length() { return Object.keys(items).length; }
    };
  }
  ["localStorage", "sessionStorage"].forEach(function (name) {
    try { window[name].length; } catch (e) { Object.defineProperty(window, name, { value: memory(), configurable: true }); }
  });
})();`;

/** The runner document of an H5P launch: the package's files by their stable URLs, the token in the API's. */
export function h5pDocument(launch: Launch): string {
  const asset = (path: string) => playerAssetUrl(PLAYER, path);
  const config = {
    api: `/api/launch/${launch.token}/h5p/xapi`,
    options: {
      h5pJsonPath: launchUrl(launch).replace(/\/$/, ""),
      frameJs: asset("frame.bundle.js"),
      frameCss: asset("styles/h5p.css"),
      embedType: "div",
      // A stable id for the activity: the page's own URL would put the launch token in statements.
      xAPIObjectIRI: h5pObjectIri(launch.course.id, launch.activityId),
      // No \`user\`: H5P would then fetch and save state through an AJAX API. Statements carry
      // H5P's anonymous actor; the Pi files each under the launch's learner.
    },
  };
  return `<!doctype html><html lang="${esc(currentFrame().t.locale)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>H5P</title><link rel="stylesheet" href="${esc(asset("styles/h5p.css"))}"><script>${STORAGE_SHIM}</script><script src="${esc(asset("main.bundle.js"))}"></script></head><body style="margin:0"><div id="h5p"></div><script type="application/json" id="h5p-config">${scriptJson(config)}</script><script>${BRIDGE}</script></body></html>`;
}

// The SCORM runtime's two small scripts. The bridge runs in the launch's runner document
// (/run?t=<token>, on the content origin) after scorm-again: it makes the one API of the launch,
// `window.API` (1.2) or `window.API_1484_11` (2004), around the SCO's frame, as an LMS does. The
// frame script goes first into every HTML document of the package: there the same names are
// properties that read the API of the nearest window above that has one, so content that looks in
// its own window finds it too, a package's own `var API = null;` cannot hide it (the ADL wrapper
// declares one), and every frame of the package talks to the one API (frames of the content
// origin can reach each other).
//
// Loading the saved data: the SCO's LMSInitialize / Initialize first fetches the learner's state
// with a synchronous request, then initializes. Real packages call LMSInitialize from a load
// handler or an inline script and read cmi values right after it returns, with no way to wait, so
// the data has to be there when the call returns; a synchronous request inside that one call is
// what makes it so (and costs nothing in documents that never call it).
//
// Commits (LMSCommit/Commit, LMSFinish/Terminate) are synchronous PUTs, so the package's call
// returns "true" only once the Pi has the data on disk. While the page is going away (the learner
// taps back, another SCO, a link) browsers refuse synchronous requests: then the same PUT goes as
// fetch(..., {keepalive: true}), and pagehide commits whatever was not committed. A lesson that
// sets values and never commits is committed 30 s after its last change (scorm-again's
// autocommit), so a phone that dies mid-lesson loses at most that.
import { createHash } from "node:crypto";

const SOURCE = `(function () {
  "use strict";
  var script = document.currentScript;
  var version = script && script.getAttribute("data-scorm") === "2004" ? "2004" : "1.2";
  var token = new URLSearchParams(location.search).get("t");
  var Api = version === "2004" ? window.Scorm2004API : window.Scorm12API;
  if (location.pathname !== "/run" || !token || !Api) return;
  var url = "/api/launch/" + encodeURIComponent(token) + "/scorm/state";
  var leaving = false;
  function put(commit, terminate) {
    var body = JSON.stringify({ cmi: commit && commit.cmi, terminate: !!terminate });
    if (!leaving) {
      try {
        var xhr = new XMLHttpRequest();
        xhr.open("PUT", url, false);
        xhr.setRequestHeader("Content-Type", "application/json");
        xhr.send(body);
        if (xhr.status !== 0) return xhr.status >= 200 && xhr.status < 300;
      } catch (e) {}
    }
    try {
      fetch(url, { method: "PUT", body: body, keepalive: true, headers: { "Content-Type": "application/json" } });
      return true;
    } catch (e) {
      return false;
    }
  }
  var api = new Api({
    lmsCommitUrl: url,
    autocommit: true,
    autocommitSeconds: 30,
    logLevel: 5,
    dataCommitFormat: "json",
    sendFullCommit: true,
    httpService: {
      processHttpRequest: function (_url, params, immediate) {
        var ok = put(params, immediate);
        return { result: ok ? "true" : "false", errorCode: ok ? 0 : 101 };
      },
      updateSettings: function () {}
    }
  });
  var names = version === "2004"
    ? { global: "API_1484_11", init: "Initialize", commit: "Commit" }
    : { global: "API", init: "LMSInitialize", commit: "LMSCommit" };
  var loaded = false;
  var initialize = api[names.init];
  api[names.init] = function () {
    if (!loaded) {
      loaded = true;
      try {
        var xhr = new XMLHttpRequest();
        xhr.open("GET", url, false);
        xhr.send();
        if (xhr.status === 200) api.loadFromFlattenedJSON(JSON.parse(xhr.responseText).cmi);
      } catch (e) {}
    }
    return initialize.apply(api, arguments);
  };
  Object.defineProperty(window, names.global, { get: function () { return api; }, set: function () {}, configurable: false });
  function away() {
    leaving = true;
  }
  addEventListener("beforeunload", away);
  addEventListener("pagehide", function () {
    away();
    if (api.isInitialized() && !api.isTerminated()) api[names.commit]("");
  });
})();
`;

/** In a package document: API / API_1484_11 read the nearest one above (the runner's in the end). */
const FRAME_SOURCE = `(function () {
  "use strict";
  var script = document.currentScript;
  var name = script && script.getAttribute("data-scorm") === "2004" ? "API_1484_11" : "API";
  if (window.parent === window) return;
  function above() {
    try {
      return window.parent[name] || null;
    } catch (e) {
      return null;
    }
  }
  Object.defineProperty(window, name, { get: above, set: function () {}, configurable: false });
})();
`;

const hash = (source: string) => createHash("sha256").update(source).digest("hex").slice(0, 12);

/** Where the runner loads the bridge from: a new URL whenever the script changes. */
export const BRIDGE_URL = `/assets/players/handcarry-scorm-bridge-${hash(SOURCE)}.js`;
export const BRIDGE_SOURCE = SOURCE;

/** The frame script's hash: part of the package's URLs, since every document of it names the script. */
export const FRAME_HASH = hash(FRAME_SOURCE);
export const FRAME_URL = `/assets/players/handcarry-scorm-frame-${FRAME_HASH}.js`;
export const FRAME_SOURCE_TEXT = FRAME_SOURCE;

// How the content origin serves a SCORM launch. Its runner document (/run?t=<token>) holds
// scorm-again and the bridge (bridge.ts), so the API is in the window around the SCO's frame as
// in any LMS; every HTML document of the package gets the frame script first in its head, so
// content that looks for the API in its own window finds the runner's. A SCORM launch carries
// the SCO it opened (its version, file, launch data and mastery score) so the runner and the
// state API need nothing else.
import type { ScormSco, ScormVersion } from "../../readers/scorm/index.js";
import { currentFrame } from "../frame.js";
import { type Launch, type Launches, launchUrl } from "../launches.js";
import { esc } from "../pages/layout.js";
import type { PackagePlayer } from "../routers/packages.js";
import { runtimeUrl } from "./assets.js";
import { BRIDGE_URL, FRAME_HASH, FRAME_URL } from "./bridge.js";

export const SCORM_KIND = "scorm";

export interface ScoLaunch {
  version: ScormVersion;
  sco: Pick<ScormSco, "id" | "launchData" | "masteryScore" | "file" | "query">;
}

type ScormLaunch = Launch & { scorm: ScoLaunch };

export function openScormLaunch(
  launches: Launches,
  init: Omit<Launch, "token" | "openedAt" | "kind" | "filesTag">,
  scorm: ScoLaunch,
): Launch {
  const withSco: Omit<ScormLaunch, "token" | "openedAt"> = {
    ...init,
    kind: SCORM_KIND,
    filesTag: FRAME_HASH,
    scorm,
  };
  return launches.open(withSco);
}

/** The SCO a SCORM launch opened, or null for any other launch. */
export function scoOf(launch: Launch): ScoLaunch | null {
  return launch.kind === SCORM_KIND && "scorm" in launch ? (launch as ScormLaunch).scorm : null;
}

/** Put the frame script right after <head> (else after <html>, else before everything but the doctype). */
export function injectFrameScript(html: string, version: ScormVersion): string {
  const tags = `<script src="${FRAME_URL}" data-scorm="${version}"></script>`;
  const head = /<head(?:\s[^>]*)?>/i.exec(html);
  const at = head ?? /<html(?:\s[^>]*)?>/i.exec(html) ?? /^\s*<!doctype[^>]*>/i.exec(html);
  if (!at) return tags + html;
  const end = at.index + at[0].length;
  return html.slice(0, end) + tags + html.slice(end);
}

/** The runner: the runtime, then the SCO in a frame filling the player's. */
function runner(launch: Launch, sco: ScoLaunch): string {
  const src = launchUrl(launch, sco.sco.file) + sco.sco.query;
  return `<!doctype html><html lang="${esc(currentFrame().t.locale)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>SCORM</title><style>html,body{margin:0;height:100%}iframe{display:block;width:100%;height:100%;border:0}</style><script src="${runtimeUrl(sco.version)}"></script><script src="${BRIDGE_URL}" data-scorm="${sco.version}"></script></head><body><iframe name="sco" src="${esc(src)}" allow="fullscreen"></iframe></body></html>`;
}

export const scormPlayer: PackagePlayer = {
  runner(launch) {
    const sco = scoOf(launch);
    if (!sco) throw new Error("not a SCORM launch");
    return runner(launch, sco);
  },
  transformHtml(html, launch) {
    const sco = scoOf(launch);
    return sco ? injectFrameScript(html, sco.version) : html;
  },
};

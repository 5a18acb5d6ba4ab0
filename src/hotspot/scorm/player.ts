// How /pkg/ serves a SCORM launch: every HTML document of the package gets scorm-again and the
// bridge (bridge.ts) as the first scripts of its head, so the content finds the API in its own
// window before any of its own scripts run. A SCORM launch carries the SCO it opened (its
// version, launch data and mastery score) so the page rewriting and the state API need nothing
// else.
import type { ScormSco, ScormVersion } from "../../readers/scorm/index.js";
import type { Launch, Launches } from "../launches.js";
import type { PackagePlayer } from "../routers/packages.js";
import { runtimeUrl } from "./assets.js";
import { BRIDGE_URL } from "./bridge.js";

export const SCORM_KIND = "scorm";

export interface ScoLaunch {
  version: ScormVersion;
  sco: Pick<ScormSco, "id" | "launchData" | "masteryScore">;
}

type ScormLaunch = Launch & { scorm: ScoLaunch };

export function openScormLaunch(
  launches: Launches,
  init: Omit<Launch, "token" | "openedAt" | "kind">,
  scorm: ScoLaunch,
): Launch {
  const withSco: Omit<ScormLaunch, "token" | "openedAt"> = { ...init, kind: SCORM_KIND, scorm };
  return launches.open(withSco);
}

/** The SCO a SCORM launch opened, or null for any other launch. */
export function scoOf(launch: Launch): ScoLaunch | null {
  return launch.kind === SCORM_KIND && "scorm" in launch ? (launch as ScormLaunch).scorm : null;
}

/** The script tags that go first in every document of a SCORM launch. */
export function runtimeTags(version: ScormVersion): string {
  return `<script src="${runtimeUrl(version)}"></script><script src="${BRIDGE_URL}" data-scorm="${version}"></script>`;
}

/** Put the runtime right after <head> (else after <html>, else before everything but the doctype). */
export function injectRuntime(html: string, version: ScormVersion): string {
  const tags = runtimeTags(version);
  const head = /<head(?:\s[^>]*)?>/i.exec(html);
  const at = head ?? /<html(?:\s[^>]*)?>/i.exec(html) ?? /^\s*<!doctype[^>]*>/i.exec(html);
  if (!at) return tags + html;
  const end = at.index + at[0].length;
  return html.slice(0, end) + tags + html.slice(end);
}

export const scormPlayer: PackagePlayer = {
  transformHtml(html, launch) {
    const sco = scoOf(launch);
    return sco ? injectRuntime(html, sco.version) : html;
  },
};

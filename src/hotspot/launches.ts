// A launch: one learner opening one package activity. Its random token is the iframe's path
// (/pkg/<token>/…), so every relative link in the package keeps it, and the runtime inside
// the package calls /api/launch/<token>/<kind>/… with it. The token is the only key to that
// learner's data for that activity: a package cannot reach another learner or activity.
// Kept in memory: after a restart, reloading the player page opens a new launch.
import { randomBytes } from "node:crypto";
import type { Context } from "koa";
import type { Learner } from "./frame.js";
import { corsHeaders, scriptError } from "./sandbox.js";
import type { ServedCourse } from "./types.js";

export interface Launch {
  token: string;
  /** The player that opened it ("h5p", "scorm", …): chooses the HTML rewriting and the API. */
  kind: string;
  learner: Learner | null;
  course: ServedCourse;
  activityId: string;
  /** Absolute directory inside the course's tree (or an extraction of it) that /pkg/<token>/ serves. */
  root: string;
  openedAt: number;
}

const TOKEN = /^[A-Za-z0-9_-]{22}$/;

export class Launches {
  private readonly byToken = new Map<string, Launch>();

  /** Up to `max` launches are kept, each for `ttlMs` (a school day by default). */
  constructor(
    private readonly max = 2000,
    private readonly ttlMs = 12 * 3600_000,
  ) {}

  open(init: Omit<Launch, "token" | "openedAt">): Launch {
    const launch: Launch = { ...init, token: randomBytes(16).toString("base64url"), openedAt: Date.now() };
    if (this.byToken.size >= this.max) this.byToken.delete(this.byToken.keys().next().value as string);
    this.byToken.set(launch.token, launch);
    return launch;
  }

  get(token: string): Launch | undefined {
    if (!TOKEN.test(token)) return undefined;
    const launch = this.byToken.get(token);
    if (launch && Date.now() - launch.openedAt > this.ttlMs) {
      this.byToken.delete(token);
      return undefined;
    }
    return launch;
  }
}

/** The URL of a file of the launched package (path relative to its root, "/"-separated). */
export function launchUrl(launch: Launch, path = ""): string {
  return `/pkg/${launch.token}/${path.split("/").map(encodeURIComponent).join("/")}`;
}

/** The launch a launch-API request names (`ctx.params.token`), with CORS set: 404 unknown, 403 other kind. */
export function launchApi(ctx: Context, launches: Launches, kind: string): Launch {
  corsHeaders(ctx);
  const launch = launches.get(String(ctx.params.token ?? ""));
  if (!launch) throw scriptError(404, "This activity was opened too long ago: open it again.");
  if (launch.kind !== kind) throw scriptError(403, "This launch is for another kind of activity.");
  return launch;
}

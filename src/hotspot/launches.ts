// A launch: one learner opening one package activity. The player page frames its runner
// document (/run?t=<token>, on the content origin), which holds the runtime (the H5P player,
// the SCORM API) and calls /api/launch/<token>/<kind>/… with the token. The token is the only
// key to that learner's data for that activity: a package cannot reach another learner or
// activity. The package's own files are not under the token: they are under the course's
// content hash (/p/<player>/<course>/<hash>/<activity>/…), the same for every launch, so a phone keeps
// them for good. Kept in memory: after a restart, reloading the player page opens a new launch.
import { randomBytes } from "node:crypto";
import type { Context } from "koa";
import type { Learner } from "./frame.js";
import { scriptError } from "./sandbox.js";
import type { ServedCourse } from "./types.js";

export interface Launch {
  token: string;
  /** The player that opened it ("h5p", "scorm", …): chooses the HTML rewriting and the API. */
  kind: string;
  learner: Learner | null;
  course: ServedCourse;
  activityId: string;
  /** Absolute directory inside the course's tree (or an extraction of it) that its package URL serves. */
  root: string;
  /** What the player's rewriting of the package's HTML depends on (a script's hash): part of its URLs. */
  filesTag?: string;
  openedAt: number;
}

const TOKEN = /^[A-Za-z0-9_-]{22}$/;

/** At most this many packages are known by their URL (each player page opened registers its own). */
const MAX_PACKAGES = 500;

export class Launches {
  private readonly byToken = new Map<string, Launch>();
  /** The newest launch of each package, by its packageBase: what /p/ serves its files from. */
  private readonly byPackage = new Map<string, Launch>();

  /** Up to `max` launches are kept, each for `ttlMs` (a school day by default). */
  constructor(
    private readonly max = 2000,
    private readonly ttlMs = 12 * 3600_000,
  ) {}

  open(init: Omit<Launch, "token" | "openedAt">): Launch {
    const launch: Launch = { ...init, token: randomBytes(16).toString("base64url"), openedAt: Date.now() };
    if (this.byToken.size >= this.max) this.byToken.delete(this.byToken.keys().next().value as string);
    this.byToken.set(launch.token, launch);
    const base = packageBase(launch);
    this.byPackage.delete(base);
    if (this.byPackage.size >= MAX_PACKAGES)
      this.byPackage.delete(this.byPackage.keys().next().value as string);
    this.byPackage.set(base, launch);
    return launch;
  }

  /** The newest launch of the package whose files are under `base` (a packageBase). */
  ofPackage(base: string): Launch | undefined {
    return this.byPackage.get(base);
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

const seg = encodeURIComponent;

/**
 * Where a package's files are on the content origin: by player (and what its rewriting of them
 * depends on), course, content hash and activity, so the URL changes exactly when what is
 * served there does, and the phone may keep the files for good.
 */
export function packageBase(launch: Pick<Launch, "kind" | "filesTag" | "course" | "activityId">): string {
  const player = launch.filesTag ? `${launch.kind}.${launch.filesTag}` : launch.kind;
  return `/p/${seg(player)}/${seg(launch.course.id)}/${seg(launch.course.contentHash)}/${seg(launch.activityId)}/`;
}

/** The URL of a file of the launched package (path relative to its root, "/"-separated). */
export function launchUrl(launch: Launch, path = ""): string {
  return packageBase(launch) + path.split("/").map(seg).join("/");
}

/** The runner document of a launch: the one URL that names its token. */
export function runnerUrl(launch: Launch): string {
  return `/run?t=${launch.token}`;
}

/** The launch a launch-API request names (`ctx.params.token`): 404 unknown, 403 other kind. */
export function launchApi(ctx: Context, launches: Launches, kind: string): Launch {
  const launch = launches.get(String(ctx.params.token ?? ""));
  if (!launch) throw scriptError(404, "This activity was opened too long ago: open it again.");
  if (launch.kind !== kind) throw scriptError(403, "This launch is for another kind of activity.");
  return launch;
}

// H5P on the hotspot: the player page (/c/<course>/h5p/<activity>, main origin) for an H5P
// course's content and for a Moodle h5pactivity (its .h5p unzipped once beside the installed
// tree); on the content origin the player's npm files and the launch API that keeps each xAPI
// statement the package emits.
import { dirname, join } from "node:path";
import type Router from "@koa/router";
import RouterClass from "@koa/router";
import type { Context } from "koa";
import { koaBody } from "koa-body";
import { extractH5p, type H5pActivity, readH5pPackage } from "../../readers/h5p/index.js";
import { type FileLink, ReaderError } from "../../readers/index.js";
import type { MoodleActivity } from "../../readers/moodle/model.js";
import { CourseTree } from "../../readers/tree.js";
import { activityIri, renameActivities } from "../../records/index.js";
import type { Store } from "../../store/index.js";
import type { CourseAccess } from "../courses.js";
import { hotspotError } from "../errors.js";
import { currentFrame } from "../frame.js";
import { checkStatement, H5pStatementStore, h5pObjectIri } from "../h5p-statements.js";
import { type Launches, launchApi, runnerUrl } from "../launches.js";
import type { HotspotOrigins } from "../origins.js";
import { h5pDocument, h5pPlayerPage } from "../pages/h5p.js";
import { keepForPlayer } from "../records.js";
import { html } from "../respond.js";
import type { PackagePlayer } from "../routers/packages.js";
import { playerAssetsRouter, scriptError } from "../sandbox.js";
import type { LearnerRecords, ServedCourse } from "../types.js";

/** How the content origin serves an H5P launch: the generated runner document. */
export const h5pPlayer: PackagePlayer = { runner: (launch) => h5pDocument(launch) };

/** A statement is a few KB; H5P's largest (a long essay answer) stays well under this. */
const STATEMENT_LIMIT = "64kb";
const statementBody = koaBody({
  json: true,
  text: true,
  urlencoded: false,
  multipart: false,
  jsonLimit: STATEMENT_LIMIT,
  textLimit: STATEMENT_LIMIT,
});

/** Where a course's .h5p files are unzipped: beside its tree, so they go when the version goes. */
export function h5pCacheDir(course: ServedCourse): string {
  return join(dirname(course.treePath), "h5p-packages");
}

interface Playable {
  name: string;
  root: string;
  download: FileLink | null;
}

/** The package folder an activity plays, checked; HttpError when it has none or it is broken. */
async function playable(courses: CourseAccess, course: ServedCourse, activityId: string): Promise<Playable> {
  const model = await courses.read(course);
  if (!model) throw hotspotError(404, "error.noActivities");
  try {
    const a = (await model.activity(activityId)) as MoodleActivity | H5pActivity;
    if (a.type === "h5p") return { name: a.name, root: a.root, download: null };
    const pkg = a.type === "h5pactivity" ? a.package : null;
    if (!pkg) throw hotspotError(404, "error.noH5pPackage");
    const file = await model.resolveFile(pkg.key);
    const root = await extractH5p(file.path, h5pCacheDir(course), pkg.filename);
    await readH5pPackage(new CourseTree(root));
    return { name: a.name, root, download: pkg };
  } catch (err) {
    if (!(err instanceof ReaderError)) throw err;
    if (err.code === "not-found") throw hotspotError(404, "error.noSuchActivity");
    throw hotspotError(422, "error.cannotShowActivity", { reason: err.message });
  }
}

/** The player page, on the main origin. */
export function h5pRouter(courses: CourseAccess, launches: Launches, origins: HotspotOrigins): Router {
  const router = new RouterClass();

  router.get("/c/:id/h5p/:aid", async (ctx) => {
    const course = await courses.get(ctx.params.id!);
    const { name, root, download } = await playable(courses, course, ctx.params.aid!);
    const learner = currentFrame().learner;
    const launch = launches.open({ kind: "h5p", learner, course, activityId: ctx.params.aid!, root });
    const page = h5pPlayerPage({
      courseId: course.id,
      courseTitle: course.title,
      activityName: name,
      frameUrl: origins.contentUrl(ctx) + runnerUrl(launch),
      download,
    });
    html(ctx, page, 200, { frames: origins.contentUrl(ctx) });
  });
  return router;
}

function h5pLaunchRouter(
  launches: Launches,
  statements: H5pStatementStore | null,
  records: LearnerRecords | undefined,
): Router {
  const router = new RouterClass();

  router.post("/api/launch/:token/h5p/xapi", statementBody, async (ctx: Context) => {
    const launch = launchApi(ctx, launches, "h5p");
    if (!statements) throw scriptError(503, "Answers cannot be kept on this server.");
    const checked = checkStatement(parseBody(ctx.request.body));
    if (!checked.ok) throw scriptError(400, checked.error);
    const place = {
      courseId: launch.course.id,
      contentHash: launch.course.contentHash,
      activityId: launch.activityId,
    };
    // Into the learner's records first (durably): a statement the outbox refuses is not kept.
    if (records) {
      const stable = activityIri(records.origin().masterUrl, place.courseId, place.activityId);
      const named = renameActivities(
        checked.statement,
        h5pObjectIri(place.courseId, place.activityId),
        stable,
      );
      if (!(await keepForPlayer(ctx, () => records.recordStatement(launch.learner, named, place)))) return;
    }
    const record = await statements.add(place, launch.learner, checked.statement);
    ctx.body = { id: record.id, at: record.at };
  });

  return router;
}

/** The body as the bridge sends it (text/plain JSON) or as a client may (application/json). */
function parseBody(body: unknown): unknown {
  if (typeof body !== "string") return body;
  try {
    return JSON.parse(body);
  } catch {
    throw scriptError(400, "not an xAPI statement: the body is not JSON");
  }
}

/** What H5P adds to the content origin: the player's npm files (immutable) and the launch API. */
export function h5pContentRouters(
  launches: Launches,
  store: Store | undefined,
  records?: LearnerRecords,
): Router[] {
  return [
    playerAssetsRouter("h5p-standalone", "dist"),
    h5pLaunchRouter(launches, store ? new H5pStatementStore(store) : null, records),
  ];
}

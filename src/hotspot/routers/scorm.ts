// SCORM on the hotspot: the player page (/c/<course>/scorm/<activity>[/<sco>], main origin);
// on the content origin the runtime's files (scorm-again from node_modules and the bridge,
// immutable) and the launch API the bridge calls from the runner: GET …/scorm/state gives a new
// session the learner's saved data, PUT …/scorm/state keeps a commit (checked and bounded) on
// disk before answering.
import Router from "@koa/router";
import type { Context } from "koa";
import { rawBody } from "../../http/body.js";
import { HttpError } from "../../http/errors.js";
import { ReaderError } from "../../readers/index.js";
import { scormCommitStatements } from "../../records/index.js";
import type { Store } from "../../store/index.js";
import type { CourseAccess } from "../courses.js";
import { hotspotError } from "../errors.js";
import { currentFrame } from "../frame.js";
import { type Launch, type Launches, launchApi, runnerUrl } from "../launches.js";
import type { HotspotOrigins } from "../origins.js";
import { scormPage } from "../pages/scorm.js";
import { keepForPlayer, recorder } from "../records.js";
import { html } from "../respond.js";
import { scriptError } from "../sandbox.js";
import { scormAssetsRouter } from "../scorm/assets.js";
import { CmiError, checkCommit, MAX_COMMIT_BYTES, resumeValues } from "../scorm/cmi.js";
import { scormPackageOf } from "../scorm/package.js";
import { openScormLaunch, SCORM_KIND, type ScoLaunch, scoOf } from "../scorm/player.js";
import { type ScoPlace, ScormStore } from "../scorm/state.js";
import type { LearnerRecords } from "../types.js";

const STATE = "/api/launch/:token/scorm/state";

/** The player page, on the main origin. */
export function scormRouter(
  courses: CourseAccess,
  launches: Launches,
  cacheDir: string,
  origins: HotspotOrigins,
): Router {
  const router = new Router();

  router.get(["/c/:id/scorm/:aid", "/c/:id/scorm/:aid/:sco"], async (ctx) => {
    const course = await courses.get(ctx.params.id!);
    const reader = await courses.read(course);
    if (!reader) throw hotspotError(404, "error.noActivities");
    const opened = await scormPackageOf(reader, ctx.params.aid!, cacheDir).catch((err: unknown) => {
      if (!(err instanceof ReaderError)) throw err;
      if (err.code === "not-found") throw hotspotError(404, "error.noSuchActivity");
      throw hotspotError(422, "error.cannotShowActivity", { reason: err.message });
    });
    const { pkg } = opened;
    const sco = ctx.params.sco ? pkg.scos.find((s) => s.id === ctx.params.sco) : pkg.scos[0];
    if (ctx.params.sco && !sco) throw hotspotError(404, "error.noSuchPart");
    const launch = sco
      ? openScormLaunch(
          launches,
          { learner: currentFrame().learner, course, activityId: opened.activity.id, root: opened.root },
          {
            version: pkg.version,
            sco: {
              id: sco.id,
              file: sco.file,
              query: sco.query,
              launchData: sco.launchData,
              masteryScore: sco.masteryScore,
            },
          },
        )
      : null;
    html(
      ctx,
      scormPage({
        courseId: course.id,
        courseTitle: course.title,
        activityId: opened.activity.id,
        name: opened.activity.name,
        introHtml: opened.activity.introHtml,
        toc: pkg.toc,
        scoCount: pkg.scos.length,
        currentScoId: sco?.id ?? null,
        frameUrl: launch ? origins.contentUrl(ctx) + runnerUrl(launch) : null,
      }),
      200,
      { frames: origins.contentUrl(ctx) },
    );
  });
  return router;
}

/** The runtime's files and the launch API, on the content origin. */
export function scormContentRouter(
  launches: Launches,
  db: Store | undefined,
  records?: LearnerRecords,
): Router {
  const router = new Router();
  const store = db ? new ScormStore(db) : undefined;
  const record = recorder(records);

  router.use(scormAssetsRouter().routes());

  const placeOf = (ctx: Context): { launch: Launch; sco: ScoLaunch; place: ScoPlace } => {
    const launch = launchApi(ctx, launches, SCORM_KIND);
    const sco = scoOf(launch);
    if (!sco) throw scriptError(404, "This activity was opened too long ago: open it again.");
    ctx.set("Cache-Control", "no-store");
    const place: ScoPlace = {
      courseId: launch.course.id,
      contentHash: launch.course.contentHash,
      activityId: launch.activityId,
      scoId: sco.sco.id,
      learnerKey: launch.learner?.id ?? `launch:${launch.token}`,
    };
    return { launch, sco, place };
  };

  const kept = (): ScormStore => {
    if (!store) throw scriptError(503, "Progress cannot be kept on this server.");
    return store;
  };

  router.get(STATE, async (ctx) => {
    const { launch, sco, place } = placeOf(ctx);
    const record = await kept().state(place);
    ctx.body = {
      version: sco.version,
      cmi: resumeValues({
        version: sco.version,
        learnerId: launch.learner?.id ?? "guest",
        learnerName: launch.learner?.name ?? "",
        last: record ? { cmi: record.cmi, summary: record.summary } : null,
        totalSeconds: ScormStore.totalSeconds(record),
        launchData: sco.sco.launchData,
        masteryScore: sco.sco.masteryScore,
      }),
    };
  });

  router.put(STATE, async (ctx) => {
    const { launch, sco, place } = placeOf(ctx);
    const raw = await rawBody(ctx, MAX_COMMIT_BYTES).catch((err: unknown) => {
      if (!(err instanceof HttpError) || err.status !== 413) throw err;
      throw scriptError(
        413,
        `The lesson's saved data is larger than ${MAX_COMMIT_BYTES} bytes; it was not kept.`,
      );
    });
    let body: unknown;
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch {
      throw scriptError(400, "The lesson's saved data is not JSON; it was not kept.");
    }
    let checked: ReturnType<typeof checkCommit>;
    try {
      checked = checkCommit(sco.version, body);
    } catch (err) {
      if (err instanceof CmiError) throw scriptError(400, `${err.message}; it was not kept.`);
      throw err;
    }
    const terminated = (body as { terminate?: unknown }).terminate === true;
    if (records) {
      // The learner's records first (durably): a commit the outbox refuses is not kept either.
      const before = (await kept().state(place))?.summary ?? null;
      const statements = scormCommitStatements(
        record.place(launch.course, { id: launch.activityId }),
        launch.learner,
        { ...checked.summary, scoId: place.scoId, at: new Date().toISOString(), terminated },
        before,
      );
      if (!(await keepForPlayer(ctx, () => records.keep(launch.learner, statements)))) return;
    }
    await kept().commit(place, {
      version: sco.version,
      learner: launch.learner,
      token: launch.token,
      ...checked,
      terminated,
    });
    ctx.status = 204;
  });

  return router;
}

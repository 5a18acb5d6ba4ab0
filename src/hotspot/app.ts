// The learners' web app on the hotspot (Koa): one router per resource, assembled here.
// Phones on the hotspot have no internet: every page is self-contained, and course HTML is
// shown only under a no-script policy (respond.ts).
//
//   routers/courses.ts  the course list, a course's front door, downloads, captive probes
//   routers/cartridge.ts IMS Common Cartridge and content package activities, their quizzes
//   routers/moodle.ts   Moodle activities and the files of every course's pages
//   routers/files.ts    the file browser of any course tree
//   routers/status.ts   /status and /api/status
//   routers/admin.ts    the password-protected admin area
//   routers/grading.ts  the teacher's read-only list of answers kept for later grading
//   routers/learner.ts  the learner's name and class code
//   assets.ts           the stylesheet, cached for good under its hash
//
// Course packages (H5P, SCORM) run on a second app, the content origin: another port of the
// same host (origins.ts, sandbox.ts). It serves only their files, the players' files, the
// launches' runner documents and the launch API; the main app refuses anything it sends.
//   routers/packages.ts /run?t=<launch> and /p/…: runners and package files (launches.ts);
//                       each player (H5P, SCORM) adds its PLAYERS entry and content router
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Router from "@koa/router";
import Koa from "koa";
import { catchErrors } from "../http/errors.js";
import type { ConnectionLimits } from "../http/limits.js";
import { listen, type RunningServer } from "../http/listen.js";
import { assetsRouter } from "./assets.js";
import { AnswerStore } from "./attempts.js";
import { LoginThrottle } from "./auth.js";
import { courseAccess } from "./courses.js";
import { hotspotError, renderContentError, renderError } from "./errors.js";
import { frameMiddleware } from "./frame.js";
import { Launches } from "./launches.js";
import { HotspotOrigins } from "./origins.js";
import { adminRouter } from "./routers/admin.js";
import { cartridgeRouter } from "./routers/cartridge.js";
import { coursesRouter } from "./routers/courses.js";
import { filesRouter } from "./routers/files.js";
import { gradingRouter } from "./routers/grading.js";
import { h5pContentRouters, h5pPlayer, h5pRouter } from "./routers/h5p.js";
import { learnerRouter } from "./routers/learner.js";
import { moodleRouter } from "./routers/moodle.js";
import { type PackagePlayer, packagesRouter } from "./routers/packages.js";
import { scormContentRouter, scormRouter } from "./routers/scorm.js";
import { statusRouter } from "./routers/status.js";
import { contentGuard, sandboxGuard } from "./sandbox.js";
import { scormPlayer } from "./scorm/player.js";
import type { HotspotAppOptions } from "./types.js";

export type { AdminAuth } from "./auth.js";
export { publicStatus } from "./routers/status.js";
export type * from "./types.js";

/** The hotspot's two apps (main and content origin) and the ports they were bound to. */
export interface HotspotApps {
  main: Koa;
  content: Koa;
  origins: HotspotOrigins;
}

export function createHotspotApp(o: HotspotAppOptions): HotspotApps {
  const main = new Koa();
  const content = new Koa();
  const origins = new HotspotOrigins();
  const courses = courseAccess(o.courses);
  const answers = o.store ? new AnswerStore(o.store) : undefined;
  const launches = new Launches();
  /** Package players by launch kind (h5p, scorm, …): how the content origin serves their launches. */
  const PLAYERS: Record<string, PackagePlayer> = {
    h5p: h5pPlayer,
    scorm: scormPlayer,
  };

  // The frame first: an error page is in the learner's language too.
  main.use(frameMiddleware(() => o.control.defaultLocale()));
  main.use(catchErrors({ onError: o.onError, render: renderError }));
  main.use(sandboxGuard());
  const ROUTERS = [
    assetsRouter(),
    learnerRouter(),
    coursesRouter(o.courses, courses, o.control),
    cartridgeRouter(courses, answers),
    moodleRouter(courses, answers, o.records),
    gradingRouter(courses, answers, o.auth),
    filesRouter(courses),
    statusRouter(o.control, o.auth),
    adminRouter(o.control, o.auth, o.throttle ?? new LoginThrottle()),
    scormRouter(courses, launches, o.packageCacheDir ?? join(tmpdir(), "handcarry-packages"), origins),
    h5pRouter(courses, launches, origins),
  ];
  use(main, ROUTERS);
  main.use(async (ctx) => {
    if (ctx.status === 404 && ctx.body === undefined && ctx.respond !== false)
      throw hotspotError(404, "error.notFound");
  });

  content.use(frameMiddleware(() => o.control.defaultLocale(), { content: true }));
  content.use(catchErrors({ onError: o.onError, render: renderContentError }));
  content.use(contentGuard());
  const CONTENT_ROUTERS = [
    packagesRouter(launches, PLAYERS),
    scormContentRouter(launches, o.store, o.records),
    ...h5pContentRouters(launches, o.store, o.records),
  ];
  use(content, CONTENT_ROUTERS);
  content.use(async (ctx) => {
    if (ctx.status === 404 && ctx.body === undefined) {
      ctx.status = 404;
      ctx.type = "text/plain; charset=utf-8";
      ctx.body = "Not found.";
    }
  });
  return { main, content, origins };
}

function use(app: Koa, routers: Router[]): void {
  for (const router of routers) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
}

export interface RunningHotspot extends RunningServer {
  /** The content origin, e.g. http://127.0.0.1:8080. */
  contentUrl: string;
  contentServer: RunningServer["server"];
}

/** A listen error, with the port that could not be had. */
export type ListenError = NodeJS.ErrnoException & { port: number; which: "main" | "content" };

/**
 * Listen for both apps on the same addresses: the content origin first (its port, random with 0,
 * goes into the player pages), then the main one. Each has its own connection caps. Fails with
 * a ListenError.
 */
export async function listenHotspot(
  apps: HotspotApps,
  host: string,
  ports: { main: number; content: number },
  limits: Partial<ConnectionLimits> = {},
): Promise<RunningHotspot> {
  const failed = (which: ListenError["which"]) => (err: unknown) => {
    throw Object.assign(err as Error, { port: ports[which], which });
  };
  const content = await listen(apps.content, host, ports.content, limits).catch(failed("content"));
  let main: RunningServer;
  try {
    main = await listen(apps.main, host, ports.main, limits).catch(failed("main"));
  } catch (err) {
    await content.close();
    throw err;
  }
  apps.origins.contentPort = Number(new URL(content.url).port);
  return {
    ...main,
    contentUrl: content.url,
    contentServer: content.server,
    close: async () => {
      await Promise.all([main.close(), content.close()]);
    },
  };
}

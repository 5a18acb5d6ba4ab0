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
//   routers/packages.ts /pkg/<launch>/…: a package's files in the sandbox (sandbox.ts,
//                       launches.ts); each player (H5P, SCORM) adds its router and PLAYERS entry
//   routers/learner.ts  the learner's name and class code
//   assets.ts           the stylesheet, cached for good under its hash
import { tmpdir } from "node:os";
import { join } from "node:path";
import Koa from "koa";
import { catchErrors } from "../http/errors.js";
import { assetsRouter } from "./assets.js";
import { AnswerStore } from "./attempts.js";
import { LoginThrottle } from "./auth.js";
import { courseAccess } from "./courses.js";
import { hotspotError, renderError } from "./errors.js";
import { frameMiddleware } from "./frame.js";
import { Launches } from "./launches.js";
import { adminRouter } from "./routers/admin.js";
import { cartridgeRouter } from "./routers/cartridge.js";
import { coursesRouter } from "./routers/courses.js";
import { filesRouter } from "./routers/files.js";
import { gradingRouter } from "./routers/grading.js";
import { h5pPlayer, h5pRouters } from "./routers/h5p.js";
import { learnerRouter } from "./routers/learner.js";
import { moodleRouter } from "./routers/moodle.js";
import { type PackagePlayer, packagesRouter } from "./routers/packages.js";
import { scormRouter } from "./routers/scorm.js";
import { statusRouter } from "./routers/status.js";
import { sandboxGuard } from "./sandbox.js";
import { scormPlayer } from "./scorm/player.js";
import type { HotspotAppOptions } from "./types.js";

export type { AdminAuth } from "./auth.js";
export { publicStatus } from "./routers/status.js";
export type * from "./types.js";

export function createHotspotApp(o: HotspotAppOptions): Koa {
  const app = new Koa();
  const courses = courseAccess(o.courses);
  const answers = o.store ? new AnswerStore(o.store) : undefined;

  // The frame first: an error page is in the learner's language too.
  app.use(frameMiddleware(() => o.control.defaultLocale()));
  app.use(catchErrors({ onError: o.onError, render: renderError }));
  app.use(sandboxGuard());
  const launches = new Launches();
  /** Package players by launch kind (h5p, scorm, …): how /pkg/ serves their documents. */
  const PLAYERS: Record<string, PackagePlayer> = {
    h5p: h5pPlayer,
    scorm: scormPlayer,
  };

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
    scormRouter(
      courses,
      launches,
      o.store,
      o.packageCacheDir ?? join(tmpdir(), "handcarry-packages"),
      o.records,
    ),
    packagesRouter(launches, PLAYERS),
    ...h5pRouters(courses, launches, o.store, o.records),
  ];
  for (const router of ROUTERS) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }

  app.use(async (ctx) => {
    if (ctx.status === 404 && ctx.body === undefined && ctx.respond !== false)
      throw hotspotError(404, "error.notFound");
  });
  return app;
}

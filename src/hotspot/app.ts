// The learners' web app on the hotspot (Koa): one router per resource, assembled here.
// Phones on the hotspot have no internet: every page is self-contained, and course HTML is
// shown only under a no-script policy (respond.ts).
//
//   routers/courses.ts  the course list, a course's front door, downloads, captive probes
//   routers/moodle.ts   Moodle activities and their files
//   routers/files.ts    the file browser of any course tree
//   routers/status.ts   /status and /api/status
//   routers/admin.ts    the password-protected admin area
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
import { frameMiddleware } from "./frame.js";
import { Launches } from "./launches.js";
import { errorPage } from "./pages/layout.js";
import { html } from "./respond.js";
import { adminRouter } from "./routers/admin.js";
import { coursesRouter } from "./routers/courses.js";
import { filesRouter } from "./routers/files.js";
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

  app.use(
    catchErrors({
      onError: o.onError,
      render(ctx, status, message) {
        if (ctx.path.startsWith("/api/")) ctx.body = { error: message ?? "internal error" };
        else if (ctx.path.startsWith("/pkg/")) ctx.body = message ?? "Something went wrong.";
        else html(ctx, errorPage(status, message ?? "Something went wrong."), status);
      },
    }),
  );

  app.use(sandboxGuard());
  app.use(frameMiddleware(() => o.control.defaultLocale()));
  const launches = new Launches();
  /** Package players by launch kind (h5p, scorm, …): how /pkg/ serves their documents. */
  const PLAYERS: Record<string, PackagePlayer> = {
    scorm: scormPlayer,
  };

  const ROUTERS = [
    assetsRouter(),
    learnerRouter(),
    coursesRouter(o.courses, courses, o.control),
    moodleRouter(courses, o.store ? new AnswerStore(o.store) : undefined),
    filesRouter(courses),
    statusRouter(o.control, o.auth),
    adminRouter(o.control, o.auth, o.throttle ?? new LoginThrottle()),
    scormRouter(courses, launches, o.store, o.packageCacheDir ?? join(tmpdir(), "handcarry-packages")),
    packagesRouter(launches, PLAYERS),
  ];
  for (const router of ROUTERS) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }

  app.use(async (ctx) => {
    if (ctx.status === 404 && ctx.body === undefined && ctx.respond !== false)
      html(ctx, errorPage(404, "Not found."), 404);
  });
  return app;
}

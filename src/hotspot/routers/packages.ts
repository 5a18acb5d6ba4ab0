// The content origin's package routes (sandbox.ts, origins.ts):
//   /run?t=<token>          a launch's runner document, made by its player (the H5P player, the
//                           SCORM API around the SCO's frame): per launch, never cached
//   /p/<player>/<course>/<hash>/<activity>/<path>
//                           the package's files, the same for every launch and learner, cached
//                           for good (the course's content hash is in the URL)
// HTML documents of a package pass through their player's rewriting (the same for every launch,
// so it is cached with them). Each request is answered in the sandbox.
import { stat } from "node:fs/promises";
import Router from "@koa/router";
import type { Context } from "koa";
import { requestSegments, resolveInRoot } from "../../http/request-path.js";
import type { Launch, Launches } from "../launches.js";
import { sendCourseFile } from "../respond.js";
import { IMMUTABLE, packageFileType, readPackageHtml, sandboxHeaders, scriptError } from "../sandbox.js";

export interface PackagePlayer {
  /** The launch's runner document, served at /run?t=<token>. */
  runner(launch: Launch): string;
  /** Rewrites every .html/.htm document of the package (only from what every launch of it shares). */
  transformHtml?(html: string, launch: Launch): string;
}

const HTML = /\.html?$/i;
const PACKAGE_PATH = /^(\/p\/[^/]+\/[^/]+\/[^/]+\/[^/]+\/)(.*)$/;
const STALE = "This activity was opened too long ago: open it again.";

export function packagesRouter(launches: Launches, players: Record<string, PackagePlayer>): Router {
  const router = new Router();

  router.get("/run", (ctx) => {
    sandboxHeaders(ctx);
    const launch = launches.get(String(ctx.query.t ?? ""));
    const player = launch && players[launch.kind];
    if (!launch || !player) throw scriptError(404, STALE);
    answerHtml(ctx, player.runner(launch), "no-store");
  });

  router.get(PACKAGE_PATH, async (ctx) => {
    sandboxHeaders(ctx);
    const [, base, rest] = PACKAGE_PATH.exec(ctx.path)!;
    // Known once a player page has opened the package (after a restart: when it is opened again).
    const launch = launches.ofPackage(base!);
    if (!launch) throw scriptError(404, STALE);
    const parts = requestSegments(rest!);
    if (!parts || parts.length === 0) throw scriptError(400, "Bad path.");
    const real = await resolveInRoot(launch.root, parts);
    if (!real || !(await stat(real)).isFile()) throw scriptError(404, "Not found.");
    const transform = players[launch.kind]?.transformHtml;
    if (HTML.test(real) && transform) {
      answerHtml(ctx, transform(await readPackageHtml(real), launch), IMMUTABLE);
      return;
    }
    ctx.set("Cache-Control", IMMUTABLE);
    await sendCourseFile(ctx, real, { "Content-Type": packageFileType(real) });
  });

  return router;
}

function answerHtml(ctx: Context, body: string, cacheControl: string): void {
  ctx.type = "text/html; charset=utf-8";
  ctx.set("Cache-Control", cacheControl);
  ctx.body = body;
}

// /pkg/<token>/<path>: the files of a launched package, each in the sandbox (sandbox.ts).
// HTML documents pass through their player's rewriting, so its runtime (the SCORM API, the
// H5P bridge) lives in the package's own window; a player may also generate the document at
// the package's root.
import { stat } from "node:fs/promises";
import Router from "@koa/router";
import type { Context } from "koa";
import { requestSegments, resolveInRoot } from "../../http/request-path.js";
import type { Launch, Launches } from "../launches.js";
import { sendCourseFile } from "../respond.js";
import { packageFileType, readPackageHtml, sandboxHeaders, scriptError } from "../sandbox.js";

export interface PackagePlayer {
  /** Rewrites every .html/.htm document of the package served for this player. */
  transformHtml?(html: string, launch: Launch): string;
  /** A document of the player's own, served at /pkg/<token>/. */
  index?(launch: Launch): string;
}

const HTML = /\.html?$/i;

export function packagesRouter(launches: Launches, players: Record<string, PackagePlayer>): Router {
  const router = new Router();

  router.get(/^\/pkg\/([^/]+)\/(.*)$/, async (ctx) => {
    const launch = launches.get(ctx.path.split("/")[2] ?? "");
    sandboxHeaders(ctx);
    if (!launch) throw scriptError(404, "This activity was opened too long ago: open it again.");
    const player = players[launch.kind] ?? {};
    const rest = ctx.path.slice(`/pkg/${launch.token}/`.length);
    if (rest === "" && player.index) {
      answerHtml(ctx, player.index(launch));
      return;
    }
    const parts = requestSegments(rest);
    if (!parts) throw scriptError(400, "Bad path.");
    const real = await resolveInRoot(launch.root, parts);
    if (!real || !(await stat(real)).isFile()) throw scriptError(404, "Not found.");
    if (HTML.test(real) && player.transformHtml) {
      answerHtml(ctx, player.transformHtml(await readPackageHtml(real), launch));
      return;
    }
    ctx.set("Cache-Control", "private, max-age=3600");
    await sendCourseFile(ctx, real, { "Content-Type": packageFileType(real) });
  });

  return router;
}

function answerHtml(ctx: Context, body: string): void {
  ctx.type = "text/html; charset=utf-8";
  ctx.set("Cache-Control", "no-store");
  ctx.body = body;
}

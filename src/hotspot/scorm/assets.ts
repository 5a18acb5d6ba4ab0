// The runtime's files for package documents: scorm-again's dist folder from node_modules as
// installed, and the bridge, each under a URL that changes when the file does, so phones keep
// them for good (immutable). scorm-again's package.json is not among its exports, so
// sandbox.ts's playerAssetsRouter (which resolves `<name>/package.json`) cannot find it; its
// folder is found from its main file instead, under the URL playerAssetUrl would give.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import Router from "@koa/router";
import type { Context } from "koa";
import { requestSegments, resolveInRoot } from "../../http/request-path.js";
import type { ScormVersion } from "../../readers/scorm/index.js";
import { sendCourseFile } from "../respond.js";
import { packageFileType, sandboxHeaders, scriptError } from "../sandbox.js";
import { BRIDGE_SOURCE, BRIDGE_URL } from "./bridge.js";

const require = createRequire(import.meta.url);
const DIST = dirname(require.resolve("scorm-again"));
const VERSION = (JSON.parse(readFileSync(join(DIST, "..", "package.json"), "utf8")) as { version: string })
  .version;
const PREFIX = `/assets/players/scorm-again-${VERSION}/`;

/** scorm-again's builds, one per version: a 1.2 package loads only the 1.2 runtime. */
const RUNTIME: Record<ScormVersion, string> = { "1.2": "scorm12.min.js", "2004": "scorm2004.min.js" };

export function runtimeUrl(version: ScormVersion): string {
  return PREFIX + RUNTIME[version];
}

function immutable(ctx: Context): void {
  sandboxHeaders(ctx);
  ctx.set("Cache-Control", "public, max-age=31536000, immutable");
}

export function scormAssetsRouter(): Router {
  const router = new Router();
  router.get(BRIDGE_URL, (ctx) => {
    immutable(ctx);
    ctx.type = "text/javascript; charset=utf-8";
    ctx.body = BRIDGE_SOURCE;
  });
  router.get(/^\/assets\/players\/scorm-again-[^/]+\/(.+)$/, async (ctx, next) => {
    if (!ctx.path.startsWith(PREFIX)) return next();
    const parts = requestSegments(ctx.path.slice(PREFIX.length));
    const real = parts && parts.length > 0 ? await resolveInRoot(DIST, parts) : null;
    if (!real) throw scriptError(404, "Not found.");
    immutable(ctx);
    await sendCourseFile(ctx, real, { "Content-Type": packageFileType(real) });
  });
  return router;
}

// The runtime's files on the content origin: scorm-again's dist folder from node_modules as
// installed, the bridge and the frame script, each under a URL that changes when the file does,
// so phones keep them for good (immutable).
import Router from "@koa/router";
import type { ScormVersion } from "../../readers/scorm/index.js";
import { IMMUTABLE, playerAssetsRouter, playerAssetUrl, sandboxHeaders } from "../sandbox.js";
import { BRIDGE_SOURCE, BRIDGE_URL, FRAME_SOURCE_TEXT, FRAME_URL } from "./bridge.js";

/** scorm-again's builds, one per version: a 1.2 package loads only the 1.2 runtime. */
const RUNTIME: Record<ScormVersion, string> = { "1.2": "scorm12.min.js", "2004": "scorm2004.min.js" };

export function runtimeUrl(version: ScormVersion): string {
  return playerAssetUrl("scorm-again", RUNTIME[version]);
}

export function scormAssetsRouter(): Router {
  const router = new Router();
  for (const [url, source] of [
    [BRIDGE_URL, BRIDGE_SOURCE],
    [FRAME_URL, FRAME_SOURCE_TEXT],
  ] as const)
    router.get(url, (ctx) => {
      sandboxHeaders(ctx);
      ctx.set("Cache-Control", IMMUTABLE);
      ctx.type = "text/javascript; charset=utf-8";
      ctx.body = source;
    });
  router.use(playerAssetsRouter("scorm-again", "dist").routes());
  return router;
}

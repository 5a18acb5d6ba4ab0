// Course packages (H5P, SCORM) run their own HTML and scripts, and none of it is trusted. They
// are served only on the content origin (origins.ts), another port of the Pi: a real origin, so
// the phone caches them, but not the hotspot's own. Every document there is served under a CSP
// `sandbox` (scripts, its own origin, forms, popups; never top navigation) whose fetches reach
// that origin alone: nothing from off the Pi, nothing from the main origin. The main origin in
// turn refuses every request a package could make to it (sandboxGuard), does not let content
// frame its pages (frame-ancestors 'none', respond.ts) and keeps every cookie HttpOnly. The only
// way a package reaches a learner's data is the launch API (launches.ts), keyed by the launch's
// token.
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, extname, join } from "node:path";
import Router from "@koa/router";
import type { Context, Middleware } from "koa";
import mime from "mime-types";
import { HttpError } from "../http/errors.js";
import { requestSegments, resolveInRoot } from "../http/request-path.js";
import { sendCourseFile } from "./respond.js";

/** The sandbox flags of the player page's iframe and of every content document's policy. */
export const SANDBOX_FLAGS =
  "allow-scripts allow-same-origin allow-forms allow-popups allow-modals allow-downloads";

/** Scripts run in the content origin; 'self' is that origin alone (its port included). */
export const SANDBOX_CSP =
  `sandbox ${SANDBOX_FLAGS}; ` +
  "default-src 'self' data: blob: 'unsafe-inline' 'unsafe-eval'; " +
  "form-action 'self'; base-uri 'self'";

/** Files that never change under their URL (a version or a content hash is part of it). */
export const IMMUTABLE = "public, max-age=31536000, immutable";

/**
 * An error answered to a package's scripts (the launch API, package files): English words, as
 * the hotspot's /api/ answers keep them; pages a learner reads throw hotspotError instead.
 */
export function scriptError(status: number, message: string): HttpError {
  return new HttpError(status, message);
}

/** Headers of everything the content origin answers. */
export function sandboxHeaders(ctx: Context): void {
  ctx.set("Content-Security-Policy", SANDBOX_CSP);
  ctx.set("X-Content-Type-Options", "nosniff");
  ctx.set("Cross-Origin-Resource-Policy", "same-origin");
  ctx.set("Referrer-Policy", "no-referrer");
}

const REFUSED = "Course content may not call this address.";

function refuse(ctx: Context): void {
  ctx.status = 403;
  ctx.type = "text/plain; charset=utf-8";
  ctx.body = REFUSED;
}

/**
 * Installed before every router of the main origin. Course content runs on the content origin,
 * the same site (cookies ignore ports), so a browser would send the learner's and the admin's
 * cookies along: every request it starts is refused here, before any handler. Such a request
 * says `Sec-Fetch-Site: same-site`; an older browser still names a foreign `Origin` on anything
 * but a plain GET (a sandboxed document's is "null"), and CORS keeps plain GETs unreadable.
 */
export function sandboxGuard(): Middleware {
  return async (ctx, next) => {
    const origin = ctx.get("Origin");
    // Not ctx.origin: Koa reads that from the request's Origin header when there is one.
    const own = `${ctx.protocol}://${ctx.host}`;
    if (ctx.get("Sec-Fetch-Site") === "same-site" || (origin !== "" && origin !== own)) {
      refuse(ctx);
      return;
    }
    await next();
  };
}

/**
 * Installed before every router of the content origin: a package may not install a service
 * worker (which would sit between the phone and every later package and launch on this
 * origin). Browsers mark the fetch of a worker's script with `Service-Worker: script`.
 */
export function contentGuard(): Middleware {
  return async (ctx, next) => {
    if (ctx.get("Service-Worker") !== "") {
      refuse(ctx);
      return;
    }
    await next();
  };
}

/** The type a package file is sent with: by extension, and never one the browser guesses. */
export function packageFileType(name: string): string {
  const type = mime.lookup(extname(name)) || "application/octet-stream";
  return /^text\/|javascript|json|xml|svg/.test(type) ? `${type}; charset=utf-8` : type;
}

const require = createRequire(import.meta.url);

/**
 * An installed npm package's folder and version. Found from its main file, walking up to its
 * own package.json: not every package exports `<name>/package.json` (scorm-again does not).
 */
function installedPackage(name: string): { root: string; version: string } {
  let dir = dirname(require.resolve(name));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, "utf8")) as { name?: string; version: string };
      if (pkg.name === name) return { root: dir, version: pkg.version };
    }
    if (dirname(dir) === dir) throw new Error(`${name}: its package.json was not found`);
    dir = dirname(dir);
  }
}

/**
 * The URL of a player's file (`path` inside the folder its router serves): the package's
 * version is part of it, so phones cache it for good.
 */
export function playerAssetUrl(name: string, path: string): string {
  return `/assets/players/${name}-${installedPackage(name).version}/${path.split("/").map(encodeURIComponent).join("/")}`;
}

/**
 * An npm package's files (a player's dist folder, `dir` relative to the package) served under
 * `playerAssetUrl` on the content origin: from node_modules as installed, immutable.
 */
export function playerAssetsRouter(name: string, dir: string): Router {
  const router = new Router();
  const pkg = installedPackage(name);
  const root = join(pkg.root, dir);
  const prefix = `/assets/players/${name}-${pkg.version}/`;
  router.get(/^\/assets\/players\/(.*)$/, async (ctx, next) => {
    if (!ctx.path.startsWith(prefix)) return next();
    const parts = requestSegments(ctx.path.slice(prefix.length));
    const real = parts && parts.length > 0 ? await resolveInRoot(root, parts) : null;
    if (!real) throw scriptError(404, "Not found.");
    sandboxHeaders(ctx);
    ctx.set("Cache-Control", IMMUTABLE);
    await sendCourseFile(ctx, real, { "Content-Type": packageFileType(real) });
  });
  return router;
}

/** A package's HTML read for rewriting; bounded so one huge page cannot fill the Pi's memory. */
export async function readPackageHtml(path: string, maxBytes = 8 * 1024 * 1024): Promise<string> {
  const bytes = await readFile(path);
  if (bytes.length > maxBytes) throw scriptError(413, "This page of the course is too large to show.");
  return bytes.toString("utf8");
}

// Course packages (H5P, SCORM, cartridges) run their own HTML and scripts, and none of it is
// trusted. Every document of a package is served under a CSP `sandbox` without
// allow-same-origin, so it runs in an opaque origin: it cannot read the hotspot's cookies or
// pages, cannot reach the page that frames it, and cannot load anything from off the Pi. The
// only way back to the hotspot is the launch API (launches.ts), reached with CORS and no
// cookies, that holds one learner's data for one activity.
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

/** Scripts run, but in an opaque origin; 'self' lets a package load its own files and the player assets. */
export const SANDBOX_CSP =
  "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads; " +
  "default-src 'self' data: blob: 'unsafe-inline' 'unsafe-eval'; " +
  "form-action 'self'; base-uri 'self'";

/** Paths that sandboxed documents may call (they arrive with `Origin: null`). */
const OPEN_TO_PACKAGES = /^\/(pkg|api\/launch|assets\/players)\//;

const CORS_HEADERS = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "GET, HEAD, PUT, POST, OPTIONS",
  "Access-Control-Allow-Headers": "content-type",
  "Access-Control-Max-Age": "600",
};

/**
 * An error answered to a package's scripts (the launch API, /pkg/ files): English words, as
 * the hotspot's /api/ answers keep them; pages a learner reads throw hotspotError instead.
 */
export function scriptError(status: number, message: string): HttpError {
  return new HttpError(status, message);
}

/** Headers of everything a package document or its runtime receives. */
export function sandboxHeaders(ctx: Context): void {
  ctx.set("Content-Security-Policy", SANDBOX_CSP);
  ctx.set("X-Content-Type-Options", "nosniff");
  ctx.set("Cross-Origin-Resource-Policy", "cross-origin");
  ctx.set("Referrer-Policy", "no-referrer");
  corsHeaders(ctx);
}

/** CORS for callers in an opaque origin: anyone may read, nobody sends cookies (no credentials). */
export function corsHeaders(ctx: Context): void {
  ctx.set(CORS_HEADERS);
}

/**
 * Installed before every router. A sandboxed document's fetches and form posts carry
 * `Origin: null`: outside the paths made for packages they are refused, so course scripts
 * get nothing from the admin area, the status API or the learner's routes even where a
 * browser would send cookies. Preflights to the launch API are answered here, before any
 * router's own OPTIONS handling can answer them without CORS.
 */
export function sandboxGuard(): Middleware {
  return async (ctx, next) => {
    const open = OPEN_TO_PACKAGES.test(ctx.path);
    if (ctx.get("Origin") === "null" && !open) {
      ctx.status = 403;
      ctx.type = "text/plain; charset=utf-8";
      ctx.body = "Course content may not call this address.";
      return;
    }
    if (open && ctx.method === "OPTIONS") {
      corsHeaders(ctx);
      ctx.status = 204;
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
 * `playerAssetUrl`: from node_modules as installed, immutable, readable from sandboxes.
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
    ctx.set("Cache-Control", "public, max-age=31536000, immutable");
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

// The file browser: any course's tree, directory by directory, and its files with safe types.
import { readdir, stat } from "node:fs/promises";
import { extname, join } from "node:path";
import Router from "@koa/router";
import { requestSegments, resolveInRoot } from "../../http/request-path.js";
import type { CourseAccess } from "../courses.js";
import { hotspotError } from "../errors.js";
import { browserPage } from "../pages/files.js";
import { disposition, html, sendCourseFile, shownInline } from "../respond.js";

/** Types by extension; markup and scripts are shown as text, never run. */
const EXT_TYPES: Record<string, string> = {
  ".pdf": "application/pdf",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".png": "image/png",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".mp3": "audio/mpeg",
  ".ogg": "audio/ogg",
  ".wav": "audio/wav",
  ".mp4": "video/mp4",
  ".webm": "video/webm",
  ".txt": "text/plain",
  ".xml": "text/plain",
  ".html": "text/plain",
  ".htm": "text/plain",
  ".json": "text/plain",
  ".csv": "text/plain",
};

async function listing(dir: string): Promise<{ name: string; dir: boolean; size: number }[]> {
  const entries: { name: string; dir: boolean; size: number }[] = [];
  for (const d of await readdir(dir, { withFileTypes: true })) {
    if (!d.isFile() && !d.isDirectory()) continue;
    const size = d.isFile() ? ((await stat(join(dir, d.name)).catch(() => null))?.size ?? 0) : 0;
    entries.push({ name: d.name, dir: d.isDirectory(), size });
  }
  return entries.sort((a, b) => Number(b.dir) - Number(a.dir) || a.name.localeCompare(b.name));
}

export function filesRouter(courses: CourseAccess): Router {
  const router = new Router();

  router.get(/^\/c\/([^/]+)\/browse(\/.*)?$/, async (ctx) => {
    const id = decodeURIComponent(ctx.captures?.[0] ?? (ctx.params as Record<string, string>)["0"] ?? "");
    const rest = ctx.path.slice(`/c/${ctx.path.split("/")[2]}/browse`.length);
    const course = await courses.get(id);
    const parts = requestSegments(rest);
    if (!parts) throw hotspotError(400, "error.badPath");
    // Decoded once here; the real path (links followed) must stay inside the tree.
    const real = await resolveInRoot(course.treePath, parts);
    if (!real) throw hotspotError(404, "error.notFound");
    if ((await stat(real)).isDirectory()) {
      if (!ctx.path.endsWith("/")) {
        ctx.redirect(`${ctx.path}/`);
        return;
      }
      html(ctx, browserPage(course.id, course.title, parts.join("/"), await listing(real)));
      return;
    }
    const name = parts[parts.length - 1] ?? "file";
    const type = EXT_TYPES[extname(name).toLowerCase()] ?? "application/octet-stream";
    await sendCourseFile(ctx, real, {
      "Content-Type": type === "text/plain" ? "text/plain; charset=utf-8" : type,
      "Content-Disposition": disposition(shownInline(ctx, type), name),
    });
  });

  return router;
}

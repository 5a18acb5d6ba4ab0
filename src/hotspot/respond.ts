// How the hotspot answers: HTML pages under a no-script policy, course files through the
// shared sender with no sniffing, and file names in Content-Disposition.
import type { Context } from "koa";
import { sendFile } from "../http/send-file.js";

/** HTML pages never run scripts: course HTML from backups is shown inline under this policy. */
const PAGE_CSP =
  "default-src 'none'; img-src 'self' data:; media-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Types a browser shows itself without running the file's own code. */
export const INLINE_TYPES =
  /^(application\/pdf|image\/(jpeg|png|gif|webp|bmp)|audio\/[\w.+-]+|video\/[\w.+-]+|text\/plain)$/;

/**
 * `frames`: a page that frames a package (a player page) may frame the content origin
 * (origins.ts), given as `http://host:port`, and nothing else.
 */
export function html(ctx: Context, body: string, status = 200, o: { frames?: string } = {}): void {
  ctx.status = status;
  ctx.type = "text/html; charset=utf-8";
  ctx.set("Content-Security-Policy", o.frames ? `${PAGE_CSP}; frame-src ${o.frames}` : PAGE_CSP);
  ctx.set("X-Content-Type-Options", "nosniff");
  ctx.set("Cache-Control", "no-cache");
  ctx.body = body;
}

/** Content-Disposition with a UTF-8 file name (RFC 6266) and a plain ASCII fallback. */
export function disposition(kind: "inline" | "attachment", filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\%;]/g, "_");
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

/** Inline when the browser can show it without running it, unless ?download was asked for. */
export function shownInline(ctx: Context, type: string): "inline" | "attachment" {
  return INLINE_TYPES.test(type) && ctx.query.download === undefined ? "inline" : "attachment";
}

/** The shared sender with this server's defaults: no sniffing, a max-age for immutable course files. */
export function sendCourseFile(ctx: Context, path: string, headers: Record<string, string>, maxAgeSec = 0) {
  return sendFile(ctx, path, { headers: { ...headers, "X-Content-Type-Options": "nosniff" }, maxAgeSec });
}

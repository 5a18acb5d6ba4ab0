// The one file sender of both servers: GET and HEAD of a file already chosen and checked by
// the caller, with a strong ETag, Last-Modified, conditional GET (304), one byte range
// (206, If-Range, 416) and Content-Length. The path is opened as given: nothing here decodes
// it again (a file named "b%2fleak" is that file, never "b/leak"), and a final symlink is
// not followed.
import { constants, type Stats } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import type { OutgoingHttpHeaders } from "node:http";
import type { Context } from "koa";
import { HttpError } from "./errors.js";

export interface SendFileOptions {
  /** Response headers of the caller (Content-Type, Content-Disposition, …). */
  headers?: Record<string, string>;
  /** Cache-Control max-age when the caller set no Cache-Control; default 0. */
  maxAgeSec?: number;
  /** Serve only bytes [start, end) of the file, as a whole response of its own (a blob's piece). */
  slice?: { start: number; end: number };
  /** Send Last-Modified and honour dates in If-Modified-Since / If-Range; default true. */
  lastModified?: boolean;
}

export type ByteRange = { start: number; end: number };

/**
 * One range of a Range header for an entity of `size` bytes (end inclusive): null when the
 * header is to be ignored (not bytes, malformed, several ranges: the whole entity is sent),
 * "unsatisfiable" when it asks only for bytes past the end.
 */
export function parseRange(header: string, size: number): ByteRange | null | "unsatisfiable" {
  const m = /^bytes=\s*(\d{0,15})\s*-\s*(\d{0,15})\s*$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return null;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? Number.POSITIVE_INFINITY : Number(m[2]);
  if (end < start) return null;
  if (start >= size) return "unsatisfiable";
  return { start, end: Math.min(end, size - 1) };
}

/** Does If-Range still name what would be sent? Entity tags compare exactly (strong), dates to the second. */
function ifRangeHolds(ifRange: string, etag: string, mtime: Date | null): boolean {
  if (ifRange === "") return true;
  if (ifRange.startsWith('"') || ifRange.startsWith("W/")) return ifRange === etag;
  const date = Date.parse(ifRange);
  return mtime !== null && Number.isFinite(date) && Math.floor(mtime.getTime() / 1000) * 1000 <= date;
}

function strongEtag(st: Stats, start: number, size: number): string {
  return `"${size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}${start ? `-${start.toString(16)}` : ""}"`;
}

/** Catalog key of the hotspot, whose pages say this in the learner's language. */
const NOT_FOUND = { key: "error.notFound" };

/**
 * Answer a GET or HEAD with the file at `path` (a filesystem path, used as is). A missing or
 * non-regular file is HttpError 404; a range past the end is HttpError 416 with Content-Range.
 * An ETag the caller set wins over the one made from size and mtime.
 */
export async function sendFile(ctx: Context, path: string, o: SendFileOptions = {}): Promise<void> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    throw new HttpError(404, "Not found.", NOT_FOUND);
  }
  let streaming = false;
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new HttpError(404, "Not found.", NOT_FOUND);
    const offset = o.slice?.start ?? 0;
    const size = o.slice ? o.slice.end - o.slice.start : st.size;
    if (offset < 0 || size < 0 || offset + size > st.size)
      throw new Error(`slice ${offset}+${size} is outside ${st.size} bytes`);

    ctx.status = 200;
    for (const [k, v] of Object.entries(o.headers ?? {})) ctx.set(k, v);
    if (!ctx.response.get("ETag")) ctx.set("ETag", strongEtag(st, offset, size));
    const etag = ctx.response.get("ETag");
    const mtime = o.lastModified === false ? null : st.mtime;
    if (mtime) ctx.set("Last-Modified", mtime.toUTCString());
    if (!ctx.response.get("Cache-Control")) ctx.set("Cache-Control", `public, max-age=${o.maxAgeSec ?? 0}`);
    ctx.set("Accept-Ranges", "bytes");
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }

    let first = 0;
    let last = size - 1;
    const range = ctx.get("range");
    if (range && ifRangeHolds(ctx.get("if-range"), etag, mtime)) {
      const r = parseRange(range, size);
      if (r === "unsatisfiable") {
        ctx.set("Content-Range", `bytes */${size}`);
        throw new HttpError(416, "Range not satisfiable.", { key: "error.rangeNotSatisfiable" });
      }
      if (r) {
        ctx.status = 206;
        ctx.set("Content-Range", `bytes ${r.start}-${r.end}/${size}`);
        first = r.start;
        last = r.end;
      }
    }
    if (size === 0 || ctx.method === "HEAD") {
      ctx.body = Buffer.alloc(0);
      ctx.length = last - first + 1;
      return;
    }
    ctx.length = last - first + 1;
    streaming = true;
    if (ctx.length >= REUSED_BUFFERS_FROM) {
      sendWithReusedBuffers(ctx, fh, offset + first, offset + last);
      return;
    }
    // Koa pipes it and destroys it (closing the file) when the response ends or is cut.
    ctx.body = fh.createReadStream({ start: offset + first, end: offset + last });
  } finally {
    if (!streaming) await fh.close();
  }
}

/** Bodies from this size on are sent from reused buffers (a course archive, not a piece). */
const REUSED_BUFFERS_FROM = 8 << 20;
const REUSED_CHUNK = 256 << 10;

/**
 * Send bytes [start, end] of `fh` straight to the socket from two buffers used in turn, each
 * filled again only once its last write has reached the kernel. A file stream makes a fresh
 * 64 KB buffer per read, and V8 collects those only when some 64 MB of them pile up: a
 * laptop downloading a 1 GB archive cost the hotspot ~80 MB of RSS that way. Koa is told to
 * leave the response alone; a client that goes away stops the reads and closes the file.
 */
function sendWithReusedBuffers(ctx: Context, fh: FileHandle, start: number, end: number): void {
  ctx.respond = false;
  const res = ctx.res;
  res.writeHead(ctx.status, ctx.response.headers as OutgoingHttpHeaders);
  const gone = new Promise<never>((_, reject) =>
    res.once("close", () => {
      if (!res.writableFinished) reject(new Error("the client went away"));
    }),
  );
  gone.catch(() => {});
  const buffers = [Buffer.allocUnsafe(REUSED_CHUNK), Buffer.allocUnsafe(REUSED_CHUNK)];
  const written: Array<Promise<void>> = [Promise.resolve(), Promise.resolve()];
  const pump = async () => {
    for (let pos = start, i = 0; pos <= end; i ^= 1) {
      await Promise.race([written[i], gone]);
      const { bytesRead } = await fh.read(buffers[i]!, 0, Math.min(REUSED_CHUNK, end - pos + 1), pos);
      if (bytesRead === 0) throw new Error("the file ended before its length");
      const chunk = buffers[i]!.subarray(0, bytesRead);
      written[i] = new Promise<void>((resolve, reject) =>
        res.write(chunk, (e) => (e ? reject(e) : resolve())),
      );
      written[i]!.catch(() => {});
      pos += bytesRead;
    }
    await Promise.race([Promise.all(written), gone]);
    res.end();
  };
  void pump()
    .catch(() => res.destroy())
    .finally(() => fh.close().catch(() => {}));
}

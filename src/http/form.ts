// Small request bodies (admin forms, a package's saved data), read with a size cap.
import type { Context } from "koa";
import { HttpError } from "./errors.js";

/** The raw body, refused with 413 and `tooLarge` once it passes `limit` bytes. */
export async function readBody(ctx: Context, limit: number, tooLarge: string): Promise<Buffer> {
  const declared = Number(ctx.get("content-length"));
  if (declared > limit) throw new HttpError(413, tooLarge);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, tooLarge);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Read an application/x-www-form-urlencoded body of at most `limit` bytes (415, 413 otherwise). */
export async function readForm(ctx: Context, limit = 16 * 1024): Promise<URLSearchParams> {
  const type = ctx.get("content-type");
  if (!type.startsWith("application/x-www-form-urlencoded")) throw new HttpError(415, "expected a form");
  return new URLSearchParams((await readBody(ctx, limit, "form too large")).toString("utf8"));
}

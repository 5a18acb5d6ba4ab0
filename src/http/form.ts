// Small request bodies (admin forms, a package's saved data), read with a size cap.
import type { Context } from "koa";
import { HttpError } from "./errors.js";

/**
 * Read an application/x-www-form-urlencoded body of at most `limit` bytes (415, 413 otherwise).
 * The errors carry the hotspot's catalog keys, so its pages say them in the learner's language.
 */
export async function readForm(ctx: Context, limit = 16 * 1024): Promise<URLSearchParams> {
  const type = ctx.get("content-type");
  if (!type.startsWith("application/x-www-form-urlencoded"))
    throw new HttpError(415, "expected a form", { key: "error.expectedForm" });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, "form too large", { key: "error.formTooLarge" });
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

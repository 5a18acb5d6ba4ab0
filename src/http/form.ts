// Small request bodies (admin forms, a package's saved data), read with a size cap.
import type { Context } from "koa";
import { rawBody } from "./body.js";
import { HttpError } from "./errors.js";

/**
 * Read an application/x-www-form-urlencoded body of at most `limit` bytes (415, 413 otherwise);
 * a form cut off before all of it arrived is refused (400), never taken for whole. The errors
 * carry the hotspot's catalog keys, so its pages say them in the learner's language.
 */
export async function readForm(ctx: Context, limit = 16 * 1024): Promise<URLSearchParams> {
  const type = ctx.get("content-type");
  if (!type.startsWith("application/x-www-form-urlencoded"))
    throw new HttpError(415, "expected a form", { key: "error.expectedForm" });
  let body: Buffer;
  try {
    body = await rawBody(ctx, limit);
  } catch (e) {
    if (!(e instanceof HttpError)) throw e;
    if (e.status === 413) throw new HttpError(413, "form too large", { key: "error.formTooLarge" });
    throw new HttpError(400, "the form was cut off before all of it arrived", { key: "error.formCutOff" });
  }
  return new URLSearchParams(body.toString("utf8"));
}

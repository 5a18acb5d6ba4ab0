// Request bodies read with a limit: refused with a 413 as soon as they are larger than allowed
// (by their Content-Length or by what arrives), and never taken for whole when the client
// went away before sending all of it.
import type { Context } from "koa";
import { HttpError } from "./errors.js";

/** The bytes of a request body as they arrive, refusing more than `limit` (413). */
export async function* bodyChunks(ctx: Context, limit: number): AsyncGenerator<Buffer> {
  const declared = Number(ctx.get("content-length") || 0);
  if (declared > limit) throw new HttpError(413, `body of ${declared} bytes exceeds the limit of ${limit}`);
  let n = 0;
  const cut = () => new HttpError(400, "the body ended before all of it arrived");
  try {
    for await (const c of ctx.req as AsyncIterable<Buffer>) {
      n += c.length;
      if (n > limit) throw new HttpError(413, `body exceeds the limit of ${limit} bytes`);
      yield c;
    }
  } catch (e) {
    // A client that went away mid-body is no server error: its connection is gone anyway.
    if (!(e instanceof HttpError) && !ctx.req.complete) throw cut();
    throw e;
  }
  if (!ctx.req.complete) throw cut();
}

/** Read a (small) request body into memory, refusing more than `limit` bytes (413). */
export async function rawBody(ctx: Context, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of bodyChunks(ctx, limit)) parts.push(c);
  return Buffer.concat(parts);
}

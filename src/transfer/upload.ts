/**
 * Piecewise, resumable upload (the agent's signatures go up a link that drops too): each
 * piece is PUT with its MD5, the master checks it, and the piece is recorded as sent only
 * once the master has acknowledged it.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import type { Table } from "../store/index.js";
import { TransferError } from "./fetch.js";
import { backoffMs, type ClientOptions, HttpError, requestJson, sleep } from "./http.js";
import { DEFAULT_PIECE_SIZE, pieceCount } from "./pieces.js";

export interface UploadOptions extends ClientOptions {
  /** Upload session named by the master. */
  session: string;
  data: Buffer;
  pieceSize?: number;
  progress: Table<true>;
  attempts?: number;
  parallel?: number;
}

/** The master's acknowledgement of one piece. */
const pieceAck = z.object({ ok: z.literal(true) }).describe("piece acknowledgement");

export async function uploadPieces(o: UploadOptions): Promise<number> {
  const pieceSize = o.pieceSize ?? DEFAULT_PIECE_SIZE;
  const total = pieceCount(o.data.length, pieceSize);
  const queue: number[] = [];
  for (let n = 0; n < total; n++) if (!(await o.progress.get(`${o.session}:${n}`))) queue.push(n);
  const send = async (n: number) => {
    const piece = o.data.subarray(n * pieceSize, Math.min(o.data.length, (n + 1) * pieceSize));
    for (let attempt = 0; ; attempt++) {
      try {
        await requestJson(
          o,
          `/v1/uploads/${o.session}/pieces/${n}`,
          {
            method: "PUT",
            body: piece,
            headers: {
              "content-type": "application/octet-stream",
              "x-content-md5": createHash("md5").update(piece).digest("hex"),
            },
          },
          pieceAck,
        );
        await o.progress.put(`${o.session}:${n}`, true, true);
        return;
      } catch (e) {
        // 404: the session expired (master restarted); the next run negotiates a new one.
        if (e instanceof HttpError && e.permanent)
          throw new TransferError(e.message, e.status === 404, e.status);
        if (attempt + 1 >= (o.attempts ?? 8))
          throw new TransferError(`upload piece ${n} failed: ${(e as Error).message}; will resume`);
        await sleep(backoffMs(attempt, 250, 15_000), o.signal);
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(o.parallel ?? 2, queue.length) }, async () => {
      for (let n = queue.shift(); n !== undefined; n = queue.shift()) await send(n);
    }),
  );
  return total;
}

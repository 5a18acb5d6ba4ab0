/**
 * Resumable blob download: pieces are fetched a few at a time; a cut piece resumes with a
 * Range request from where its partial file ends; every piece is checked against its MD5
 * (a damaged one is fetched again) and recorded as done, durably, before it counts. The
 * assembled blob must then hash to its name. Re-running after a crash or a give-up
 * continues where it stopped.
 */
import { createHash } from "node:crypto";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import type { IncomingHttpHeaders } from "node:http";
import { join } from "node:path";
import type { Table } from "../store/index.js";
import { readChunks, writeFileAtomic } from "../util/files.js";
import { backoffMs, type ClientOptions, HttpError, request, sleep } from "./http.js";
import { type BlobManifest, pieceCount, pieceRange } from "./pieces.js";

export class TransferError extends Error {
  constructor(
    message: string,
    readonly resumable = true,
    /** HTTP status when the master refused (e.g. 404: the blob is gone). */
    readonly status?: number,
    /** The data kept failing its checksum: the plan itself may be damaged. */
    readonly integrity = false,
  ) {
    super(message);
    this.name = "TransferError";
  }
}

export interface FetchBlobOptions extends ClientOptions {
  blob: BlobManifest;
  /** Working directory for this blob's pieces; the assembled blob lands at `${dir}/blob`. */
  dir: string;
  /** Durable record of finished pieces, keyed `${blob.id}:${n}`. */
  progress: Table<{ md5: string }>;
  parallel?: number;
  /** Tries per piece before this run gives up (the next run resumes). */
  attempts?: number;
  /** Give up this run after this long without finishing. */
  budgetMs?: number;
  onProgress?: (done: number, total: number) => void;
  /** Called for each piece that failed its MD5 check (for logs and tests). */
  onBadPiece?: (n: number) => void;
  /** Random source for backoff jitter (tests pass a seeded one). */
  rand?: () => number;
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return -1;
  }
}

async function md5Of(path: string): Promise<string> {
  const h = createHash("md5");
  for await (const c of readChunks(path)) h.update(c);
  return h.digest("hex");
}

/** A piece answer must say it holds what was asked: the rest of the piece from `have`, no more. */
function checkDeclared(n: number, size: number, have: number, headers: IncomingHttpHeaders): void {
  const length = headers["content-length"];
  if (length !== undefined && Number(length) > size - have)
    throw new Error(`piece ${n}: the master declared ${length} bytes for the ${size - have} asked`);
  const range = headers["content-range"];
  if (have > 0 && range !== undefined && !range.startsWith(`bytes ${have}-`))
    throw new Error(`piece ${n}: asked from byte ${have}, the master answered ${range}`);
}

/** Download (or finish downloading) a blob; returns the path of the verified blob. */
export async function fetchBlob(o: FetchBlobOptions): Promise<string> {
  const { blob, dir } = o;
  const out = join(dir, "blob");
  if ((await fileSize(out)) === blob.size) return out;
  await mkdir(dir, { recursive: true });
  const total = pieceCount(blob.size, blob.pieceSize);
  const key = (n: number) => `${blob.id}:${n}`;
  const piecePath = (n: number) => join(dir, `${n}`);
  const todo: number[] = [];
  let doneBytes = 0;
  for (let n = 0; n < total; n++) {
    const { start, end } = pieceRange(blob, n);
    const rec = await o.progress.get(key(n));
    if (rec && rec.md5 === blob.md5[n] && (await fileSize(piecePath(n))) === end - start)
      doneBytes += end - start;
    else todo.push(n);
  }
  o.onProgress?.(doneBytes, blob.size);
  const budgetMs = o.budgetMs ?? 10 * 60_000;
  const deadline = Date.now() + budgetMs;
  // The budget also cuts a request under way: a link that trickles never ends a piece.
  const budget = new AbortController();
  const budgetTimer = setTimeout(
    () =>
      budget.abort(
        new TransferError(
          `download budget of ${budgetMs / 1000} s used up with ${doneBytes} of ${blob.size} bytes; will resume`,
        ),
      ),
    budgetMs,
  );
  budgetTimer.unref();
  const client = { ...o, signal: o.signal ? AbortSignal.any([o.signal, budget.signal]) : budget.signal };
  const attempts = o.attempts ?? 8;
  const rand = o.rand ?? Math.random;

  const fetchPiece = async (n: number) => {
    const { start, end } = pieceRange(blob, n);
    const part = `${piecePath(n)}.part`;
    for (let attempt = 0; ; attempt++) {
      try {
        let have = Math.max(0, await fileSize(part));
        if (have > end - start) {
          await rm(part, { force: true });
          have = 0;
        }
        if (have < end - start) {
          const headers: Record<string, string> = {};
          if (have > 0) headers.range = `bytes=${have}-`;
          const { res, body } = await request(client, `/v1/blobs/${blob.id}/pieces/${n}`, { headers });
          if (res.status !== 200 && res.status !== 206) {
            for await (const _ of body) {
            }
            throw new HttpError(
              res.status,
              `/v1/blobs/${blob.id}/pieces/${n}`,
              `piece ${n}: HTTP ${res.status}`,
            );
          }
          if (res.status === 200) have = 0;
          checkDeclared(n, end - start, have, res.headers);
          const fh = await open(part, res.status === 206 ? "a" : "w");
          try {
            for await (const chunk of body) {
              // Never more than the manifest declares: a body that goes on would fill the disk.
              if (have + chunk.length > end - start)
                throw new Error(`piece ${n}: the master sent more than its declared ${end - start} bytes`);
              await fh.write(chunk);
              have += chunk.length;
              doneBytes += chunk.length;
              o.onProgress?.(Math.min(doneBytes, blob.size), blob.size);
            }
            await fh.sync();
          } finally {
            await fh.close();
          }
        }
        if ((await fileSize(part)) !== end - start) throw new Error(`piece ${n} ended short`);
        if ((await md5Of(part)) !== blob.md5[n]) {
          o.onBadPiece?.(n);
          doneBytes -= end - start;
          await rm(part, { force: true });
          throw new Error(`piece ${n} failed its MD5 check`);
        }
        await rename(part, piecePath(n));
        await o.progress.put(key(n), { md5: blob.md5[n]! }, true);
        return;
      } catch (e) {
        if (e instanceof HttpError && e.permanent) throw new TransferError(e.message, false, e.status);
        if (o.signal?.aborted) throw e;
        if (budget.signal.aborted) throw budget.signal.reason;
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "ENOSPC" || code === "EDQUOT" || code === "EROFS") {
          // Retrying will not make room: stop now (the caller decides what staged data to drop).
          throw new TransferError(`piece ${n}: ${(e as Error).message}; will resume once there is space`);
        }
        const giveUp = () =>
          new TransferError(
            `piece ${n} failed ${attempt + 1} times (last: ${(e as Error).message}); will resume`,
            true,
            undefined,
            (e as Error).message.includes("MD5"),
          );
        if (attempt + 1 >= attempts || Date.now() > deadline) throw giveUp();
        // The budget ending during the wait gives up with what went wrong, not with the clock.
        await sleep(backoffMs(attempt, 250, 15_000, rand), client.signal).catch((abort) => {
          throw budget.signal.aborted && !o.signal?.aborted ? giveUp() : abort;
        });
      }
    }
  };

  const queue = [...todo];
  const workers = Array.from({ length: Math.min(o.parallel ?? 3, queue.length) }, async () => {
    for (let n = queue.shift(); n !== undefined; n = queue.shift()) {
      client.signal.throwIfAborted();
      await fetchPiece(n);
    }
  });
  try {
    await Promise.all(workers);
  } finally {
    clearTimeout(budgetTimer);
  }

  // Assemble in order; the blob must hash to its name.
  const whole = createHash("sha256");
  await writeFileAtomic(
    out,
    (async function* () {
      for (let n = 0; n < total; n++) {
        for await (const c of readChunks(piecePath(n))) {
          whole.update(c);
          yield c;
        }
      }
    })(),
  );
  if (whole.digest("hex") !== blob.id) {
    await rm(out, { force: true });
    for (let n = 0; n < total; n++) await o.progress.del(key(n));
    throw new TransferError(`blob ${blob.id} did not match its hash after assembly; pieces discarded`);
  }
  for (let n = 0; n < total; n++) {
    await rm(piecePath(n), { force: true });
    await o.progress.del(key(n));
  }
  return out;
}

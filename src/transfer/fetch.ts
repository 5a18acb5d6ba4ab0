/**
 * Resumable blob download: pieces are fetched a few at a time straight into their place in
 * one file (the blob is the pieces: no piece files, no second copy), each checked against
 * its MD5 as it streams; a cut piece resumes with a Range request from where it stopped, a
 * damaged one is fetched again. The file is fsynced once, when whole, and must then hash to
 * its name. Finished pieces are noted (not fsynced) so a run after a crash or a give-up
 * re-checks and keeps them instead of fetching them again.
 */
import { createHash, type Hash } from "node:crypto";
import { constants, createReadStream } from "node:fs";
import { type FileHandle, mkdir, open, rename, rm, stat } from "node:fs/promises";
import type { IncomingHttpHeaders } from "node:http";
import { join } from "node:path";
import type { Table } from "../store/index.js";
import { readChunksReused } from "../util/files.js";
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
  /** Working directory: the blob is written to `${dir}/blob.part`, renamed `${dir}/blob` once verified. */
  dir: string;
  /** Record of finished pieces, keyed `${blob.id}:${n}` (re-checked before it is trusted). */
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

/** MD5 of a byte range of an open file. */
async function md5OfRange(path: string, start: number, end: number): Promise<string> {
  const h = createHash("md5");
  if (end > start)
    for await (const c of createReadStream(path, {
      start,
      end: end - 1,
      highWaterMark: 1 << 20,
    }) as AsyncIterable<Buffer>)
      h.update(c);
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

/**
 * Keep a blob that came with its plan (small ones do) where fetchBlob finds it whole, once
 * it hashes to its name and its pieces to their MD5s. False, and nothing written, when it
 * does not: fetchBlob then downloads it the usual way.
 */
export async function storeBlob(blob: BlobManifest, dir: string, data: Buffer): Promise<boolean> {
  const pieces = pieceCount(blob.size, blob.pieceSize);
  const piecesMatch = Array.from({ length: pieces }, (_, n) => pieceRange(blob, n)).every(
    ({ start, end }, n) => createHash("md5").update(data.subarray(start, end)).digest("hex") === blob.md5[n],
  );
  if (data.length !== blob.size || !piecesMatch) return false;
  if (createHash("sha256").update(data).digest("hex") !== blob.id) return false;
  await mkdir(dir, { recursive: true });
  const part = join(dir, "blob.part");
  const fh = await open(part, "w");
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(part, join(dir, "blob"));
  return true;
}

/** Download (or finish downloading) a blob; returns the path of the verified blob. */
export async function fetchBlob(o: FetchBlobOptions): Promise<string> {
  const { blob, dir } = o;
  const out = join(dir, "blob");
  if ((await fileSize(out)) === blob.size) return out;
  await mkdir(dir, { recursive: true });
  const part = join(dir, "blob.part");
  const total = pieceCount(blob.size, blob.pieceSize);
  const key = (n: number) => `${blob.id}:${n}`;
  // Pieces land at their offsets; the rest of the file is a hole until they arrive.
  const fh = await open(part, constants.O_RDWR | constants.O_CREAT);
  try {
    if ((await fh.stat()).size > blob.size) await fh.truncate(blob.size);
    const todo: number[] = [];
    let doneBytes = 0;
    for (let n = 0; n < total; n++) {
      const { start, end } = pieceRange(blob, n);
      const rec = await o.progress.get(key(n));
      // A note is not proof (it is not fsynced, nor is the piece): the bytes must still match.
      if (rec?.md5 === blob.md5[n] && (await md5OfRange(part, start, end)) === blob.md5[n])
        doneBytes += end - start;
      else todo.push(n);
    }
    o.onProgress?.(doneBytes, blob.size);
    await downloadPieces(o, fh, todo, doneBytes, (n) => o.progress.put(key(n), { md5: blob.md5[n]! }));
    // The one fsync of the download: the blob is whole before it gets its final name.
    await fh.sync();
  } finally {
    await fh.close();
  }

  const whole = createHash("sha256");
  for await (const c of readChunksReused(part)) whole.update(c);
  if (whole.digest("hex") !== blob.id) {
    await rm(part, { force: true });
    for (let n = 0; n < total; n++) await o.progress.del(key(n));
    throw new TransferError(`blob ${blob.id} did not match its hash after download; pieces discarded`);
  }
  await rename(part, out);
  for (let n = 0; n < total; n++) await o.progress.del(key(n));
  return out;
}

/** A piece under way in this run: how much of it is written, and the MD5 of that much. */
interface PartialPiece {
  have: number;
  md5: Hash;
}

/** Fetch `todo` into the open blob file, a few pieces at a time, each retried and MD5-checked. */
async function downloadPieces(
  o: FetchBlobOptions,
  fh: FileHandle,
  todo: number[],
  doneAlready: number,
  onPieceDone: (n: number) => Promise<void>,
): Promise<void> {
  const { blob } = o;
  const budgetMs = o.budgetMs ?? 10 * 60_000;
  const deadline = Date.now() + budgetMs;
  let doneBytes = doneAlready;
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
  // One piece failing for good stops the others: none may write once the file is closed.
  const stop = new AbortController();
  const signals = [budget.signal, stop.signal, ...(o.signal ? [o.signal] : [])];
  const client = { ...o, signal: AbortSignal.any(signals) };
  const attempts = o.attempts ?? 8;
  const rand = o.rand ?? Math.random;
  const count = (bytes: number) => {
    doneBytes += bytes;
    o.onProgress?.(Math.min(doneBytes, blob.size), blob.size);
  };

  /** One try: the rest of piece n from `p.have` on, written at its offset as it arrives. */
  const fetchRest = async (n: number, p: PartialPiece) => {
    const { start, end } = pieceRange(blob, n);
    const headers: Record<string, string> = {};
    if (p.have > 0) headers.range = `bytes=${p.have}-`;
    const { res, body } = await request(client, `/v1/blobs/${blob.id}/pieces/${n}`, { headers });
    if (res.status !== 200 && res.status !== 206) {
      for await (const _ of body) {
      }
      throw new HttpError(res.status, `/v1/blobs/${blob.id}/pieces/${n}`, `piece ${n}: HTTP ${res.status}`);
    }
    if (res.status === 200 && p.have > 0) {
      // The whole piece again (the range was not honoured): start it over.
      count(-p.have);
      p.have = 0;
      p.md5 = createHash("md5");
    }
    checkDeclared(n, end - start, p.have, res.headers);
    for await (const chunk of body) {
      // Never more than the manifest declares: a body that goes on would fill the disk.
      if (p.have + chunk.length > end - start)
        throw new Error(`piece ${n}: the master sent more than its declared ${end - start} bytes`);
      await fh.write(chunk, 0, chunk.length, start + p.have);
      p.md5.update(chunk);
      p.have += chunk.length;
      count(chunk.length);
    }
  };

  const fetchPiece = async (n: number) => {
    const { start, end } = pieceRange(blob, n);
    const p: PartialPiece = { have: 0, md5: createHash("md5") };
    for (let attempt = 0; ; attempt++) {
      try {
        if (p.have < end - start) await fetchRest(n, p);
        if (p.have !== end - start) throw new Error(`piece ${n} ended short`);
        if (p.md5.digest("hex") !== blob.md5[n]) {
          o.onBadPiece?.(n);
          count(-p.have);
          Object.assign(p, { have: 0, md5: createHash("md5") });
          throw new Error(`piece ${n} failed its MD5 check`);
        }
        await onPieceDone(n);
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
    try {
      for (let n = queue.shift(); n !== undefined; n = queue.shift()) {
        client.signal.throwIfAborted();
        await fetchPiece(n);
      }
    } catch (e) {
      stop.abort(e);
      throw e;
    }
  });
  const settled = await Promise.allSettled(workers);
  clearTimeout(budgetTimer);
  // The first failure is the one to report; the others are only its echo.
  if (settled.some((r) => r.status === "rejected")) throw stop.signal.reason;
}

/**
 * Master side: build the course delta that turns an old version (known: its tree is here;
 * unknown: only the agent's summary and the signatures it sent) into the new version.
 * Per new entry, in order of preference: the agent already has the bytes (any path);
 * an rdiff delta against the most similar old entry; literal bytes.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, open, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import { brotliCompressSync, createBrotliCompress, constants as zc } from "node:zlib";
import type { Manifest, ManifestEntry } from "../archive/index.js";
import { minimumStrongLen } from "../delta/blocksize.js";
import { generateDelta, generateSignature, readSignature, type Signature } from "../delta/index.js";
import { readChunks, writeFileAtomic } from "../util/files.js";
import { basenameOf, canonicalOrder, entryId, globalLayout, type OldView } from "./course.js";
import { encodeHeader, type HcdEntry, type HcdHeader } from "./format.js";
import { CopyIndex, diffBytes } from "./ops.js";

/**
 * Below this an old entry is not worth a signature: its new version travels as a literal in
 * the brotli body, where it compresses against its many siblings (measured on the corpus:
 * 2 KiB beats 512 B by 10-40 % on Moodle exports).
 */
export const MIN_SIGNATURE_BASE = 2048;

/** Old bytes (all requested bases together) from which asking for signatures pays off. */
export const SIGNATURES_PAY_FROM = 4096;

export interface SignatureRequest {
  index: number;
  blockLen: number;
  strongLen: number;
}

export interface BuildStats {
  identical: number;
  deltas: number;
  literals: number;
  bodyBytes: number;
  rawBytes: number;
  totalBytes: number;
}

/** Index of the old entries by content id, path and file name. */
class OldIndex {
  readonly byId = new Map<string, number>();
  readonly byPath = new Map<string, number>();
  readonly byName = new Map<string, number[]>();

  constructor(readonly view: OldView) {
    view.entries.forEach((e, i) => {
      this.byPath.set(e.path, i);
      if (e.type !== "file") return;
      if (!this.byId.has(`${e.id}:${e.size}`)) this.byId.set(`${e.id}:${e.size}`, i);
      const name = basenameOf(e.path);
      const list = this.byName.get(name);
      if (list) list.push(i);
      else this.byName.set(name, [i]);
    });
  }

  identical(e: ManifestEntry): number | undefined {
    return this.byId.get(`${entryId(e)}:${e.size}`);
  }

  /** The old file most likely to share bytes with `e`: same path, else same name and a similar size. */
  base(e: ManifestEntry): number | undefined {
    const same = this.byPath.get(e.path);
    if (same !== undefined && this.view.entries[same]!.type === "file") return same;
    let best: number | undefined;
    let bestScore = Math.log(4);
    for (const i of this.byName.get(basenameOf(e.path)) ?? []) {
      const score = Math.abs(Math.log((this.view.entries[i]!.size + 1) / (e.size + 1)));
      if (score < bestScore) {
        best = i;
        bestScore = score;
      }
    }
    return best;
  }
}

/**
 * Block size for a signature the agent sends: 6 × sqrt(size), between 256 B and 32 KiB.
 * Larger than rsync's sqrt rule because the upload is what an unknown base pays for, while
 * the extra literal bytes compress well in the body (corpus optimum was 6-8 × sqrt).
 */
export function remoteBlockLen(size: number): number {
  const block = Math.sqrt(size) * 6;
  return Math.min(32768, Math.max(256, Math.round(block / 16) * 16));
}

/** Unknown base: which old entries the agent should sign, and how. */
export function planSignatures(next: Manifest, old: OldView): SignatureRequest[] {
  const idx = new OldIndex(old);
  const wanted = new Map<number, SignatureRequest>();
  for (const e of next.entries) {
    if (e.type !== "file" || idx.identical(e) !== undefined) continue;
    const base = idx.base(e);
    if (base === undefined || wanted.has(base)) continue;
    const size = old.entries[base]!.size;
    if (size < MIN_SIGNATURE_BASE) continue;
    const blockLen = remoteBlockLen(size);
    wanted.set(base, {
      index: base,
      blockLen,
      strongLen: minimumStrongLen(Math.max(size, e.size), blockLen),
    });
  }
  // Signatures cost a round trip (~800 B of HTTP and plan); below this much old text the
  // changed entries travel cheaper as literals (the 7 KB Common Cartridge: 350-670 B less).
  const bases = [...wanted.values()].reduce((n, r) => n + old.entries[r.index]!.size, 0);
  if (bases < SIGNATURES_PAY_FROM) return [];
  return [...wanted.values()].sort((a, b) => a.index - b.index);
}

function mostCommon<T>(values: T[], fallback: T): T {
  const counts = new Map<T, number>();
  let best = fallback;
  let bestN = 0;
  for (const v of values) {
    const n = (counts.get(v) ?? 0) + 1;
    counts.set(v, n);
    if (n > bestN) {
      best = v;
      bestN = n;
    }
  }
  return best;
}

const brotliSize = (data: Uint8Array, quality = 5) =>
  brotliCompressSync(data, { params: { [zc.BROTLI_PARAM_QUALITY]: quality, [zc.BROTLI_PARAM_LGWIN]: 22 } })
    .length;

/** Whether literal bytes are worth compressing: judged on a sample, like the zip writer. */
async function compressible(path: string, size: number): Promise<boolean> {
  if (size < 64) return true;
  const fh = await open(path, "r");
  try {
    const sample = Buffer.alloc(Math.min(size, 64 * 1024));
    await fh.read(sample, 0, sample.length, 0);
    return brotliSize(sample, 1) < sample.length * 0.95;
  } finally {
    await fh.close();
  }
}

async function collect(gen: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of gen) parts.push(c);
  return Buffer.concat(parts);
}

/** How an entry's delta is encoded: rdiff ("d"), op list against one entry ("x") or all ("g"). */
type DeltaKind = "d" | "x" | "g";

/** Old versions up to this size get a cross-entry index (held in the master's memory). */
const GLOBAL_BELOW = 256 << 20;

/** Index over all old files back to back (see globalLayout), or undefined when too big. */
async function globalIndex(old: OldView): Promise<CopyIndex | undefined> {
  if (!old.root) return undefined;
  const layout = globalLayout(old);
  const total = layout.reduce((n, f) => n + f.size, 0);
  if (total > GLOBAL_BELOW || total === 0) return undefined;
  const all = Buffer.allocUnsafe(total);
  for (const f of layout) (await readFile(join(old.root, f.path))).copy(all, f.start);
  return new CopyIndex(all);
}

/** Entries this large get an rdiff delta (streaming) instead of an in-memory op list (master memory). */
const OPS_BELOW = 32 << 20;

/**
 * Known base: both versions are here, so nothing is sent to find matches. Entries up to
 * OPS_BELOW get a byte-exact op list; larger ones a streaming rdiff delta.
 */
async function localDelta(
  oldPath: string,
  oldSize: number,
  newPath: string,
  neu: Buffer | undefined,
): Promise<[DeltaKind, Buffer]> {
  if (oldSize < OPS_BELOW && neu) return ["x", diffBytes(await readFile(oldPath), neu)];
  const blockLen = Math.min(2048, Math.max(64, Math.round(Math.sqrt(oldSize) / 64) * 16));
  const sig = await readSignature(generateSignature(readChunks(oldPath), { blockLen, strongLen: 16 }));
  const delta = await collect(generateDelta(sig, readChunks(newPath)));
  return ["d", delta];
}

interface Payload {
  entry: HcdEntry;
  /** Bytes for the body or raw section: a buffer (delta) or a file (literal). */
  data?: Buffer;
  file?: string;
  raw?: boolean;
}

const comparePaths = (a: string, b: string) => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));

/**
 * Write the course delta for `next` (extracted at `nextRoot`) against `old` to `outPath`.
 * For an unknown base, `signatures` holds what the agent sent, by old entry index.
 */
export async function buildCourseDelta(opts: {
  next: Manifest;
  nextRoot: string;
  old: OldView;
  signatures?: Map<number, Signature>;
  outPath: string;
  /** Give up (throwing its reason) at the next entry once this is aborted. */
  signal?: AbortSignal;
}): Promise<BuildStats> {
  const { next, nextRoot, old } = opts;
  const idx = new OldIndex(old);
  let global: Promise<CopyIndex | undefined> | undefined;
  const entries = canonicalOrder(next.entries);
  const header: HcdHeader = {
    v: 1,
    format: next.format,
    contentHash: next.contentHash,
    base: old.contentHash,
    oldCount: old.entries.length,
    mtime: Math.max(0, ...entries.map((e) => e.mtime.getTime())),
    fileMode: mostCommon(
      entries.filter((e) => e.type === "file").map((e) => e.mode),
      0o644,
    ),
    dirMode: mostCommon(
      entries.filter((e) => e.type === "dir").map((e) => e.mode),
      0o755,
    ),
    ops: [],
  };
  const stats: BuildStats = {
    identical: 0,
    deltas: 0,
    literals: 0,
    bodyBytes: 0,
    rawBytes: 0,
    totalBytes: 0,
  };
  const payloads: Payload[] = [];
  const ops = header.ops;
  const run = (n: number) => {
    const last = ops[ops.length - 1];
    if (typeof last === "number" && Math.sign(last) === Math.sign(n)) ops[ops.length - 1] = last + n;
    else ops.push(n);
  };
  const defaultMode = (e: ManifestEntry) => (e.type === "dir" ? header.dirMode : header.fileMode);
  const unchanged = (o: OldView["entries"][number], e: ManifestEntry) =>
    o.type === e.type &&
    (e.type === "symlink" || e.mode === defaultMode(e)) &&
    (e.type === "dir" || (o.id === entryId(e) && o.size === e.size));

  let oi = 0;
  for (const e of entries) {
    opts.signal?.throwIfAborted();
    while (oi < old.entries.length && comparePaths(old.entries[oi]!.path, e.path) < 0) {
      run(-1);
      oi++;
    }
    const replaces = oi < old.entries.length && old.entries[oi]!.path === e.path;
    if (replaces && unchanged(old.entries[oi]!, e)) {
      run(1);
      oi++;
      continue;
    }
    const h: HcdEntry = replaces ? {} : { p: e.path };
    if (replaces) oi++;
    ops.push(h);
    if (e.type === "dir") h.t = "d";
    if (e.type === "symlink") {
      h.t = "l";
      h.k = e.linkTarget ?? "";
    } else if (e.mode !== defaultMode(e)) {
      h.m = e.mode;
    }
    if (e.type !== "file") continue;
    h.z = e.size;
    const same = idx.identical(e);
    if (same !== undefined) {
      h.c = same;
      stats.identical++;
      continue;
    }
    const newPath = join(nextRoot, e.path);
    // Read once, reused by every estimate and diff below (only entries small enough for op lists).
    const neu = e.size < OPS_BELOW ? await readFile(newPath) : undefined;
    const literalCost = neu && neu.length < 1 << 20 ? brotliSize(neu) : e.size;
    const base = idx.base(e);
    let delta: [DeltaKind, Buffer] | undefined;
    if (base !== undefined) {
      const o = old.entries[base]!;
      if (old.root) {
        delta = await localDelta(join(old.root, o.path), o.size, newPath, neu);
      } else {
        const sig = opts.signatures?.get(base);
        if (sig) {
          const d = await collect(generateDelta(sig, readChunks(newPath)));
          delta = ["d", d];
        }
      }
    }
    let deltaCost = delta ? wireCost(delta[1]) : Number.POSITIVE_INFINITY;
    // Known base: content may also come from other old entries (moved text, a new
    // activity like an old one). Keep the cross-entry op list when it compresses smaller.
    if (old.root && neu) {
      global ??= globalIndex(old);
      const g = await global;
      if (g) {
        const d = diffBytes(g, neu);
        const cost = wireCost(d);
        if (cost < deltaCost) {
          delta = ["g", d];
          deltaCost = cost;
        }
      }
    }
    if (delta && deltaCost < literalCost) {
      const [src, data] = delta;
      h.c = src === "g" ? ["g", data.length] : [src, base!, data.length];
      payloads.push({ entry: h, data });
      stats.deltas++;
    } else {
      const raw = !(await compressible(newPath, e.size));
      h.c = raw ? ["r", e.size] : ["l", e.size];
      payloads.push({ entry: h, file: newPath, raw });
      stats.literals++;
    }
  }
  if (oi < old.entries.length) run(-(old.entries.length - oi));
  return writeDelta(opts.outPath, header, payloads, stats);
}

/** Estimated bytes on the wire: brotli-compressed size, or the raw size for large payloads. */
function wireCost(payload: Buffer): number {
  return payload.length < 4 << 20 ? brotliSize(payload) : payload.length;
}

async function writeDelta(
  outPath: string,
  header: HcdHeader,
  payloads: Payload[],
  stats: BuildStats,
): Promise<BuildStats> {
  const work = await mkdtemp(join(tmpdir(), "hc-build-"));
  try {
    const bodyPath = join(work, "body");
    const rawPath = join(work, "raw");
    const bodyInput = payloads
      .filter((p) => !p.raw)
      .reduce((n, p) => n + (p.data?.length ?? (p.entry.z as number)), 0);
    // Small bodies get brotli's best (q11 runs at ~1 MB/s); bigger ones a quality that keeps
    // the master responsive (q9 gives up a few percent).
    const quality = bodyInput < 1 << 20 ? 11 : bodyInput < 64 << 20 ? 9 : 5;
    const brotli = createBrotliCompress({
      params: {
        [zc.BROTLI_PARAM_QUALITY]: quality,
        [zc.BROTLI_PARAM_LGWIN]: 24,
        [zc.BROTLI_PARAM_SIZE_HINT]: bodyInput,
      },
    });
    const bodyFile = createWriteStream(bodyPath);
    const rawFile = createWriteStream(rawPath);
    brotli.pipe(bodyFile);
    const write = async (w: NodeJS.WritableStream, chunk: Uint8Array) => {
      if (!w.write(chunk)) await new Promise<void>((r) => w.once("drain", () => r()));
    };
    for (const p of payloads) {
      const target = p.raw ? rawFile : brotli;
      if (p.data) await write(target, p.data);
      else
        for await (const c of createReadStream(p.file!, { highWaterMark: 1 << 20 }))
          await write(target, c as Buffer);
    }
    brotli.end();
    rawFile.end();
    await Promise.all([finished(bodyFile), finished(rawFile)]);
    stats.bodyBytes = (await stat(bodyPath)).size;
    stats.rawBytes = (await stat(rawPath)).size;
    const len = Buffer.alloc(8);
    len.writeBigUInt64BE(BigInt(stats.bodyBytes));
    const head = encodeHeader(header);
    stats.totalBytes = await writeFileAtomic(
      outPath,
      (async function* () {
        yield head;
        yield len;
        yield* readChunks(bodyPath);
        yield* readChunks(rawPath);
      })(),
    );
    return stats;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

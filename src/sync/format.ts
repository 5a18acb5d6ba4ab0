/**
 * The course delta ("HCD1"): everything an agent needs to turn its old course into the new
 * one. Layout:
 *   "HCD1" | u32 header length | brotli(JSON header) | u64 body length | body | raw
 * The header is an edit script over the old entries in canonical order: "keep the next n
 * old entries", "drop n", or a new/changed entry naming where its bytes come from (an old
 * entry: moved or renamed, costs a few bytes; a delta against an old entry; literal bytes).
 * The new archive is rebuilt in canonical (path) order, which is what makes unchanged
 * entries a run length instead of a list; entry order carries no meaning for any LMS.
 * Deltas and compressible literals travel in the brotli-compressed body; incompressible
 * media in the raw section, so it is not recompressed for nothing.
 * Entry mtimes are not carried: they are not part of an entry's bytes, and every LMS
 * re-export restamps them anyway; the rebuilt archive stamps all entries with `mtime`.
 */
import { brotliCompressSync, brotliDecompressSync, constants as zc } from "node:zlib";
import type { ArchiveFormat } from "../archive/index.js";

export const HCD_MAGIC = Buffer.from("HCD1");

/** Content source of a file entry. */
export type Source =
  /** identical to old entry #n */
  | number
  /** rdiff delta against old entry #n, `len` bytes in the body */
  | ["d", number, number]
  /** handcarry op list (ops.ts) against old entry #n, `len` bytes in the body */
  | ["x", number, number]
  /** op list against all old files concatenated in canonical order (cross-entry matches) */
  | ["g", number]
  /** literal, `len` bytes in the body */
  | ["l", number]
  /** literal, `len` bytes in the raw section */
  | ["r", number];

/** A new or changed entry. */
export interface HcdEntry {
  /** Path; omitted when the entry replaces the old entry at the cursor (same path). */
  p?: string;
  /** Type when not a file: d(ir) or l(ink). */
  t?: "d" | "l";
  /** Mode when it differs from the header's default for its type. */
  m?: number;
  /** Symlink target. */
  k?: string;
  /** Where a file's bytes come from. */
  c?: Source;
  /** Size of the new content. */
  z?: number;
}

/** Edit script step: keep n old entries (n > 0), drop n old entries (-n), or add an entry. */
export type HcdOp = number | HcdEntry;

export interface HcdHeader {
  v: 1;
  format: ArchiveFormat;
  /** Content hash of the new version: the agent's result must match it. */
  contentHash: string;
  /** Content hash of the version this delta applies to. */
  base: string;
  /** Number of old entries the script walks over (a consistency check). */
  oldCount: number;
  /** Stamp for every entry, and the modes most entries share. */
  mtime: number;
  fileMode: number;
  dirMode: number;
  ops: HcdOp[];
}

export interface HcdLayout {
  header: HcdHeader;
  /** Offset and length of the compressed body and of the raw section in the file. */
  bodyOffset: number;
  bodyLength: number;
  rawOffset: number;
  rawLength: number;
}

export function encodeHeader(header: HcdHeader): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const packed = brotliCompressSync(json, {
    params: { [zc.BROTLI_PARAM_QUALITY]: 11, [zc.BROTLI_PARAM_SIZE_HINT]: json.length },
  });
  const prefix = Buffer.alloc(8);
  HCD_MAGIC.copy(prefix, 0);
  prefix.writeUInt32BE(packed.length, 4);
  return Buffer.concat([prefix, packed]);
}

export class HcdFormatError extends Error {
  constructor(
    readonly source: string,
    message: string,
  ) {
    super(`${source}: ${message}`);
    this.name = "HcdFormatError";
  }
}

const MAX_HEADER = 64 << 20;

/** Parse the fixed prefix and header; `read(pos, len)` reads the file. */
export async function readLayout(
  source: string,
  fileSize: number,
  read: (pos: number, len: number) => Promise<Buffer>,
): Promise<HcdLayout> {
  if (fileSize < 16) throw new HcdFormatError(source, `too short to be a course delta (${fileSize} bytes)`);
  const prefix = await read(0, 8);
  if (!prefix.subarray(0, 4).equals(HCD_MAGIC)) {
    throw new HcdFormatError(source, `not a course delta (magic ${prefix.subarray(0, 4).toString("hex")})`);
  }
  const headerLen = prefix.readUInt32BE(4);
  if (headerLen > MAX_HEADER || 8 + headerLen + 8 > fileSize) {
    throw new HcdFormatError(source, `header length ${headerLen} does not fit in ${fileSize} bytes`);
  }
  let header: HcdHeader;
  try {
    header = JSON.parse(brotliDecompressSync(await read(8, headerLen)).toString("utf8")) as HcdHeader;
  } catch (e) {
    throw new HcdFormatError(source, `unreadable header (${(e as Error).message})`);
  }
  validateHeader(source, header);
  const bodyLength = Number((await read(8 + headerLen, 8)).readBigUInt64BE(0));
  const bodyOffset = 8 + headerLen + 8;
  if (bodyOffset + bodyLength > fileSize) {
    throw new HcdFormatError(source, `body of ${bodyLength} bytes runs past the end (${fileSize} bytes)`);
  }
  const rawOffset = bodyOffset + bodyLength;
  const rawLength = fileSize - rawOffset;
  const rawNeeded = header.ops.reduce<number>(
    (n, e) => n + (typeof e === "object" && Array.isArray(e.c) && e.c[0] === "r" ? e.c[1] : 0),
    0,
  );
  if (rawNeeded !== rawLength) {
    throw new HcdFormatError(
      source,
      `raw section holds ${rawLength} bytes but the entries need ${rawNeeded}`,
    );
  }
  return { header, bodyOffset, bodyLength, rawOffset, rawLength };
}

const isCount = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;

function validateHeader(source: string, h: HcdHeader): void {
  const bad = (what: string) => new HcdFormatError(source, `malformed header: ${what}`);
  if (h?.v !== 1) throw bad(`version ${String(h?.v)}`);
  if (!["zip", "tar", "tar.gz"].includes(h.format)) throw bad(`format ${String(h.format)}`);
  if (typeof h.contentHash !== "string" || typeof h.base !== "string") throw bad("content hashes");
  if (!Array.isArray(h.ops) || !isCount(h.oldCount)) throw bad("ops");
  if (![h.mtime, h.fileMode, h.dirMode].every(isCount)) throw bad("defaults");
  h.ops.forEach((e, i) => {
    if (typeof e === "number") {
      if (!Number.isSafeInteger(e) || e === 0) throw bad(`op ${i}`);
      return;
    }
    if (typeof e !== "object" || e === null) throw bad(`op ${i}`);
    if (e.p !== undefined && typeof e.p !== "string") throw bad(`entry ${i} path`);
    if (e.m !== undefined && !isCount(e.m)) throw bad(`entry ${i} mode`);
    if (e.t !== undefined && e.t !== "d" && e.t !== "l") throw bad(`entry ${i} type`);
    if (e.t === undefined) {
      const c = e.c;
      const ok =
        isCount(c) ||
        (Array.isArray(c) &&
          (((c[0] === "d" || c[0] === "x") && c.length === 3 && isCount(c[1]) && isCount(c[2])) ||
            ((c[0] === "l" || c[0] === "r" || c[0] === "g") && c.length === 2 && isCount(c[1]))));
      if (!ok || !isCount(e.z)) throw bad(`entry ${i} content source`);
    }
    if (e.t === "l" && typeof e.k !== "string") throw bad(`entry ${i} link target`);
  });
}

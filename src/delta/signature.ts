/**
 * Signatures: one weak + strong checksum per block of the old file, in librsync's format.
 * Generation streams (memory: one block plus the output buffer); parsing keeps the
 * checksums in two typed arrays, which is the "signature size" that bounds delta memory.
 */
import { checkBlockLen, checkStrongLen, recommendedBlockLen } from "./blocksize.js";
import { ByteReader, type ByteSource, OutputBuffer } from "./bytes.js";
import { DeltaError } from "./errors.js";
import {
  describeMagic,
  getNetint,
  hex32,
  MAX_STRONG_LEN,
  putNetint,
  type StrongKind,
  sigMagic,
  type WeakKind,
} from "./format.js";
import { createStrongHasher } from "./strong.js";
import { weakSum } from "./weaksum.js";

export interface SignatureOptions {
  /** Block length; default: rdiff's choice for `fileSize` (2048 when the size is unknown). */
  blockLen?: number;
  /** Strong sum bytes kept per block; default the hash's full length, as rdiff. */
  strongLen?: number;
  weak?: WeakKind;
  strong?: StrongKind;
  /** Size of the old file, used only to choose the block length. */
  fileSize?: number;
}

export interface SignatureParams {
  weak: WeakKind;
  strong: StrongKind;
  blockLen: number;
  strongLen: number;
}

export interface Signature extends SignatureParams {
  /** Number of blocks. */
  count: number;
  weakSums: Uint32Array;
  /** count * strongLen bytes. */
  strongSums: Uint8Array;
}

export const SIG_HEADER_LEN = 12;
const DEFAULT_BLOCK_LEN_UNKNOWN_SIZE = 2048;

export function resolveSignatureParams(opts: SignatureOptions = {}): SignatureParams {
  const weak = opts.weak ?? "rabinkarp";
  const strong = opts.strong ?? "blake2";
  const blockLen =
    opts.blockLen ??
    (opts.fileSize === undefined ? DEFAULT_BLOCK_LEN_UNKNOWN_SIZE : recommendedBlockLen(opts.fileSize));
  const strongLen = opts.strongLen ?? MAX_STRONG_LEN[strong];
  checkBlockLen(blockLen);
  checkStrongLen(strongLen, strong);
  return { weak, strong, blockLen, strongLen };
}

/** Stream the signature of `source`. */
export async function* generateSignature(
  source: ByteSource,
  opts: SignatureOptions = {},
): AsyncGenerator<Uint8Array> {
  const p = resolveSignatureParams(opts);
  const { blockLen, strongLen } = p;
  const hash = await createStrongHasher(p.strong);
  const out = new OutputBuffer();
  const [hb, ha] = out.reserve(SIG_HEADER_LEN);
  putNetint(hb, ha, sigMagic(p.weak, p.strong), 4);
  putNetint(hb, ha + 4, blockLen, 4);
  putNetint(hb, ha + 8, strongLen, 4);

  const emitBlock = (buf: Uint8Array, start: number, end: number) => {
    const [b, at] = out.reserve(4 + strongLen);
    putNetint(b, at, weakSum(p.weak, buf, start, end), 4);
    b.set(hash(buf.subarray(start, end)).subarray(0, strongLen), at + 4);
  };

  // A block may straddle input chunks: `carry` holds its first part.
  const carry = new Uint8Array(blockLen);
  let carried = 0;
  for await (const chunk of source) {
    let i = 0;
    if (carried > 0) {
      const take = Math.min(blockLen - carried, chunk.length);
      carry.set(chunk.subarray(0, take), carried);
      carried += take;
      i = take;
      if (carried === blockLen) {
        emitBlock(carry, 0, blockLen);
        carried = 0;
      }
    }
    for (; i + blockLen <= chunk.length; i += blockLen) emitBlock(chunk, i, i + blockLen);
    if (i < chunk.length) {
      carry.set(chunk.subarray(i), 0);
      carried = chunk.length - i;
    }
    yield* out.take();
  }
  if (carried > 0) emitBlock(carry, 0, carried);
  yield* out.take(true);
}

/** Parse a signature stream; `what` names it in errors. */
export async function readSignature(source: ByteSource, what = "signature"): Promise<Signature> {
  const r = new ByteReader(source, what);
  if (!(await r.fill(4)))
    throw new DeltaError("TRUNCATED", `${what} is empty (expected a librsync signature)`);
  const header = await r.read(SIG_HEADER_LEN, "the signature header");
  const magic = getNetint(header, 0, 4, "magic");
  const kind = describeMagic(magic);
  if (!kind) {
    throw new DeltaError(
      "BAD_MAGIC",
      `${what} has magic ${hex32(magic)}, not a librsync signature (0x72730136/37/46/47)`,
    );
  }
  const blockLen = getNetint(header, 4, 4, "block length");
  const strongLen = getNetint(header, 8, 4, "strong sum length");
  try {
    checkBlockLen(blockLen);
    checkStrongLen(strongLen, kind.strong);
  } catch (e) {
    throw new DeltaError("CORRUPT", `${what} header: ${(e as Error).message}`);
  }
  const rec = 4 + strongLen;
  let weakSums = new Uint32Array(1024);
  let strongSums = new Uint8Array(1024 * strongLen);
  let count = 0;
  while (await r.fill(rec)) {
    const n = Math.floor(r.buffered / rec);
    const data = await r.read(n * rec, "block records");
    if (count + n > weakSums.length) {
      const cap = Math.max(weakSums.length * 2, count + n);
      const w = new Uint32Array(cap);
      w.set(weakSums.subarray(0, count));
      weakSums = w;
      const s = new Uint8Array(cap * strongLen);
      s.set(strongSums.subarray(0, count * strongLen));
      strongSums = s;
    }
    for (let i = 0; i < n; i++) {
      const at = i * rec;
      weakSums[count] =
        ((data[at]! << 24) | (data[at + 1]! << 16) | (data[at + 2]! << 8) | data[at + 3]!) >>> 0;
      strongSums.set(data.subarray(at + 4, at + rec), count * strongLen);
      count++;
    }
  }
  if (r.buffered > 0) {
    throw new DeltaError(
      "TRUNCATED",
      `${what} ends in the middle of block record ${count} (${r.buffered} of ${rec} bytes present)`,
    );
  }
  return {
    weak: kind.weak,
    strong: kind.strong,
    blockLen,
    strongLen,
    count,
    weakSums: weakSums.subarray(0, count),
    strongSums: strongSums.subarray(0, count * strongLen),
  };
}

/**
 * Delta generation: slide a window over the new file and find blocks of the old file by
 * weak sum (filtered through a small bit array first, so most bytes cost one lookup),
 * confirmed by strong sum. The scan reproduces librsync 2.3's choices exactly (literals cut
 * at 32 KiB, contiguous matches merged, the first of identical old blocks used, the tail
 * shrunk byte by byte at end of input), so deltas equal rdiff's byte for byte.
 */
import type { Signature } from "./signature.js";
import { createStrongHasher, type StrongHasher } from "./strong.js";
import {
  RK_ADJ,
  RK_INVM,
  RK_MULT,
  ROLLSUM_CHAR_OFFSET,
  rabinKarp,
  rkPower,
  rollsumState,
} from "./weaksum.js";

/** What the matcher finds, in order: copy old[pos, pos+len) or insert literal bytes. */
export interface DeltaSink {
  copy(pos: number, len: number): void;
  /** `data` is only valid during the call: copy it to keep it. */
  literal(data: Uint8Array): void;
}

/** librsync flushes a run of unmatched bytes once it reaches 32 KiB. */
export const MAX_MISS = 32768;

/** Open-addressing table of block checksums, with a bit-array prefilter in front. */
export class SignatureIndex {
  private readonly keys: Uint32Array;
  private readonly vals: Int32Array;
  private readonly shift: number;
  readonly filter: Uint8Array;
  readonly filterShift: number;

  constructor(
    readonly sig: Signature,
    private readonly hash: StrongHasher,
  ) {
    const tableBits = Math.max(4, Math.ceil(Math.log2(sig.count * 4 + 1)));
    this.keys = new Uint32Array(1 << tableBits);
    this.vals = new Int32Array(1 << tableBits);
    this.shift = 32 - tableBits;
    // ~16 filter bits per block: a random weak sum passes with probability < 1/16.
    const filterBits = Math.max(10, Math.ceil(Math.log2(sig.count * 16 + 1)));
    this.filter = new Uint8Array((1 << filterBits) >>> 3);
    this.filterShift = 32 - filterBits;
    for (let i = 0; i < sig.count; i++) this.add(i);
  }

  static async create(sig: Signature): Promise<SignatureIndex> {
    return new SignatureIndex(sig, await createStrongHasher(sig.strong));
  }

  private add(block: number): void {
    const weak = this.sig.weakSums[block]!;
    const mask = this.vals.length - 1;
    let slot = Math.imul(weak, 0x9e3779b1) >>> this.shift;
    // Identical blocks keep only the first, so matches point at the earliest copy (as librsync).
    for (; this.vals[slot] !== 0; slot = (slot + 1) & mask) {
      const other = this.vals[slot]! - 1;
      if (this.keys[slot] === weak && this.sameStrong(other, block)) return;
    }
    this.keys[slot] = weak;
    this.vals[slot] = block + 1;
    const f = Math.imul(weak, 0x85ebca77) >>> this.filterShift;
    this.filter[f >>> 3]! |= 1 << (f & 7);
  }

  private sameStrong(a: number, b: number): boolean {
    const n = this.sig.strongLen;
    const s = this.sig.strongSums;
    for (let i = 0; i < n; i++) if (s[a * n + i] !== s[b * n + i]) return false;
    return true;
  }

  /** The block whose weak and strong sums match `data`, or -1. */
  find(weak: number, data: Uint8Array): number {
    const mask = this.vals.length - 1;
    const n = this.sig.strongLen;
    const sums = this.sig.strongSums;
    let strong: Uint8Array | undefined;
    for (
      let slot = Math.imul(weak, 0x9e3779b1) >>> this.shift;
      this.vals[slot] !== 0;
      slot = (slot + 1) & mask
    ) {
      if (this.keys[slot] !== weak) continue;
      const block = this.vals[slot]! - 1;
      strong ??= this.hash(data);
      let i = 0;
      while (i < n && strong[i] === sums[block * n + i]) i++;
      if (i === n) return block;
    }
    return -1;
  }
}

/**
 * The scanning state machine. `push` new-file bytes as they arrive, then `finish`.
 * Memory: the signature index plus a window of about one input chunk.
 */
export class Matcher {
  private buf = new Uint8Array(0);
  /** buf[0, avail) holds new-file bytes not yet emitted (plus what is being scanned). */
  private avail = 0;
  /** Next byte to test as the start of a block. */
  private pos = 0;
  /** Start of the pending unmatched run (meaningful while basisLen is 0). */
  private pendStart = 0;
  /** Pending match: old-file range that continues to grow while blocks stay contiguous. */
  private basisPos = 0;
  private basisLen = 0;
  /** Bytes in the current weak sum window [pos, pos + wcount); 0 = must recompute. */
  private wcount = 0;
  private h = 0;
  private pm = 0;
  private s1 = 0;
  private s2 = 0;
  private readonly blockLen: number;
  private readonly rk: boolean;
  private readonly pmBlock: number;

  constructor(
    private readonly index: SignatureIndex,
    private readonly sink: DeltaSink,
  ) {
    this.blockLen = index.sig.blockLen;
    this.rk = index.sig.weak === "rabinkarp";
    this.pmBlock = rkPower(this.blockLen);
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.append(chunk);
    if (this.index.sig.count === 0) {
      this.slack(false);
      return;
    }
    this.scan(false);
  }

  finish(): void {
    if (this.index.sig.count === 0) this.slack(true);
    else this.scan(true);
    this.flush();
  }

  /** Keep what is still needed, add the chunk. */
  private append(chunk: Uint8Array): void {
    const keep = this.basisLen > 0 ? this.pos : this.pendStart;
    const kept = this.avail - keep;
    const need = kept + chunk.length;
    if (need > this.buf.length) {
      const next = new Uint8Array(Math.max(need, this.buf.length * 2, 1 << 16));
      next.set(this.buf.subarray(keep, this.avail), 0);
      this.buf = next;
    } else if (keep > 0) {
      this.buf.copyWithin(0, keep, this.avail);
    }
    this.buf.set(chunk, kept);
    this.avail = need;
    this.pos -= keep;
    this.pendStart -= keep;
  }

  /** With an empty signature nothing can match: literals of one block each, as rdiff. */
  private slack(final: boolean): void {
    const bl = this.blockLen;
    while (this.avail - this.pendStart >= bl || (final && this.avail > this.pendStart)) {
      const end = Math.min(this.pendStart + bl, this.avail);
      this.sink.literal(this.buf.subarray(this.pendStart, end));
      this.pendStart = end;
    }
    this.pos = this.pendStart;
  }

  private scan(final: boolean): void {
    const buf = this.buf;
    const avail = this.avail;
    const bl = this.blockLen;
    const rk = this.rk;
    const index = this.index;
    const filter = index.filter;
    const fshift = index.filterShift;
    // Before end of input, a block is only tested once the byte after it is present.
    const limit = final ? avail : avail - bl;
    let pos = this.pos;
    let wcount = this.wcount;
    let h = this.h;
    let pm = this.pm;
    let s1 = this.s1;
    let s2 = this.s2;
    while (pos < limit) {
      let ml: number;
      if (wcount === 0) {
        ml = Math.min(bl, avail - pos);
        if (rk) {
          h = rabinKarp(buf, pos, pos + ml) | 0;
          pm = ml === bl ? this.pmBlock : rkPower(ml);
        } else {
          [s1, s2] = rollsumState(buf, pos, pos + ml);
        }
        wcount = ml;
      } else {
        ml = wcount;
      }
      const weak = rk ? h >>> 0 : ((s2 << 16) | s1) >>> 0;
      const f = Math.imul(weak, 0x85ebca77) >>> fshift;
      let block = -1;
      if ((filter[f >>> 3]! & (1 << (f & 7))) !== 0) block = index.find(weak, buf.subarray(pos, pos + ml));
      if (block >= 0) {
        const mpos = block * bl;
        if (this.basisLen > 0 && this.basisPos + this.basisLen === mpos) {
          this.basisLen += ml;
        } else {
          this.pos = pos;
          this.flush();
          this.basisPos = mpos;
          this.basisLen = ml;
        }
        pos += ml;
        wcount = 0;
        continue;
      }
      const out = buf[pos]!;
      if (!final) {
        const inb = buf[pos + bl]!;
        if (rk) {
          h = (Math.imul(h, RK_MULT) + inb - Math.imul(pm, out + RK_ADJ)) | 0;
        } else {
          s1 = (s1 + inb - out) & 0xffff;
          s2 = (s2 + s1 - Math.imul(bl, out + ROLLSUM_CHAR_OFFSET)) & 0xffff;
        }
      } else {
        // End of input: the window shrinks from the front instead of rolling.
        if (rk) {
          pm = Math.imul(pm, RK_INVM);
          h = (h - Math.imul(pm, out + RK_ADJ)) | 0;
        } else {
          s1 = (s1 - out - ROLLSUM_CHAR_OFFSET) & 0xffff;
          s2 = (s2 - Math.imul(wcount, out + ROLLSUM_CHAR_OFFSET)) & 0xffff;
        }
        wcount--;
      }
      if (this.basisLen > 0 || pos - this.pendStart >= MAX_MISS) {
        this.pos = pos;
        this.flush();
      }
      pos++;
    }
    this.pos = pos;
    this.wcount = wcount;
    this.h = h;
    this.pm = pm;
    this.s1 = s1;
    this.s2 = s2;
  }

  /** Emit the pending match or unmatched run that ends at `this.pos`. */
  private flush(): void {
    if (this.basisLen > 0) {
      this.sink.copy(this.basisPos, this.basisLen);
      this.basisLen = 0;
    } else if (this.pos > this.pendStart) {
      this.sink.literal(this.buf.subarray(this.pendStart, this.pos));
    }
    this.pendStart = this.pos;
  }
}

/**
 * Known-base entry deltas in handcarry's own op format ("x"): with both versions on the
 * master there is no signature to send, so matching can be byte-exact (an xdelta-style
 * greedy differ) and literals shrink to the bytes that really changed. Encoding
 * (zstd-like, small under brotli): varint count, then per sequence varint literal length,
 * zigzag varint offset from where the previous copy ended, varint copy length; varint
 * trailing literal length; then all literal bytes.
 */
import { HcdFormatError } from "./format.js";

interface Copy {
  /** position in the new bytes, in the old bytes, length */
  np: number;
  op: number;
  len: number;
}

/**
 * Window the index matches on. Long on purpose: measured on the corpus (K = 8…128), short
 * matches fragment heavily edited XML into many copies whose cost brotli cannot recover,
 * while the continuation check still catches the bytes right after a small edit.
 * K = 64 was best overall (STACK zip→tar.gz re-export: 143 KB at K = 16, 102 KB at 64).
 */
const K = 64;
const MULT = 0x08104225;
/** MULT^K: what the byte leaving a K-byte window was multiplied by. */
const MK = (() => {
  let m = 1;
  for (let j = 0; j < K; j++) m = Math.imul(m, MULT);
  return m;
})();
/** A continuation of the previous copy is taken from this many matching bytes on. */
const MIN_CONTINUE = 8;

/** Hash of the K bytes at buf[i] (RabinKarp, as librsync's weak sum). */
function hashAt(buf: Uint8Array, i: number): number {
  let h = 0;
  for (let j = 0; j < K; j++) h = (Math.imul(h, MULT) + buf[i + j]!) | 0;
  return h;
}

function forward(old: Uint8Array, op: number, neu: Uint8Array, np: number): number {
  let n = 0;
  while (op + n < old.length && np + n < neu.length && old[op + n] === neu[np + n]) n++;
  return n;
}

/**
 * Greedy byte-level differ (xdelta-like). Every K-byte window of the old bytes is indexed
 * (first occurrence wins). At each new position the continuation of the previous copy (as
 * if the bytes since were replaced, or inserted) is tried before the index, so repetitive
 * XML does not scatter copies across the file; each match is extended backwards into the
 * pending literal.
 */
/** Index of every K-byte window of the old bytes (first and last occurrence); reusable across new files. */
export class CopyIndex {
  /** First and last occurrence of each window hash: two candidates per lookup. */
  private readonly table: Int32Array;
  private readonly lastTable: Int32Array;
  private readonly shift: number;

  constructor(readonly old: Uint8Array) {
    const bits = Math.min(24, Math.max(10, Math.ceil(Math.log2(old.length + 1)) + 1));
    this.shift = 32 - bits;
    this.table = new Int32Array(1 << bits);
    this.lastTable = new Int32Array(1 << bits);
    if (old.length >= K) {
      let h = hashAt(old, 0);
      for (let p = 0; ; p++) {
        const slot = Math.imul(h, 0x9e3779b1) >>> this.shift;
        if (this.table[slot] === 0) this.table[slot] = p + 1;
        this.lastTable[slot] = p + 1;
        if (p + K >= old.length) break;
        h = (Math.imul(h, MULT) + old[p + K]! - Math.imul(MK, old[p]!)) | 0;
      }
    }
  }

  /** The copies that rebuild `neu` from the old bytes; the gaps between them are literals. */
  copies(neu: Uint8Array): Copy[] {
    const { old, table, lastTable, shift } = this;
    const copies: Copy[] = [];
    const mk = MK;
    let np = 0;
    let litStart = 0;
    let expected = 0;
    let nh = 0;
    let hashedAt = -1;
    while (np < neu.length) {
      let best = 0;
      let bestOp = 0;
      for (const cand of [expected + (np - litStart), expected]) {
        if (cand >= old.length) continue;
        const n = forward(old, cand, neu, np);
        if (n > best) {
          best = n;
          bestOp = cand;
        }
      }
      if (best < MIN_CONTINUE && old.length >= K && np + K <= neu.length) {
        if (hashedAt !== np) nh = hashAt(neu, np);
        hashedAt = np;
        const key = Math.imul(nh, 0x9e3779b1) >>> shift;
        for (const slot of [table[key]!, lastTable[key]!]) {
          if (slot === 0) continue;
          const n = forward(old, slot - 1, neu, np);
          if (n >= K && n > best) {
            best = n;
            bestOp = slot - 1;
          }
        }
      }
      // A short continuation is only worth it when it finishes the file.
      if (best >= MIN_CONTINUE || (best > 0 && np + best === neu.length)) {
        let start = np;
        let op = bestOp;
        while (start > litStart && op > 0 && old[op - 1] === neu[start - 1]) {
          start--;
          op--;
        }
        copies.push({ np: start, op, len: best + (np - start) });
        np += best;
        litStart = np;
        expected = op + best + (np - best - start);
        continue;
      }
      if (hashedAt === np && np + K < neu.length) {
        nh = (Math.imul(nh, MULT) + neu[np + K]! - Math.imul(mk, neu[np]!)) | 0;
        hashedAt = np + 1;
      }
      np++;
    }
    return copies;
  }
}

function putVarint(out: number[], v: number): void {
  let x = v;
  while (x >= 0x80) {
    out.push((x % 0x80) | 0x80);
    x = Math.floor(x / 0x80);
  }
  out.push(x);
}

const zigzag = (v: number) => (v < 0 ? -2 * v - 1 : 2 * v);
const unzigzag = (v: number) => (v % 2 === 1 ? -(v + 1) / 2 : v / 2);

export function encodeOps(neu: Uint8Array, copies: Copy[]): Buffer {
  const head: number[] = [];
  putVarint(head, copies.length);
  let np = 0;
  let expected = 0;
  const literals: Uint8Array[] = [];
  for (const c of copies) {
    putVarint(head, c.np - np);
    literals.push(neu.subarray(np, c.np));
    putVarint(head, zigzag(c.op - expected));
    putVarint(head, c.len);
    np = c.np + c.len;
    expected = c.op + c.len;
  }
  putVarint(head, neu.length - np);
  literals.push(neu.subarray(np));
  return Buffer.concat([Buffer.from(head), ...literals]);
}

/** The op-list delta that turns `old` into `neu`. */
export function diffBytes(old: Uint8Array | CopyIndex, neu: Uint8Array): Buffer {
  const index = old instanceof CopyIndex ? old : new CopyIndex(old);
  return encodeOps(neu, index.copies(neu));
}

/** Old bytes for patching: a buffer, or a virtual concatenation read on demand. */
export interface OldBytes {
  readonly length: number;
  slice(start: number, end: number): Uint8Array;
}

/** Apply an op-list delta; every length and offset is checked against the data at hand. */
export function patchBytes(old: OldBytes | Uint8Array, delta: Uint8Array, what: string): Buffer {
  const src: OldBytes =
    old instanceof Uint8Array ? { length: old.length, slice: (a, b) => old.subarray(a, b) } : old;
  let at = 0;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (at >= delta.length) throw new HcdFormatError(what, "op list ends inside a number");
      const b = delta[at++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) break;
      mul *= 0x80;
      if (mul > 2 ** 49) throw new HcdFormatError(what, "op list number is too large");
    }
    return v;
  };
  const n = varint();
  const seqs: Array<[number, number, number]> = [];
  let litTotal = 0;
  let expected = 0;
  for (let i = 0; i < n; i++) {
    const lit = varint();
    const op = expected + unzigzag(varint());
    const len = varint();
    if (op < 0 || op + len > old.length) {
      throw new HcdFormatError(
        what,
        `op ${i} copies old bytes [${op}, ${op + len}) outside the ${old.length}-byte base`,
      );
    }
    seqs.push([lit, op, len]);
    litTotal += lit;
    expected = op + len;
  }
  const tail = varint();
  litTotal += tail;
  if (at + litTotal !== delta.length) {
    throw new HcdFormatError(
      what,
      `op list needs ${litTotal} literal bytes but carries ${delta.length - at}`,
    );
  }
  const parts: Uint8Array[] = [];
  for (const [lit, op, len] of seqs) {
    parts.push(delta.subarray(at, at + lit), src.slice(op, op + len));
    at += lit;
  }
  parts.push(delta.subarray(at, at + tail));
  return Buffer.concat(parts);
}

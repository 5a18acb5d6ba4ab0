/**
 * The two rolling weak checksums librsync offers, bit-exact with its C code.
 * RabinKarp (default since librsync 2.2): h = h*MULT + byte, seeded with 1, mod 2^32.
 * Rollsum (rsync's classic Adler-like sum): s1 = sum(b+31), s2 = sum(s1), digest s2<<16|s1.
 * The rolling updates are inlined in match.ts for speed; these compute a whole block.
 */
import type { WeakKind } from "./format.js";

export const RK_SEED = 1;
export const RK_MULT = 0x08104225;
/** Inverse of RK_MULT mod 2^32: multiplying by it undoes one multiplication. */
export const RK_INVM = 0x98f009ad | 0;
/** (RK_MULT - 1) * RK_SEED: corrects for the seed when a byte rolls out. */
export const RK_ADJ = 0x08104224;
export const ROLLSUM_CHAR_OFFSET = 31;

const RK_M2 = Math.imul(RK_MULT, RK_MULT);
const RK_M3 = Math.imul(RK_M2, RK_MULT);
const RK_M4 = Math.imul(RK_M3, RK_MULT);

/** RabinKarp over buf[start, end). Four bytes per step shortens the multiply chain. */
export function rabinKarp(buf: Uint8Array, start: number, end: number): number {
  let h = RK_SEED;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    h =
      (Math.imul(h, RK_M4) +
        Math.imul(buf[i]!, RK_M3) +
        Math.imul(buf[i + 1]!, RK_M2) +
        Math.imul(buf[i + 2]!, RK_MULT) +
        buf[i + 3]!) |
      0;
  }
  for (; i < end; i++) h = (Math.imul(h, RK_MULT) + buf[i]!) | 0;
  return h >>> 0;
}

/** RK_MULT^n mod 2^32, the factor a byte n places back has been multiplied by. */
export function rkPower(n: number): number {
  let result = 1;
  let base = RK_MULT;
  let e = n;
  while (e > 0) {
    if (e & 1) result = Math.imul(result, base);
    base = Math.imul(base, base);
    e = Math.floor(e / 2);
  }
  return result | 0;
}

/** Classic rollsum state over buf[start, end): [s1, s2] each mod 2^16. */
export function rollsumState(buf: Uint8Array, start: number, end: number): [number, number] {
  let s1 = 0;
  let s2 = 0;
  for (let i = start; i < end; i++) {
    s1 = (s1 + buf[i]! + ROLLSUM_CHAR_OFFSET) & 0xffff;
    s2 = (s2 + s1) & 0xffff;
  }
  return [s1, s2];
}

export function rollsumDigest(s1: number, s2: number): number {
  return ((s2 << 16) | (s1 & 0xffff)) >>> 0;
}

export function weakSum(kind: WeakKind, buf: Uint8Array, start: number, end: number): number {
  if (kind === "rabinkarp") return rabinKarp(buf, start, end);
  const [s1, s2] = rollsumState(buf, start, end);
  return rollsumDigest(s1, s2);
}

/**
 * Block and strong-sum length choice, as `rdiff signature` (librsync 2.3) makes it:
 * 256 bytes up to 64 KiB, else sqrt(size) rounded down to a multiple of 128.
 * rdiff's default strong length is the hash's full length (32 for BLAKE2, 16 for MD4).
 */
import { DeltaError } from "./errors.js";
import { MAX_STRONG_LEN, type StrongKind } from "./format.js";

export const MIN_BLOCK_LEN = 1;
/** Larger blocks buy nothing and would make one block a memory problem on a Pi. */
export const MAX_BLOCK_LEN = 1 << 26;

export function recommendedBlockLen(fileSize: number): number {
  if (fileSize <= 256 * 256) return 256;
  const root = Math.floor(Math.sqrt(fileSize));
  return Math.max(256, root - (root % 128));
}

/** The shortest strong sum that keeps a collision below ~2^-32 per delta (rdiff -S -1). */
export function minimumStrongLen(fileSize: number, blockLen: number): number {
  const ln2 = (n: number) => (n <= 1 ? 0 : Math.floor(Math.log2(n)));
  return 2 + Math.floor((2 * ln2(fileSize) - ln2(blockLen) + 7) / 8);
}

export function checkBlockLen(blockLen: number, source?: string): void {
  if (!Number.isInteger(blockLen) || blockLen < MIN_BLOCK_LEN || blockLen > MAX_BLOCK_LEN) {
    throw new DeltaError(
      "BAD_PARAM",
      `block length ${blockLen} is out of range (${MIN_BLOCK_LEN}..${MAX_BLOCK_LEN})`,
      source,
    );
  }
}

export function checkStrongLen(strongLen: number, kind: StrongKind, source?: string): void {
  const max = MAX_STRONG_LEN[kind];
  if (!Number.isInteger(strongLen) || strongLen < 1 || strongLen > max) {
    throw new DeltaError(
      "BAD_PARAM",
      `strong sum length ${strongLen} is out of range for ${kind} (1..${max})`,
      source,
    );
  }
}

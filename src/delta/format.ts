/**
 * librsync's file formats: magic numbers, command opcodes and big-endian "netints".
 * Signature: magic(4) block_len(4) strong_len(4), then per block weak(4) strong(strong_len).
 * Delta: magic(4), then commands; END is 0x00.
 */
import { DeltaError } from "./errors.js";

export const DELTA_MAGIC = 0x72730236;

export type WeakKind = "rabinkarp" | "rollsum";
export type StrongKind = "blake2" | "md4";

/** The four signature magics: rollsum ("classic") or RabinKarp, each with MD4 or BLAKE2. */
export const SIG_MAGICS: ReadonlyArray<{ magic: number; weak: WeakKind; strong: StrongKind }> = [
  { magic: 0x72730136, weak: "rollsum", strong: "md4" },
  { magic: 0x72730137, weak: "rollsum", strong: "blake2" },
  { magic: 0x72730146, weak: "rabinkarp", strong: "md4" },
  { magic: 0x72730147, weak: "rabinkarp", strong: "blake2" },
];

export const MAX_STRONG_LEN: Record<StrongKind, number> = { md4: 16, blake2: 32 };

export function sigMagic(weak: WeakKind, strong: StrongKind): number {
  const found = SIG_MAGICS.find((m) => m.weak === weak && m.strong === strong);
  if (!found) throw new DeltaError("BAD_PARAM", `no signature format for ${weak}+${strong}`);
  return found.magic;
}

export function describeMagic(magic: number): { weak: WeakKind; strong: StrongKind } | undefined {
  return SIG_MAGICS.find((m) => m.magic === magic);
}

export const OP_END = 0x00;
/** 0x01..0x40: a literal of that many bytes follows the command byte. */
export const OP_LITERAL_MAX_INLINE = 0x40;
/** 0x41..0x44: literal whose length follows in 1, 2, 4 or 8 bytes. */
export const OP_LITERAL_N1 = 0x41;
/** 0x45..0x54: copy; (opcode - 0x45) = 4 * log2(posBytes) + log2(lenBytes). */
export const OP_COPY_N1_N1 = 0x45;
export const OP_COPY_N8_N8 = 0x54;

/** librsync's rs_int_len: the smallest of 1, 2, 4, 8 bytes that holds v. */
export function intLen(v: number): 1 | 2 | 4 | 8 {
  if (v <= 0xff) return 1;
  if (v <= 0xffff) return 2;
  if (v <= 0xffffffff) return 4;
  return 8;
}

export const LEN_INDEX: Record<1 | 2 | 4 | 8, number> = { 1: 0, 2: 1, 4: 2, 8: 3 };
export const INDEX_LEN = [1, 2, 4, 8] as const;

/** Write v as a big-endian integer of `bytes` bytes at buf[at]. v must be a safe integer. */
export function putNetint(buf: Uint8Array, at: number, v: number, bytes: number): void {
  let x = v;
  for (let i = bytes - 1; i >= 0; i--) {
    buf[at + i] = x % 256;
    x = Math.floor(x / 256);
  }
}

/** Read a big-endian integer; rejects values beyond 2^53 (no file is that large). */
export function getNetint(buf: Uint8Array, at: number, bytes: number, what: string): number {
  let v = 0;
  for (let i = 0; i < bytes; i++) v = v * 256 + buf[at + i]!;
  if (!Number.isSafeInteger(v)) {
    throw new DeltaError("CORRUPT", `${what} ${describeBig(buf, at, bytes)} is too large`);
  }
  return v;
}

function describeBig(buf: Uint8Array, at: number, bytes: number): string {
  return `0x${Buffer.from(buf.subarray(at, at + bytes)).toString("hex")}`;
}

export function hex32(v: number): string {
  return `0x${(v >>> 0).toString(16).padStart(8, "0")}`;
}

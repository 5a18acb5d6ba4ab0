/**
 * Strong block hashes exactly as librsync computes them: BLAKE2b with a 32-byte output
 * (not BLAKE2b-512 truncated: the output length is part of BLAKE2's parameter block) or
 * MD4, both then truncated to the signature's strong_len. Node's crypto has neither
 * (no MD4 under OpenSSL 3; BLAKE2b only as 512), so hash-wasm does the work.
 */
import { createBLAKE2b, createMD4, type IHasher } from "hash-wasm";
import type { StrongKind } from "./format.js";

export type StrongHasher = (data: Uint8Array) => Uint8Array;

/** A reusable hasher; the returned digest is only valid until the next call. */
export async function createStrongHasher(kind: StrongKind): Promise<StrongHasher> {
  const h: IHasher = kind === "blake2" ? await createBLAKE2b(256) : await createMD4();
  return (data: Uint8Array) => {
    h.init();
    h.update(data);
    return h.digest("binary");
  };
}

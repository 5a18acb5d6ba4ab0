// Seeded shuffling: one attempt seed gives every question its own stable stream (mixed
// with the slot and what is shuffled), so reloading a page shows the same order, and two
// attempts usually differ.
import { mulberry32 } from "../../../util/prng.js";

/** A PRNG for one purpose within one attempt. */
export function seededRandom(seed: number, ...purpose: (string | number)[]): () => number {
  // FNV-1a over the seed and the purpose: cheap, and stable across Node versions.
  let hash = 0x811c9dc5;
  for (const ch of `${seed >>> 0}|${purpose.join("|")}`) {
    hash ^= ch.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return mulberry32(hash);
}

/** A permutation of 0..n-1 (Fisher–Yates), or the identity when `shuffle` is false. */
export function permutation(n: number, shuffle: boolean, random: () => number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  if (!shuffle) return order;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

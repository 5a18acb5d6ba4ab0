// In-memory wrappers around the streaming delta API, plus data generators for tests.
import {
  applyDelta,
  BufferBasis,
  generateDelta,
  generateSignature,
  readSignature,
} from "../../src/delta/index.js";
import type { SignatureOptions } from "../../src/delta/signature.js";
import { mulberry32 } from "../../src/util/prng.js";

/** Yield `data` in pieces of the given sizes (cycled), to exercise chunk boundaries. */
export async function* chunked(data: Uint8Array, sizes: number[] = [1 << 16]): AsyncGenerator<Uint8Array> {
  let i = 0;
  let k = 0;
  while (i < data.length) {
    const n = Math.max(1, sizes[k++ % sizes.length]!);
    yield data.subarray(i, i + n);
    i += n;
  }
}

export async function collect(gen: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of gen) parts.push(c);
  return Buffer.concat(parts);
}

export const sigOf = (old: Uint8Array, opts: SignatureOptions = {}, sizes?: number[]) =>
  collect(generateSignature(chunked(old, sizes), { fileSize: old.length, ...opts }));

export async function deltaOf(sig: Uint8Array, neu: Uint8Array, sizes?: number[]): Promise<Buffer> {
  const parsed = await readSignature(chunked(sig, sizes));
  return collect(generateDelta(parsed, chunked(neu, sizes)));
}

export const patchOf = (old: Uint8Array, delta: Uint8Array, sizes?: number[]) =>
  collect(applyDelta(new BufferBasis(old), chunked(delta, sizes)));

/** Small deterministic PRNG so failures reproduce. */
export const prng = mulberry32;

export function randomBytes(n: number, rand: () => number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (rand() * 256) | 0;
  return b;
}

/** Text-like data with repeats: realistic for XML course exports. */
export function textish(n: number, rand: () => number): Buffer {
  const words = [
    "<activity>",
    "</activity>",
    "course",
    "section",
    "quiz",
    " ",
    "\n",
    'id="',
    '"',
    "lorem",
    "ipsum",
  ];
  const parts: string[] = [];
  let len = 0;
  while (len < n) {
    const w = rand() < 0.1 ? String((rand() * 1e6) | 0) : words[(rand() * words.length) | 0]!;
    parts.push(w);
    len += w.length;
  }
  return Buffer.from(parts.join("")).subarray(0, n);
}

/** Apply random edits: inserts, deletes, moved and duplicated ranges. */
export function mutate(old: Buffer, rand: () => number, edits: number): Buffer {
  let cur = old;
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rand() * (cur.length + 1));
    const len = Math.floor(rand() * Math.min(5000, cur.length + 1));
    const kind = Math.floor(rand() * 4);
    if (kind === 0) cur = Buffer.concat([cur.subarray(0, at), randomBytes(len, rand), cur.subarray(at)]);
    else if (kind === 1)
      cur = Buffer.concat([cur.subarray(0, at), cur.subarray(Math.min(cur.length, at + len))]);
    else if (kind === 2) {
      // move a range elsewhere
      const piece = cur.subarray(at, at + len);
      const rest = Buffer.concat([cur.subarray(0, at), cur.subarray(at + len)]);
      const to = Math.floor(rand() * (rest.length + 1));
      cur = Buffer.concat([rest.subarray(0, to), piece, rest.subarray(to)]);
    } else {
      // duplicate a range
      const piece = cur.subarray(at, at + len);
      cur = Buffer.concat([cur, piece]);
    }
  }
  return cur;
}

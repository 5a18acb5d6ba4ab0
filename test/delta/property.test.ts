// Property tests: for random old/new pairs, patch(old, delta(sig(old), new)) == new, and the
// delta does not depend on how the input happened to be chunked.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deltaOf, mutate, patchOf, prng, randomBytes, sigOf, textish } from "./helpers.js";

const weakKinds = ["rabinkarp", "rollsum"] as const;

describe("round trip properties", () => {
  it("patch(old, delta(sig(old), new)) == new for random edits", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.integer({ min: 0, max: 12 }),
        fc.constantFrom(...weakKinds),
        fc.constantFrom(undefined, 1, 7, 64, 700),
        fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 4 }),
        async (seed, size, edits, weak, blockLen, chunks) => {
          const r = prng(seed);
          const old = r() < 0.5 ? textish(size, r) : randomBytes(size, r);
          const neu = mutate(old, r, edits);
          const sig = await sigOf(old, { weak, ...(blockLen !== undefined && { blockLen }) }, chunks);
          const delta = await deltaOf(sig, neu, chunks);
          const out = await patchOf(old, delta, chunks);
          expect(out.equals(neu)).toBe(true);
          // Chunking must not change a single byte of signature or delta.
          expect((await sigOf(old, { weak, ...(blockLen !== undefined && { blockLen }) })).equals(sig)).toBe(
            true,
          );
          expect((await deltaOf(sig, neu)).equals(delta)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("arbitrary byte arrays round-trip, including empty and tiny files", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 3000 }),
        fc.uint8Array({ maxLength: 3000 }),
        fc.integer({ min: 1, max: 300 }),
        async (old, neu, blockLen) => {
          const sig = await sigOf(old, { blockLen });
          const out = await patchOf(old, await deltaOf(sig, neu, [97]), [13]);
          expect(Buffer.from(out).equals(Buffer.from(neu))).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("an unchanged file becomes a single COPY command", async () => {
    const old = textish(500_000, prng(3));
    const delta = await deltaOf(await sigOf(old), old);
    // magic(4) + COPY_N1_N4 (1 + 1 + 4) + END(1)
    expect(delta.length).toBe(11);
    expect(delta[4]).toBe(0x47);
  });

  it("the delta of a small edit is small", async () => {
    const r = prng(11);
    const old = randomBytes(1_000_000, r);
    const neu = Buffer.concat([
      old.subarray(0, 500_000),
      Buffer.from("inserted text"),
      old.subarray(500_000),
    ]);
    const delta = await deltaOf(await sigOf(old), neu);
    // About one block of literal around the edit; nowhere near the file size.
    expect(delta.length).toBeLessThan(3000);
    expect((await patchOf(old, delta)).equals(neu)).toBe(true);
  });
});

// The known-base op-list differ: exact round trips on random edits, and checked parsing.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HcdFormatError } from "../../src/sync/format.js";
import { diffBytes, patchBytes } from "../../src/sync/ops.js";
import { mutate, prng, randomBytes, textish } from "../delta/helpers.js";

describe("op-list deltas", () => {
  it("patch(old, diff(old, new)) == new for random edits", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 0, max: 40_000 }),
        fc.integer({ min: 0, max: 10 }),
        (seed, size, edits) => {
          const r = prng(seed);
          const old = r() < 0.5 ? textish(size, r) : randomBytes(size, r);
          const neu = mutate(old, r, edits);
          expect(patchBytes(old, diffBytes(old, neu), "t").equals(neu)).toBe(true);
        },
      ),
      { numRuns: 80 },
    );
  });
  it("arbitrary byte arrays", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.uint8Array({ maxLength: 2000 }), (a, b) => {
        expect(Buffer.from(patchBytes(a, diffBytes(a, b), "t")).equals(Buffer.from(b))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
  it("a one-word change in repetitive XML costs a few bytes, not a block", () => {
    const old = Buffer.from(`<module id="11" version="2012061703">${"<x>same</x>".repeat(500)}</module>`);
    const neu = Buffer.from(old.toString().replace("2012061703", "2013310100"));
    expect(diffBytes(old, neu).length).toBeLessThan(24);
  });
  it("malformed op lists fail with a format error", () => {
    const old = textish(1000, prng(1));
    const good = diffBytes(old, Buffer.concat([old.subarray(0, 500), Buffer.from("x"), old.subarray(500)]));
    fc.assert(
      fc.property(
        fc.nat(good.length - 1),
        fc.integer({ min: 0, max: 255 }),
        fc.nat(good.length),
        (i, v, cut) => {
          const bad = Buffer.from(good);
          bad[i] = v;
          try {
            patchBytes(old, bad.subarray(0, cut), "t");
          } catch (e) {
            expect(e).toBeInstanceOf(HcdFormatError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

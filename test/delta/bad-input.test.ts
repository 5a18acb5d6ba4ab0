// Bad input: every malformed signature or delta is a DeltaError with a clear message —
// never a hang, a crash or a half-written output file. Includes fuzzing of both parsers.
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeltaError, readSignature } from "../../src/delta/index.js";
import { generateSignature } from "../../src/delta/signature.js";
import { runCli } from "../support/cli.js";
import { chunked, collect, deltaOf, patchOf, prng, sigOf, textish } from "./helpers.js";

const old = textish(20_000, prng(5));
const neu = Buffer.concat([old.subarray(0, 9000), Buffer.from("NEW"), old.subarray(12_000)]);
let sig: Buffer;
let delta: Buffer;

async function expectDeltaError(p: Promise<unknown>, code: string, pattern: RegExp) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, "expected an error").toBeInstanceOf(DeltaError);
  expect((err as DeltaError).code).toBe(code);
  expect((err as DeltaError).message).toMatch(pattern);
}

beforeAll(async () => {
  sig = await sigOf(old);
  delta = await deltaOf(sig, neu);
});

describe("malformed signatures", () => {
  it("wrong magic", async () => {
    const bad = Buffer.from(sig);
    bad.writeUInt32BE(0x12345678, 0);
    await expectDeltaError(readSignature(chunked(bad)), "BAD_MAGIC", /magic 0x12345678/);
  });
  it("empty", async () => {
    await expectDeltaError(readSignature(chunked(Buffer.alloc(0))), "TRUNCATED", /empty/);
  });
  it("truncated header and truncated record", async () => {
    await expectDeltaError(readSignature(chunked(sig.subarray(0, 7))), "TRUNCATED", /header/);
    await expectDeltaError(readSignature(chunked(sig.subarray(0, sig.length - 5))), "TRUNCATED", /record/);
  });
  it("block size 0 or absurd", async () => {
    for (const bl of [0, 0x7fffffff]) {
      const bad = Buffer.from(sig);
      bad.writeUInt32BE(bl, 4);
      await expectDeltaError(readSignature(chunked(bad)), "CORRUPT", /block length/);
    }
  });
  it("strong length beyond the hash", async () => {
    const bad = Buffer.from(sig);
    bad.writeUInt32BE(33, 8);
    await expectDeltaError(readSignature(chunked(bad)), "CORRUPT", /strong sum length 33/);
  });
  it("generation rejects a block size of 0", async () => {
    await expectDeltaError(
      collect(generateSignature(chunked(old), { blockLen: 0 })),
      "BAD_PARAM",
      /block length 0/,
    );
  });
});

describe("malformed deltas", () => {
  it("wrong magic", async () => {
    const bad = Buffer.from(delta);
    bad[0] = 0;
    await expectDeltaError(patchOf(old, bad), "BAD_MAGIC", /not a librsync delta/);
  });
  it("truncated anywhere", async () => {
    for (const cut of [0, 2, 4, 5, 8, delta.length - 1]) {
      await expectDeltaError(patchOf(old, delta.subarray(0, cut)), "TRUNCATED", /delta (is empty|ends)/);
    }
  });
  it("a COPY past the end of the old file", async () => {
    // magic, COPY_N4_N2(pos = old.length - 10, len = 100), END
    const d = Buffer.from([0x72, 0x73, 0x02, 0x36, 0x4e, 0, 0, 0, 0, 0, 100, 0]);
    d.writeUInt32BE(old.length - 10, 5);
    await expectDeltaError(patchOf(old, d), "CORRUPT", /only 20000 bytes/);
  });
  it("a literal length that overflows", async () => {
    const d = Buffer.from([
      0x72, 0x73, 0x02, 0x36, 0x44, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2,
    ]);
    await expectDeltaError(patchOf(old, d), "CORRUPT", /too large/);
  });
  it("a literal longer than the remaining delta", async () => {
    const d = Buffer.from([0x72, 0x73, 0x02, 0x36, 0x42, 0x10, 0x00, 1, 2, 3]);
    await expectDeltaError(patchOf(old, d), "TRUNCATED", /inside the 4096-byte literal/);
  });
  it("an unknown command byte", async () => {
    const d = Buffer.from([0x72, 0x73, 0x02, 0x36, 0x60, 0]);
    await expectDeltaError(patchOf(old, d), "CORRUPT", /unknown command byte 0x60 at offset 4/);
  });
  it("data after END", async () => {
    await expectDeltaError(
      patchOf(old, Buffer.concat([delta, Buffer.from([1])])),
      "CORRUPT",
      /after its END/,
    );
  });
});

describe("fuzzing the parsers", () => {
  const mutateBytes = (base: Buffer) =>
    fc
      .array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 })
      .chain((flips) =>
        fc.integer({ min: 0, max: base.length }).map((cut) => {
          const b = Buffer.from(base);
          for (const [i, v] of flips) b[i % b.length] = v;
          return b.subarray(0, cut);
        }),
      );

  it("mutated signatures parse or fail with a DeltaError", async () => {
    await fc.assert(
      fc.asyncProperty(mutateBytes(sig), async (bad) => {
        try {
          const parsed = await readSignature(chunked(bad, [17]));
          expect(parsed.count).toBeGreaterThanOrEqual(0);
        } catch (e) {
          expect(e).toBeInstanceOf(DeltaError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("mutated deltas patch or fail with a DeltaError", async () => {
    await fc.assert(
      fc.asyncProperty(mutateBytes(delta), async (bad) => {
        try {
          const out = await patchOf(old, bad, [13]);
          expect(out.length).toBeGreaterThanOrEqual(0);
        } catch (e) {
          expect(e).toBeInstanceOf(DeltaError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("random bytes after a valid magic fail cleanly", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (tail) => {
        const d = Buffer.concat([Buffer.from([0x72, 0x73, 0x02, 0x36]), tail]);
        try {
          await patchOf(old, d);
        } catch (e) {
          expect(e).toBeInstanceOf(DeltaError);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("CLI on bad input", () => {
  let dir = "";
  const run = (...args: string[]) => runCli(["delta", ...args], { cwd: dir });
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "hc-badcli-"));
    writeFileSync(join(dir, "old"), old);
    writeFileSync(join(dir, "good.delta"), delta);
    writeFileSync(join(dir, "cut.delta"), delta.subarray(0, delta.length - 3));
    writeFileSync(join(dir, "junk.sig"), "not a signature");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("a truncated delta exits 103, names the file, and leaves no output behind", () => {
    const r = run("patch", "old", "cut.delta", "out");
    expect(r.status).toBe(103);
    expect(r.stderr).toMatch(/cut\.delta: .*ends/);
    expect(existsSync(join(dir, "out"))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes(".tmp"))).toEqual([]);
  });
  it("a bad signature magic exits 104", () => {
    const r = run("delta", "junk.sig", "old", "d");
    expect(r.status).toBe(104);
    expect(r.stderr).toMatch(/junk\.sig: .*magic/);
  });
  it("a missing file exits 100 and names it", () => {
    const r = run("signature", "nope", "s");
    expect(r.status).toBe(100);
    expect(r.stderr).toMatch(/nope: no such file/);
  });
  it("refuses to overwrite without --force, like rdiff", () => {
    const r = run("patch", "old", "good.delta", "old");
    expect(r.status).toBe(100);
    expect(r.stderr).toMatch(/exists; use --force/);
  });
  it("a usage error exits 101", () => {
    const r = run("signature", "--block-size", "abc", "old");
    expect(r.status).toBe(101);
  });
  it("--help works", () => {
    const r = run("signature", "--help");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--block-size/);
  });
});

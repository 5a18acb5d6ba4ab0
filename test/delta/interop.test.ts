// Interop with the real rdiff (librsync) binary: both directions, all four combinations,
// and byte equality of our signatures and deltas with rdiff's.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deltaFile, patchFile, signatureFile } from "../../src/delta/index.js";
import { mutate, prng, randomBytes, textish } from "./helpers.js";

const hasRdiff = spawnSync("rdiff", ["--version"]).status === 0;
let dir = "";
const rdiff = (...args: string[]) =>
  execFileSync("rdiff", ["-f", ...args], { stdio: ["ignore", "ignore", "pipe"] });
const p = (name: string) => join(dir, name);

interface Pair {
  name: string;
  old: Buffer;
  neu: Buffer;
}

function pairs(): Pair[] {
  const r = prng(42);
  const base = Buffer.concat([textish(150_000, r), randomBytes(100_000, r), textish(50_000, r)]);
  const dup = Buffer.concat([randomBytes(5000, r)]);
  return [
    { name: "edited", old: base, neu: mutate(base, r, 8) },
    { name: "identical", old: base, neu: base },
    { name: "unrelated", old: randomBytes(70_000, r), neu: randomBytes(90_000, r) },
    { name: "empty-old", old: Buffer.alloc(0), neu: textish(3000, r) },
    { name: "empty-new", old: textish(3000, r), neu: Buffer.alloc(0) },
    { name: "both-empty", old: Buffer.alloc(0), neu: Buffer.alloc(0) },
    { name: "smaller-than-block", old: Buffer.from("hello"), neu: Buffer.from("hello world") },
    {
      name: "duplicates",
      old: Buffer.concat([dup, dup, dup, randomBytes(333, r)]),
      neu: Buffer.concat([dup, randomBytes(10, r), dup]),
    },
    {
      name: "zeros",
      old: Buffer.alloc(200_000),
      neu: Buffer.concat([Buffer.alloc(100_001), Buffer.from("x"), Buffer.alloc(99_000)]),
    },
    { name: "big-block", old: base, neu: mutate(base, r, 3) },
  ];
}

const variants: Array<{ name: string; sig: string[]; ours: Parameters<typeof signatureFile>[2] }> = [
  { name: "default", sig: [], ours: {} },
  { name: "md4", sig: ["-H", "md4"], ours: { hash: "md4" } },
  { name: "rollsum", sig: ["-R", "rollsum"], ours: { rollsum: "rollsum" } },
  {
    name: "rollsum+md4 b=1000 S=8",
    sig: ["-R", "rollsum", "-H", "md4", "-b", "1000", "-S", "8"],
    ours: { rollsum: "rollsum", hash: "md4", blockLen: 1000, strongLen: 8 },
  },
  { name: "b=64", sig: ["-b", "64"], ours: { blockLen: 64 } },
];

describe.skipIf(!hasRdiff)("interop with rdiff (librsync)", () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "hc-interop-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const v of variants) {
    for (const pair of pairs()) {
      it(`${v.name} / ${pair.name}`, async () => {
        writeFileSync(p("old"), pair.old);
        writeFileSync(p("new"), pair.neu);
        // Signatures: ours and rdiff's must be identical.
        rdiff(...v.sig, "signature", p("old"), p("sig.rdiff"));
        await signatureFile(p("old"), p("sig.ours"), { ...v.ours, force: true });
        expect(readFileSync(p("sig.ours")).equals(readFileSync(p("sig.rdiff")))).toBe(true);

        // rdiff signature -> our delta -> rdiff patch
        await deltaFile(p("sig.rdiff"), p("new"), p("delta.ours"), { force: true });
        rdiff("patch", p("old"), p("delta.ours"), p("out.rdiff"));
        expect(readFileSync(p("out.rdiff")).equals(pair.neu)).toBe(true);

        // our signature -> rdiff delta -> our patch
        rdiff("delta", p("sig.ours"), p("new"), p("delta.rdiff"));
        await patchFile(p("old"), p("delta.rdiff"), p("out.ours"), { force: true });
        expect(readFileSync(p("out.ours")).equals(pair.neu)).toBe(true);

        // Same algorithm, same choices: the deltas are byte-identical.
        expect(readFileSync(p("delta.ours")).equals(readFileSync(p("delta.rdiff")))).toBe(true);

        // Ours end to end, and rdiff end to end on our files.
        await patchFile(p("old"), p("delta.ours"), p("out.ours2"), { force: true });
        expect(readFileSync(p("out.ours2")).equals(pair.neu)).toBe(true);
      });
    }
  }

  it("chooses the same block size as rdiff across file sizes", async () => {
    const r = prng(7);
    for (const size of [0, 1, 255, 65536, 65537, 100_000, 163_839, 163_840, 300_000, 1_000_003]) {
      writeFileSync(p("sized"), randomBytes(size, r));
      rdiff("signature", p("sized"), p("s1"));
      await signatureFile(p("sized"), p("s2"), { force: true });
      expect(readFileSync(p("s2")).subarray(0, 12).toString("hex"), `size ${size}`).toBe(
        readFileSync(p("s1")).subarray(0, 12).toString("hex"),
      );
    }
  });
});

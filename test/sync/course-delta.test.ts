// Course deltas without HTTP: every scenario, both formats, known and unknown base, verified
// by content hash and by unzip -t / tar tzf; malicious and damaged deltas are rejected with
// the old tree untouched and nothing written outside the staging directory.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliCompressSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  contentHash,
  directorySource,
  extractArchive,
  hashTree,
  type Manifest,
  readManifest,
  writeArchive,
} from "../../src/archive/index.js";
import type { ScenarioFiles } from "../../src/demo/sample-course.js";
import { CourseDeltaMismatchError } from "../../src/sync/apply.js";
import { buildCourseDelta, planSignatures } from "../../src/sync/build.js";
import { toOldView } from "../../src/sync/course.js";
import { encodeHeader, HcdFormatError, type HcdHeader } from "../../src/sync/format.js";
import {
  decodeSummary,
  encodeSummary,
  parseSignatures,
  SummaryError,
  signEntries,
} from "../../src/sync/summary.js";
import { applyToCopy, scenarioFiles } from "./helpers.js";

let work = "";
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "hc-cdelta-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

let n = 0;
async function extract(file: string): Promise<{ root: string; m: Manifest }> {
  const root = join(work, `x${n++}`);
  return { root, m: await extractArchive(file, root) };
}

async function roundTrip(s: ScenarioFiles, unknown: boolean) {
  const old = await extract(s.old!);
  const neu = await extract(s.new);
  const delta = join(work, `d${n++}.hcd`);
  let stats: Awaited<ReturnType<typeof buildCourseDelta>>;
  if (unknown) {
    const view = decodeSummary(encodeSummary(toOldView(old.m)));
    const requests = planSignatures(neu.m, view);
    const sigs = await parseSignatures(await signEntries(old.root, toOldView(old.m), requests), requests);
    stats = await buildCourseDelta({
      next: neu.m,
      nextRoot: neu.root,
      old: view,
      signatures: sigs,
      outPath: delta,
    });
  } else {
    stats = await buildCourseDelta({
      next: neu.m,
      nextRoot: neu.root,
      old: toOldView(old.m, old.root),
      outPath: delta,
    });
  }
  const out = join(work, `r${n++}`);
  const result = await applyToCopy({ deltaPath: delta, old: toOldView(old.m, old.root), outRoot: out });
  expect(result.contentHash).toBe(neu.m.contentHash);
  // The tree changed in place holds the new version and nothing else (no emptied directories).
  expect(contentHash(await hashTree(out))).toBe(neu.m.contentHash);
  const archive = join(work, `a${n++}.${neu.m.format === "zip" ? "zip" : "tar.gz"}`);
  await writeArchive(archive, neu.m.format, result.entries, directorySource(out));
  expect((await readManifest(archive)).contentHash).toBe(neu.m.contentHash);
  if (neu.m.format === "zip") execFileSync("unzip", ["-tq", archive]);
  else execFileSync("tar", ["tzf", archive], { stdio: "ignore" });
  const oldIds = new Set(old.m.entries.map((e) => `${e.path}:${e.sha256}`));
  const changedEntries = neu.m.entries.filter(
    (e) => e.type === "file" && !oldIds.has(`${e.path}:${e.sha256}`),
  ).length;
  return { stats, size: readFileSync(delta).length, newSize: readFileSync(s.new).length, changedEntries };
}

for (const format of ["zip", "tar.gz"] as const) {
  describe(`scenarios as ${format}`, () => {
    let files: ScenarioFiles[] = [];
    beforeAll(async () => {
      files = (await scenarioFiles(format)).files;
    });
    for (const base of ["known", "unknown"] as const) {
      it(`every scenario round-trips with a ${base} base, and small updates stay small`, async () => {
        for (const s of files.filter((f) => f.old)) {
          const r = await roundTrip(s, base === "unknown");
          // An unchanged or slightly changed course costs a small fraction of the archive.
          if (["no-change", "small-text-change", "small-addition", "section-reorder"].includes(s.name)) {
            expect(r.size, `${s.name}: ${r.size} of ${r.newSize}`).toBeLessThan(r.newSize / 10);
          }
          // Only entries whose bytes changed may cost a delta or a literal.
          expect(r.stats.deltas + r.stats.literals, s.name).toBeLessThanOrEqual(r.changedEntries);
        }
      });
    }
  });
}

describe("rejected deltas", () => {
  let old: { root: string; m: Manifest };
  let neu: { root: string; m: Manifest };
  let good: Buffer;
  beforeAll(async () => {
    const { files } = await scenarioFiles("zip", 0.02);
    const s = files.find((f) => f.name === "small-text-change")!;
    old = await extract(s.old!);
    neu = await extract(s.new);
    const p = join(work, "good.hcd");
    await buildCourseDelta({ next: neu.m, nextRoot: neu.root, old: toOldView(old.m, old.root), outPath: p });
    good = readFileSync(p);
  });

  const apply = async (bytes: Buffer) => {
    const p = join(work, `bad${n++}.hcd`);
    writeFileSync(p, bytes);
    const out = join(work, `bad-out${n++}`);
    const before = readdirSync(work).length;
    const err = await applyToCopy({ deltaPath: p, old: toOldView(old.m, old.root), outRoot: out }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(existsSync(out), "no output tree on failure").toBe(false);
    expect(readdirSync(work).length, "no staging left behind").toBe(before);
    // The old tree is untouched.
    expect((await readManifest(await rebuild(old))).contentHash).toBe(old.m.contentHash);
    return err;
  };
  const rebuild = async (t: { root: string; m: Manifest }) => {
    const a = join(tmpdir(), `hc-old-check-${n++}.zip`);
    await writeArchive(a, "zip", t.m.entries, directorySource(t.root));
    return a;
  };
  const withHeader = (mut: (h: HcdHeader) => void) => {
    const hl = good.readUInt32BE(4);
    const { brotliDecompressSync } = require("node:zlib") as typeof import("node:zlib");
    const h = JSON.parse(brotliDecompressSync(good.subarray(8, 8 + hl)).toString()) as HcdHeader;
    mut(h);
    return Buffer.concat([encodeHeader(h), good.subarray(8 + hl)]);
  };

  it("wrong magic, truncation and garbage", async () => {
    expect(await apply(Buffer.from("not a delta at all, really"))).toBeInstanceOf(HcdFormatError);
    expect(await apply(good.subarray(0, good.length - 5))).toBeInstanceOf(Error);
    expect(
      await apply(
        Buffer.concat([good.subarray(0, 8), brotliCompressSync(Buffer.from("{oops")), good.subarray(8)]),
      ),
    ).toBeInstanceOf(HcdFormatError);
  });
  it("a delta for another base", async () => {
    const err = await apply(withHeader((h) => (h.base = "hc1:0000")));
    expect(err).toBeInstanceOf(CourseDeltaMismatchError);
    expect(err!.message).toMatch(/applies to hc1:0000/);
  });
  it("path traversal and absolute paths in new entries", async () => {
    for (const p of ["../evil.txt", "/etc/evil", "a/../../evil"]) {
      const err = await apply(withHeader((h) => h.ops.push({ p, t: "d" })));
      expect(err?.message).toMatch(/evil|path/i);
      expect(existsSync(join(work, "..", "evil.txt"))).toBe(false);
    }
  });
  it("a symlink pointing outside", async () => {
    const err = await apply(
      withHeader((h) => h.ops.push({ p: "zz-link", t: "l", k: "../../../etc/passwd" })),
    );
    expect(err?.message).toMatch(/symlink|outside|escape/i);
  });
  it("a result that does not match the promised content hash", async () => {
    const err = await apply(withHeader((h) => (h.contentHash = "hc1:ffff")));
    expect(err).toBeInstanceOf(CourseDeltaMismatchError);
    expect(err!.message).toMatch(/expected hc1:ffff/);
  });
  it("ops that do not cover the old entries", async () => {
    const err = await apply(withHeader((h) => h.ops.push(5)));
    expect(err).toBeInstanceOf(HcdFormatError);
  });
  it("malformed summaries and signature uploads", async () => {
    expect(() => decodeSummary(Buffer.from("junk"))).toThrow(SummaryError);
    expect(() =>
      decodeSummary(brotliCompressSync(Buffer.from(JSON.stringify({ h: "x", e: [["a", "f", -1, "00"]] })))),
    ).toThrow(/row 0/);
    const reqs = [{ index: 0, blockLen: 128, strongLen: 8 }];
    await expect(parseSignatures(Buffer.from([0, 0, 0, 1, 0, 0, 0, 0]), reqs)).rejects.toThrow(
      /not requested/,
    );
    await expect(parseSignatures(Buffer.from([0, 0, 0, 0, 0, 0, 1, 0]), reqs)).rejects.toThrow(/truncated/);
  });
});

// Applying a delta costs the change, not the course: unchanged files of the new tree are hard
// links to the installed files (same inode, never rewritten), only changed entries are new
// files, a damaged installed file is caught by its size, and the download archive made from
// the tree later carries the new version's content hash.
import { readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { courseArchive } from "../../src/agent/library.js";
import {
  ContentMismatchError,
  extractArchive,
  type Manifest,
  readManifest,
} from "../../src/archive/index.js";
import { generateCourse, scenarios, writeCourse } from "../../src/demo/sample-course.js";
import { applyCourseDelta, CourseDeltaMismatchError } from "../../src/sync/apply.js";
import { buildCourseDelta } from "../../src/sync/build.js";
import { toOldView } from "../../src/sync/course.js";
import { makeTempDir, type TempDir } from "../support/procs.js";

let dir: TempDir;
let old: { root: string; m: Manifest };
let neu: { root: string; m: Manifest };
let delta = "";

beforeAll(async () => {
  dir = await makeTempDir("hc-links-");
  const s = scenarios({ scale: 0.02, seed: 5 }).find((x) => x.name === "small-text-change")!;
  const write = async (spec: typeof s.new, name: string) => {
    const file = join(dir.path, `${name}.mbz`);
    await writeCourse(generateCourse(spec), "zip", file);
    const root = join(dir.path, name);
    return { root, m: await extractArchive(file, root) };
  };
  old = await write(s.old!, "old");
  neu = await write(s.new, "new");
  delta = join(dir.path, "d.hcd");
  await buildCourseDelta({
    next: neu.m,
    nextRoot: neu.root,
    old: toOldView(old.m, old.root),
    outPath: delta,
  });
});
afterAll(async () => {
  await dir?.cleanup();
});

const files = (m: Manifest) => m.entries.filter((e) => e.type === "file");

describe("applying a delta onto the installed tree", () => {
  it("hard-links every unchanged file, writes only the changed ones, leaves the old tree as it was", async () => {
    const before = new Map<string, { ino: number; mtimeMs: number; bytes: Buffer }>();
    for (const e of files(old.m)) {
      const p = join(old.root, e.path);
      const st = await stat(p);
      before.set(e.path, { ino: st.ino, mtimeMs: st.mtimeMs, bytes: await readFile(p) });
    }
    const out = join(dir.path, "applied");
    const m = await applyCourseDelta({ deltaPath: delta, old: toOldView(old.m, old.root), outRoot: out });
    expect(m.contentHash).toBe(neu.m.contentHash);

    const oldHash = new Map(files(old.m).map((e) => [e.path, e.sha256]));
    let linked = 0;
    let written = 0;
    for (const e of files(m)) {
      const st = await stat(join(out, e.path));
      const was = before.get(e.path);
      if (was && oldHash.get(e.path) === e.sha256) {
        expect(st.ino, `${e.path} should be the installed inode`).toBe(was.ino);
        linked++;
      } else {
        expect(st.nlink, `${e.path} is a new file`).toBe(1);
        written++;
      }
    }
    // The small text change rewrites the page and Moodle's export stamps; the rest is linked.
    expect(written).toBeGreaterThanOrEqual(1);
    expect(written).toBeLessThanOrEqual(4);
    expect(linked).toBe(files(m).length - written);
    for (const [path, was] of before) {
      const st = await stat(join(old.root, path));
      expect(st.mtimeMs, `${path} mtime`).toBe(was.mtimeMs);
      expect((await readFile(join(old.root, path))).equals(was.bytes), `${path} bytes`).toBe(true);
    }
    await rm(out, { recursive: true, force: true });
  });

  it("refuses an installed file whose size no longer matches its manifest", async () => {
    const victim = files(old.m).find(
      (e) => e.size > 100 && neu.m.entries.some((n) => n.sha256 === e.sha256),
    )!;
    const copy = join(dir.path, "damaged");
    const m = await extractArchive(join(dir.path, "old.mbz"), copy);
    await truncate(join(copy, victim.path), 10);
    const err = await applyCourseDelta({
      deltaPath: delta,
      old: toOldView(m, copy),
      outRoot: join(dir.path, "never"),
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CourseDeltaMismatchError);
    expect((err as Error).message).toContain(
      `the installed file is 10 bytes, its manifest says ${victim.size} bytes`,
    );
  });

  it("refuses an installed tree that lost an unchanged file", async () => {
    const victim = files(old.m).find((e) => neu.m.entries.some((n) => n.sha256 === e.sha256))!;
    const copy = join(dir.path, "lost");
    const m = await extractArchive(join(dir.path, "old.mbz"), copy);
    await rm(join(copy, victim.path));
    const err = await applyCourseDelta({
      deltaPath: delta,
      old: toOldView(m, copy),
      outRoot: join(dir.path, "never2"),
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CourseDeltaMismatchError);
    expect((err as Error).message).toContain("the installed file is missing");
  });
});

describe("the download archive of an installed tree", () => {
  it("is made on the first request with the version's content hash, then reused", async () => {
    const version = join(dir.path, "version");
    const tree = join(version, "tree");
    const m = await extractArchive(join(dir.path, "new.mbz"), tree);
    await writeFile(join(version, "manifest.json"), JSON.stringify(m));
    const archivePath = join(version, "course.zip");
    const made = await courseArchive({ archivePath, treePath: tree, format: "zip" });
    expect(made).toBe(archivePath);
    expect((await readManifest(made)).contentHash).toBe(neu.m.contentHash);
    const first = await stat(made);
    await courseArchive({ archivePath, treePath: tree, format: "zip" });
    expect((await stat(made)).ino).toBe(first.ino);
  });

  it("fails instead of sending a tree whose bytes differ from the manifest", async () => {
    const version = join(dir.path, "tampered");
    const tree = join(version, "tree");
    const m = await extractArchive(join(dir.path, "new.mbz"), tree);
    await writeFile(join(version, "manifest.json"), JSON.stringify(m));
    const target = files(m).find((e) => e.size > 0)!;
    const bytes = await readFile(join(tree, target.path));
    bytes[0] = bytes[0]! ^ 0xff;
    await writeFile(join(tree, target.path), bytes);
    const err = await courseArchive({
      archivePath: join(version, "course.zip"),
      treePath: tree,
      format: "zip",
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ContentMismatchError);
    expect((err as Error).message).toContain(target.path);
  });
});

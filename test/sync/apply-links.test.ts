// Applying a delta costs the change, not the course: only changed entries are staged as new
// files and renamed into the installed tree, the unchanged files are not touched (same inode,
// inode not even dirtied), a damaged installed file is caught by its size, and the download
// archive made from the tree later carries the new version's content hash.
import { cp, readdir, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { courseArchive } from "../../src/agent/library.js";
import {
  ContentMismatchError,
  contentHash,
  extractArchive,
  hashTree,
  type Manifest,
  readManifest,
} from "../../src/archive/index.js";
import { generateCourse, scenarios, writeCourse } from "../../src/demo/sample-course.js";
import { CourseDeltaMismatchError, stageCourseDelta } from "../../src/sync/apply.js";
import { buildCourseDelta } from "../../src/sync/build.js";
import { toOldView } from "../../src/sync/course.js";
import { applyTreeChanges } from "../../src/sync/tree-changes.js";
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
  it("stages only the changed files, then changes the installed tree in place, unchanged inodes untouched", async () => {
    const tree = join(dir.path, "installed");
    await cp(old.root, tree, { recursive: true });
    const before = new Map<string, { ino: number; ctimeMs: number }>();
    for (const e of files(old.m)) {
      const st = await stat(join(tree, e.path));
      before.set(e.path, { ino: st.ino, ctimeMs: st.ctimeMs });
    }
    const stagingDir = join(dir.path, "staged");
    const staged = await stageCourseDelta({ deltaPath: delta, old: toOldView(old.m, tree), stagingDir });
    expect(staged.manifest.contentHash).toBe(neu.m.contentHash);
    // The small text change rewrites the page and Moodle's export stamps: those alone are staged.
    const names = await readdir(stagingDir);
    expect(names.length).toBeGreaterThanOrEqual(1);
    expect(names.length).toBeLessThanOrEqual(4);
    expect(staged.changes.place.map(([name]) => name).sort()).toEqual(names.sort());
    // Staging reads the installed tree only.
    expect(contentHash(await hashTree(tree))).toBe(old.m.contentHash);

    await applyTreeChanges(tree, stagingDir, staged.changes);
    expect(contentHash(await hashTree(tree))).toBe(neu.m.contentHash);
    const placed = new Set(staged.changes.place.map(([, path]) => path));
    const oldHash = new Map(files(old.m).map((e) => [e.path, e.sha256]));
    let untouched = 0;
    for (const e of files(staged.manifest)) {
      const st = await stat(join(tree, e.path));
      const was = before.get(e.path);
      if (placed.has(e.path)) {
        expect(st.ino, `${e.path} is a new file`).not.toBe(was?.ino);
        continue;
      }
      expect(oldHash.get(e.path)).toBe(e.sha256);
      expect(st.ino, `${e.path} is the installed inode`).toBe(was!.ino);
      expect(st.ctimeMs, `${e.path} inode not dirtied`).toBe(was!.ctimeMs);
      untouched++;
    }
    expect(untouched).toBe(files(staged.manifest).length - placed.size);
    // Made twice (a crash after the changes, before the switch was recorded): the same tree.
    await applyTreeChanges(tree, stagingDir, staged.changes);
    expect(contentHash(await hashTree(tree))).toBe(neu.m.contentHash);
  });

  it("refuses an installed file whose size no longer matches its manifest", async () => {
    const victim = files(old.m).find(
      (e) => e.size > 100 && neu.m.entries.some((n) => n.sha256 === e.sha256),
    )!;
    const copy = join(dir.path, "damaged");
    const m = await extractArchive(join(dir.path, "old.mbz"), copy);
    await truncate(join(copy, victim.path), 10);
    const err = await stageCourseDelta({
      deltaPath: delta,
      old: toOldView(m, copy),
      stagingDir: join(dir.path, "never"),
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
    const err = await stageCourseDelta({
      deltaPath: delta,
      old: toOldView(m, copy),
      stagingDir: join(dir.path, "never2"),
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

// A delta's switch is made in place behind a journal: wherever a crash cuts it after the
// journal is written, opening the library finishes it — the new version whole, its record
// in the database, one version directory, no staging, no job.
import { mkdir, readdir, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CourseLibrary,
  contentBytes,
  MANIFEST_FILE,
  manifestBytes,
  RECORD_FILE,
} from "../../src/agent/library.js";
import { buildDir, stagingDir } from "../../src/agent/switch.js";
import type { RunningMaster } from "../../src/master/server.js";
import { stageCourseDelta } from "../../src/sync/apply.js";
import { toOldView } from "../../src/sync/course.js";
import { applyTreeChanges } from "../../src/sync/tree-changes.js";
import {
  agentWithOldVersion,
  blobBytes,
  COURSE,
  type CoursePair,
  copyAgent,
  expectServedIntact,
  jobOf,
  planBlob,
  publish,
  startTestMaster,
  writeCoursePair,
} from "../faults/helpers.js";
import { makeTempDir, type TempDir } from "../support/procs.js";

let course: CoursePair;
let master: RunningMaster;
let mdir: TempDir;
let template: TempDir;
let work: TempDir;
let oldHash = "";
let newHash = "";
let delta: Buffer;

beforeAll(async () => {
  course = await writeCoursePair("small-addition", 0.05);
  ({ master, dir: mdir } = await startTestMaster());
  const agent = await agentWithOldVersion(course.old);
  template = agent.dir;
  oldHash = agent.contentHash;
  await publish(master, course.old);
  newHash = (await publish(master, course.new)).contentHash;
  delta = await blobBytes(master, (await planBlob(master, oldHash)).blob.id);
  work = await makeTempDir("hc-switch-");
});
afterAll(async () => {
  await master?.close();
  for (const d of [mdir, template, work, course?.dir]) await d?.cleanup();
});

type Cut = "journal written" | "tree changed" | "directory renamed";

/** An agent dir left as a crash at `cut` leaves it: the switch committed, not finished. */
async function crashedAt(cut: Cut, n: number): Promise<string> {
  const dir = await copyAgent(template.path, join(work.path, `a${n}`));
  const lib = await CourseLibrary.open(dir);
  try {
    const installed = (await lib.get(COURSE))!;
    const build = buildDir(dir, COURSE);
    await mkdir(build, { recursive: true });
    const deltaPath = join(stagingDir(dir, COURSE), "delta.hcd");
    await writeFile(deltaPath, delta);
    const staged = await stageCourseDelta({
      deltaPath,
      old: toOldView(await lib.manifest(installed), installed.treePath),
      stagingDir: join(build, "files"),
    });
    const target = lib.versionDir(COURSE, newHash);
    const record = {
      ...installed,
      contentHash: newHash,
      treePath: join(target, "tree"),
      size: contentBytes(staged.manifest),
    };
    await writeFile(join(build, MANIFEST_FILE), manifestBytes(staged.manifest));
    await writeFile(join(build, RECORD_FILE), JSON.stringify(record));
    const journal = { record, from: oldHash, changes: staged.changes };
    await writeFile(join(stagingDir(dir, COURSE), "switch.json"), JSON.stringify(journal));
    // A job as the sync leaves it while switching.
    await lib.store.table("jobs").put(COURSE, { phase: "switching", base: oldHash }, true);
    if (cut !== "journal written")
      await applyTreeChanges(installed.treePath, join(build, "files"), staged.changes);
    if (cut === "directory renamed") await rename(lib.versionDir(COURSE, oldHash), target);
  } finally {
    await lib.close();
  }
  return dir;
}

describe("a switch cut short by a crash", () => {
  const cuts: Cut[] = ["journal written", "tree changed", "directory renamed"];
  for (const [n, cut] of cuts.entries()) {
    it(`is finished when the library opens (${cut})`, async () => {
      const dir = await crashedAt(cut, n);
      const rec = await expectServedIntact(dir, [newHash]);
      expect(rec.contentHash).toBe(newHash);
      expect(await readdir(join(dir, "courses", COURSE))).toEqual([newHash.slice(4)]);
      await expect(stat(stagingDir(dir, COURSE))).rejects.toThrow();
      expect(await jobOf(dir)).toBeUndefined();
    });
  }

  it("without the database, the hotspot's view from disk is the new version and the journal waits", async () => {
    const dir = await crashedAt("tree changed", 9);
    const warnings: string[] = [];
    const lib = await CourseLibrary.fromDisk(dir, (m) => warnings.push(m));
    try {
      expect((await lib.get(COURSE))?.contentHash).toBe(newHash);
    } finally {
      await lib.close();
    }
    expect(warnings).toEqual([]);
    expect((await stat(join(stagingDir(dir, COURSE), "switch.json"))).isFile()).toBe(true);
    // The database's record is switched at its next open.
    await expectServedIntact(dir, [newHash]);
    await expect(stat(stagingDir(dir, COURSE))).rejects.toThrow();
  });
});

// A delta build reads version trees for seconds. Publishing (which prunes old versions or
// brings a kept one back) and stopping the master must not pull a tree from under it: that
// was the ENOENT inside buildCourseDelta seen while the agent crash suite ran under load.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fullCourse, generateCourse, writeCourse } from "../../src/demo/sample-course.js";
import { publishCourse, type RunningMaster, startMaster } from "../../src/master/server.js";
import type { VersionRecord } from "../../src/master/storage.js";
import { makeTempDir, type TempDir } from "../support/procs.js";

const TOKEN = "publish-secret-0123";
let files: TempDir;
const archive = (name: string) => join(files.path, `${name}.mbz`);

/** Generous limits: these build real deltas on a loaded 2-core machine. */
const SLOW = 600_000;

beforeAll(async () => {
  files = await makeTempDir("hc-race-files-");
  // Two large, unrelated versions (a long build between them) and a small third one.
  await writeCourse(generateCourse(fullCourse({ seed: 1, scale: 0.3 })), "zip", archive("a"));
  await writeCourse(generateCourse(fullCourse({ seed: 2, scale: 0.3 })), "zip", archive("b"));
  await writeCourse(generateCourse(fullCourse({ seed: 3, scale: 0.02 })), "zip", archive("c"));
}, SLOW);
afterAll(async () => {
  await files?.cleanup();
}, SLOW);

async function masterWith(names: string[], keepVersions: number) {
  const dir = await makeTempDir("hc-race-master-");
  const master = await startMaster({ dataDir: dir.path, publishToken: TOKEN, keepVersions });
  const hashes: string[] = [];
  for (const n of names) hashes.push(await publish(master, n));
  return { master, dir, hashes };
}

const publish = async (m: RunningMaster, name: string) =>
  (await publishCourse({ masterUrl: m.url, token: TOKEN, course: "race", file: archive(name) })).contentHash;

async function versions(m: RunningMaster): Promise<VersionRecord[]> {
  return (await m.storage.courses.get("race"))!.versions;
}

/** The build's outcome, observable without awaiting it. */
function watch<T>(p: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  const done = p.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return { state, done };
}

describe("a build and a publish at the same time", { timeout: SLOW }, () => {
  it("pruning the version a build reads: the build finishes, the files go after it", async () => {
    const { master, dir, hashes } = await masterWith(["a", "b"], 2);
    try {
      const [a, b] = await versions(master);
      const build = watch(master.storage.knownBaseDelta("race", a!, b!));
      const c = await publish(master, "c"); // keeps b and c: a is pruned while the build runs
      expect((await versions(master)).map((v) => v.contentHash)).toEqual([hashes[1], c]);
      await build.done;
      expect(build.state.error).toBeUndefined();
      expect(build.state.value!.size).toBeGreaterThan(0);
      expect(existsSync(master.storage.versionDir("race", hashes[0]!))).toBe(false);
      // No delta from the pruned version is left on record (the one to c may be, built on publish).
      const gone = hashes[0]!.replace(/^hc1:/, "");
      expect((await master.storage.deltas.entries()).filter(([k]) => k.includes(gone))).toEqual([]);
    } finally {
      await master.close();
      await dir.cleanup();
    }
  });

  it("publishing a kept version again while a build reads it leaves its files in place", async () => {
    const { master, dir, hashes } = await masterWith(["a", "b"], 5);
    try {
      const [a, b] = await versions(master);
      const build = watch(master.storage.knownBaseDelta("race", a!, b!));
      expect(await publish(master, "a")).toBe(hashes[0]);
      expect((await versions(master)).map((v) => v.contentHash)).toEqual([hashes[1], hashes[0]]);
      await build.done;
      expect(build.state.error).toBeUndefined();
      expect(existsSync(join(master.storage.versionDir("race", hashes[0]!), "tree"))).toBe(true);
      const blob = await master.storage.blobs.get((await versions(master))[1]!.blob);
      expect(blob && existsSync(blob.path)).toBe(true);
    } finally {
      await master.close();
      await dir.cleanup();
    }
  });
});

describe("stopping the master during a build", { timeout: SLOW }, () => {
  it("close() returns only once the build has stopped, so removing the data dir is safe", async () => {
    const { master, dir } = await masterWith(["a", "b"], 5);
    try {
      const [a, b] = await versions(master);
      const build = watch(master.storage.knownBaseDelta("race", a!, b!));
      await master.close();
      expect(build.state.settled).toBe(true);
      expect(String(build.state.error)).toMatch(/the master is stopping/);
    } finally {
      await dir.cleanup();
    }
  });
});

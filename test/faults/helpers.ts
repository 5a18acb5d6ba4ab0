// Shared set-up for the fault suites: course fixtures written once per file, an in-process
// master with small pieces, an agent data dir holding the old version (copied per trial),
// and the checks every suite makes on the agent's state after a fault.
import { cp, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "vitest";
import { CourseLibrary, type InstalledCourse } from "../../src/agent/library.js";
import { type SyncEvent, type SyncResult, syncAll } from "../../src/agent/sync.js";
import { contentHash, hashTree } from "../../src/archive/index.js";
import { publishCourse, type RunningMaster, startMaster } from "../../src/master/server.js";
import { Store } from "../../src/store/index.js";
import type { BlobManifest } from "../../src/transfer/index.js";
import { type ScenarioName, scenarios, writeScenario } from "../fixtures/moodle.js";
import { makeTempDir, type TempDir } from "../support/procs.js";

export const PUBLISH_TOKEN = "publish-secret-0123";
export const COURSE = "field-health";

export interface CoursePair {
  old: string;
  new: string;
  dir: TempDir;
}

/** Write the old/new archives of one fixture scenario (scale shrinks the media). */
export async function writeCoursePair(scenario: ScenarioName, scale: number): Promise<CoursePair> {
  const dir = await makeTempDir("hc-faults-course-");
  const s = scenarios({ scale, seed: 11 }).find((x) => x.name === scenario);
  if (!s?.old) throw new Error(`scenario ${scenario} has no old version`);
  const files = await writeScenario(s, dir.path);
  return { old: files.old!, new: files.new, dir };
}

/** A master on loopback with small pieces, in its own temp dir. */
export async function startTestMaster(
  o: {
    pieceSize?: number;
    readToken?: string;
    maxArchiveBytes?: number;
    maxSummaryBytes?: number;
    host?: string;
    keepVersions?: number;
  } = {},
): Promise<{ master: RunningMaster; dir: TempDir }> {
  // The data dir sits alone in a private parent, so a test can check that nothing was
  // written beside it without seeing other tests' (or other jobs') temp dirs come and go.
  const parent = await makeTempDir("hc-faults-master-");
  const dir: TempDir = { path: join(parent.path, "data"), cleanup: parent.cleanup };
  await mkdir(dir.path);
  const master = await startMaster({
    dataDir: dir.path,
    publishToken: PUBLISH_TOKEN,
    pieceSize: o.pieceSize ?? 32 * 1024,
    ...o,
  });
  return { master, dir };
}

export async function publish(master: RunningMaster, file: string, course = COURSE) {
  return publishCourse({ masterUrl: master.url, token: PUBLISH_TOKEN, course, file });
}

/** Collect a sync's events (progress left out); `onPhase` sees each phase as it starts. */
export async function syncQuiet(
  o: Omit<Parameters<typeof syncAll>[0], "onEvent"> & { onPhase?: (phase: string) => void },
): Promise<{ result: SyncResult; events: SyncEvent[] }> {
  const events: SyncEvent[] = [];
  const { onPhase, ...rest } = o;
  const result = await syncAll({
    // A small reserve keeps the many trial data dirs small (and fits the small test disks).
    reserveBytes: 1 << 20,
    ...rest,
    onEvent: (e) => {
      if (e.type === "progress") return;
      events.push(e);
      if (e.type === "phase") onPhase?.(e.phase);
    },
  });
  return { result, events };
}

/** The installed record of a course, read the way the hotspot server reads it. */
export async function installedOf(dataDir: string, course = COURSE): Promise<InstalledCourse | undefined> {
  const lib = await CourseLibrary.open(dataDir);
  try {
    return await lib.get(course);
  } finally {
    await lib.close();
  }
}

/**
 * The served version must be whole: the installed record names a tree that exists and whose
 * files hash to the recorded content hash (recomputed from the bytes on disk, not from any
 * manifest), holding as many bytes as the record says.
 */
export async function expectServedIntact(
  dataDir: string,
  allowed: string[],
  course = COURSE,
): Promise<InstalledCourse> {
  const rec = await installedOf(dataDir, course);
  expect(rec, "an installed record must always exist").toBeDefined();
  expect(allowed).toContain(rec!.contentHash);
  expect(rec!.treePath.startsWith(dataDir), `${rec!.treePath} is outside ${dataDir}`).toBe(true);
  const entries = await hashTree(rec!.treePath);
  expect(contentHash(entries)).toBe(rec!.contentHash);
  expect(entries.reduce((n, e) => n + (e.type === "file" ? e.size : 0), 0)).toBe(rec!.size);
  return rec!;
}

/** The content hash of an installed tree (a sync result's path), from the bytes on disk. */
export const installedHash = async (tree: string): Promise<string> => contentHash(await hashTree(tree));

/** Agent dir holding `file` as the installed version, synced from a throwaway master. */
export async function agentWithOldVersion(file: string): Promise<{ dir: TempDir; contentHash: string }> {
  const { master, dir: mdir } = await startTestMaster();
  try {
    await publish(master, file);
    const dir = await makeTempDir("hc-faults-agent-");
    const { result } = await syncQuiet({ dataDir: dir.path, masterUrl: master.url });
    const done = result.courses[0];
    if (done?.type !== "course-done")
      throw new Error(`could not install the old version: ${JSON.stringify(done)}`);
    return { dir, contentHash: done.contentHash };
  } finally {
    await master.close();
    await mdir.cleanup();
  }
}

/**
 * Copy a prepared agent dir (LevelDB closed) for one trial. The installed records hold
 * absolute paths, so they are rewritten to the copy (as if it had been installed there).
 */
export async function copyAgent(template: string, to: string): Promise<string> {
  await mkdir(to, { recursive: true });
  await cp(template, to, { recursive: true });
  const lib = await CourseLibrary.open(to);
  try {
    for (const rec of await lib.list()) {
      const moved = (p: string) => (p.startsWith(template) ? to + p.slice(template.length) : p);
      await lib.installed.put(
        rec.id,
        { ...rec, archivePath: moved(rec.archivePath), treePath: moved(rec.treePath) },
        true,
      );
    }
  } finally {
    await lib.close();
  }
  return to;
}

/** The blob the master would hand to an agent holding `have` (a cached delta or the archive). */
export async function planBlob(
  master: RunningMaster,
  have: string | undefined,
  course = COURSE,
): Promise<{ plan: string; blob: BlobManifest }> {
  const ask = () =>
    fetch(`${master.url}/v1/courses/${course}/sync`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(have ? { have } : {}),
    });
  let res = await ask();
  // A delta still being built: come back when the master says.
  for (let tries = 0; res.status === 503 && tries < 600; tries++) {
    await new Promise((r) => setTimeout(r, Number(res.headers.get("retry-after") ?? 1) * 1000));
    res = await ask();
  }
  const body = (await res.json()) as { plan: string; blob: BlobManifest };
  if (!body.blob) throw new Error(`no blob in plan ${JSON.stringify(body)}`);
  return body;
}

/** The bytes of the blob as the master stores it. */
export async function blobBytes(master: RunningMaster, id: string): Promise<Buffer> {
  const rec = await master.storage.blobs.get(id);
  if (!rec) throw new Error(`master has no blob ${id}`);
  return readFile(rec.path);
}

/** Read the agent's persisted job (phase) without syncing. */
export async function jobOf(dataDir: string, course = COURSE): Promise<{ phase: string } | undefined> {
  const store = await Store.open(join(dataDir, "db"));
  try {
    return await store.table<{ phase: string }>("jobs").get(course);
  } finally {
    await store.close();
  }
}

/** Numbers measured by the suites, printed in one greppable line for the README notes. */
export function report(name: string, data: Record<string, unknown>): void {
  process.stdout.write(`FAULTS-RESULT ${name} ${JSON.stringify(data)}\n`);
}

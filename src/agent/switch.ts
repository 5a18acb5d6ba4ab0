/**
 * The switch of an installed course to the version staged by a delta, made in place. The
 * version directory courses/<id>/<hash>/ keeps its tree; the update's new files wait in
 * staging/<id>/build/files/, with the new manifest and record. One journal file
 * (staging/<id>/switch.json, written durably) is the commit point: before it the installed
 * version is untouched and a crash leaves it served; once it exists the switch is finished,
 * now or by the next open of the library after a crash (every step can be made twice). The
 * tree's changes are renamed into place, the version directory renamed to the new hash, one
 * syncfs, then one durable LevelDB batch names the new version and drops the job.
 */
import { readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { applyTreeChanges, type TreeChanges } from "../sync/tree-changes.js";
import { syncFilesystem, writeFileAtomic } from "../util/files.js";
import type { CourseLibrary, InstalledCourse } from "./library.js";
import { MANIFEST_FILE, RECORD_FILE } from "./version-files.js";

export interface SwitchJournal {
  /** The record of the new version. */
  record: InstalledCourse;
  /** The content hash of the version whose tree is changed. */
  from: string;
  changes: TreeChanges;
}

const JOURNAL = "switch.json";

/** Where a course's sync stages its work (the download, the new files, the journal). */
export const stagingDir = (dataDir: string, id: string) => join(dataDir, "staging", id);
/** Where the files, manifest and record of the staged version wait for the switch. */
export const buildDir = (dataDir: string, id: string) => join(stagingDir(dataDir, id), "build");

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

/** Commit to the switch (the journal), then make it. Everything under build/ must be durable already. */
export async function switchInPlace(lib: CourseLibrary, journal: SwitchJournal): Promise<void> {
  const at = join(stagingDir(lib.dataDir, journal.record.id), JOURNAL);
  await writeFileAtomic(at, [Buffer.from(JSON.stringify(journal))]);
  await finishSwitch(lib, journal);
}

/** Finish every switch a crash cut short; a course that cannot be finished is named to `warn`. */
export async function finishSwitches(lib: CourseLibrary, warn: (message: string) => void): Promise<void> {
  const root = join(lib.dataDir, "staging");
  for (const id of await readdir(root).catch(() => [])) {
    const text = await readFile(join(root, id, JOURNAL), "utf8").catch(() => undefined);
    if (text === undefined) continue;
    try {
      const journal = JSON.parse(text) as SwitchJournal;
      if (journal.record?.id !== id) throw new Error(`the journal names course ${journal.record?.id}`);
      await finishSwitch(lib, journal);
    } catch (e) {
      warn(`course ${id}: the switch to its new version could not be finished: ${(e as Error).message}`);
    }
  }
}

async function finishSwitch(lib: CourseLibrary, { record, from, changes }: SwitchJournal): Promise<void> {
  const id = record.id;
  const build = buildDir(lib.dataDir, id);
  const oldDir = lib.versionDir(id, from);
  const newDir = lib.versionDir(id, record.contentHash);
  let dir = newDir;
  if (await exists(oldDir)) {
    // Not renamed yet: anything under the new name is a leftover, never served.
    await rm(newDir, { recursive: true, force: true });
    dir = oldDir;
  } else if (!(await exists(newDir))) {
    throw new Error(`neither ${oldDir} nor ${newDir} is on disk`);
  }
  // What was made from the old version's bytes goes with it: its download archive, unpacked packages.
  for (const name of await readdir(dir)) {
    if (name !== "tree" && name !== MANIFEST_FILE && name !== RECORD_FILE)
      await rm(join(dir, name), { recursive: true, force: true });
  }
  for (const name of [MANIFEST_FILE, RECORD_FILE]) {
    if (await exists(join(build, name))) await rename(join(build, name), join(dir, name));
  }
  await applyTreeChanges(join(dir, "tree"), join(build, "files"), changes);
  if (dir === oldDir) await rename(oldDir, newDir);
  await syncFilesystem(newDir);
  // Without the database (a full disk) the journal stays: the record is switched when it opens.
  if (!lib.store.persistent) return;
  await lib.store.write(
    [
      lib.installed.putOp(id, record),
      lib.store.table("jobs").delOp(id),
      lib.store.table("rejected").delOp(id),
    ],
    true,
  );
  await rm(stagingDir(lib.dataDir, id), { recursive: true, force: true });
}

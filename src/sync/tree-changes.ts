/**
 * The changes that turn an installed tree into the next version in place, and the code that
 * makes them. They are planned from the two manifests (nothing on disk is read) and written
 * down before the first one is made, so a run cut by a crash is finished by making them
 * again: every step checks what is already on disk and is a no-op the second time.
 *
 * In order: paths the new version does not have as they are go (deepest first); the new
 * version's directories are made; the staged files are renamed into place, each replacing
 * the old file of its path in one atomic rename. Unchanged files are not touched at all
 * (not linked, not copied, their inodes not even dirtied).
 */
import { lstat, mkdir, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { EntryType } from "../archive/index.js";

/** What the new version wants at a path: a directory, a file, or nothing. */
export type Want = "dir" | "file" | "none";

export interface TreeChanges {
  /** Paths of the old tree (entries and the directories they imply) to clear, deepest first. */
  remove: Array<[path: string, want: Want]>;
  /** The new version's listed directories, with their modes. */
  dirs: Array<[path: string, mode: number]>;
  /** Staged file names and the path each takes in the tree. */
  place: Array<[name: string, path: string]>;
}

interface PathEntry {
  path: string;
  type: EntryType;
  mode?: number;
}

/** Every directory above `path`. */
function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let cut = path.lastIndexOf("/"); cut > 0; cut = path.lastIndexOf("/", cut - 1))
    out.push(path.slice(0, cut));
  return out;
}

/** The changes from the old entries to the new ones, given the new files already staged. */
export function planTreeChanges(
  oldEntries: readonly PathEntry[],
  newEntries: readonly PathEntry[],
  place: Array<[string, string]>,
): TreeChanges {
  const want = new Map<string, Want>();
  for (const e of newEntries) {
    want.set(e.path, e.type === "dir" ? "dir" : "file");
    for (const a of ancestors(e.path)) want.set(a, "dir");
  }
  const kindOf = (type: EntryType): Want => (type === "dir" ? "dir" : "file");
  const candidates = new Map<string, Want>();
  const consider = (path: string, had: Want) => {
    const w = want.get(path) ?? "none";
    if (w !== had) candidates.set(path, w);
  };
  for (const e of oldEntries) {
    consider(e.path, kindOf(e.type));
    for (const a of ancestors(e.path)) consider(a, "dir");
  }
  const depth = (p: string) => p.split("/").length;
  return {
    remove: [...candidates].sort((a, b) => depth(b[0]) - depth(a[0]) || (a[0] < b[0] ? -1 : 1)),
    dirs: newEntries.filter((e) => e.type === "dir").map((e) => [e.path, e.mode ?? 0o755]),
    place,
  };
}

const lstatOrNull = (p: string) =>
  lstat(p).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return null;
    throw e;
  });

/**
 * Make `changes` in `tree`, taking staged files from `stagedDir`. Safe to run again after a
 * crash part-way: a staged file no longer in `stagedDir` was renamed into place already.
 */
export async function applyTreeChanges(tree: string, stagedDir: string, changes: TreeChanges): Promise<void> {
  for (const [path, want] of changes.remove) {
    const target = join(tree, path);
    const st = await lstatOrNull(target);
    if (!st) continue;
    // A file where a file goes is replaced by the rename below (or was already).
    if (want === "file" && !st.isDirectory()) continue;
    if (want === "dir" && st.isDirectory()) continue;
    await rm(target, { recursive: true, force: true });
  }
  for (const [path, mode] of changes.dirs)
    await mkdir(join(tree, path), { recursive: true, mode: mode | 0o700 });
  for (const [name, path] of changes.place) {
    const from = join(stagedDir, name);
    if (!(await lstatOrNull(from))) continue;
    await mkdir(dirname(join(tree, path)), { recursive: true });
    await rename(from, join(tree, path));
  }
}

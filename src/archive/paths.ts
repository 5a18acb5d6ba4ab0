// Entry path normalization and the checks that keep every entry inside the archive root.
import { DuplicateEntryError, UnsafePathError, UnsafeSymlinkError } from "./errors.js";
import type { EntryType } from "./types.js";

/** Longest file name Linux filesystems take (NAME_MAX): a longer one could not be extracted. */
const MAX_NAME_BYTES = 255;
/** Longest entry path: PATH_MAX (4096) less room for the directory a course is extracted into. */
const MAX_PATH_BYTES = 3072;

/**
 * Normalize a raw entry name: backslashes become slashes (the zip spec forbids them and
 * Windows tools write them), leading "./" and empty or "." segments go, a trailing "/"
 * (directory marker) goes. Refuses anything that could land outside the root: absolute
 * paths, drive letters, UNC names, ".." segments, NUL bytes, empty names, and names no
 * filesystem here could hold (a component over 255 bytes, a path over 3072).
 */
export function normalizeEntryPath(archive: string, raw: string): string {
  if (raw.includes("\0")) throw new UnsafePathError(archive, raw, "path contains a NUL byte");
  const slashed = raw.replace(/\\/g, "/");
  if (slashed.startsWith("/")) throw new UnsafePathError(archive, raw, "absolute path");
  if (/^[A-Za-z]:/.test(slashed)) throw new UnsafePathError(archive, raw, "Windows drive path");
  const segments: string[] = [];
  for (const segment of slashed.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") throw new UnsafePathError(archive, raw, 'path has a ".." segment (zip slip)');
    if (Buffer.byteLength(segment) > MAX_NAME_BYTES)
      throw new UnsafePathError(archive, raw, `a name in the path is longer than ${MAX_NAME_BYTES} bytes`);
    segments.push(segment);
  }
  if (segments.length === 0) throw new UnsafePathError(archive, raw, "empty path");
  const path = segments.join("/");
  if (Buffer.byteLength(path) > MAX_PATH_BYTES)
    throw new UnsafePathError(archive, raw, `path is longer than ${MAX_PATH_BYTES} bytes`);
  return path;
}

/** True for names that denote the archive root itself ("./", "."), which tar writes as a directory entry. */
export function isRootName(raw: string): boolean {
  const slashed = raw.replace(/\\/g, "/");
  return !slashed.startsWith("/") && slashed.split("/").every((s) => s === "" || s === ".");
}

/**
 * Refuse a symlink entry. No course format needs links, and judging a target as text is
 * not enough: a link that resolves (as text) to the tree root plus a second link climbing
 * through it escapes the tree although each target looks harmless on its own.
 */
export function refuseSymlink(archive: string, path: string, target: string): never {
  throw new UnsafeSymlinkError(
    archive,
    path,
    `symlink to ${JSON.stringify(target.slice(0, 200))} refused: course archives may not contain symlinks`,
  );
}

/**
 * Tracks the paths seen so far in one archive and refuses duplicates and tree conflicts:
 * the same path twice, a file or symlink where another entry needs a directory, and any
 * entry below a symlink (the classic "symlink then write through it" escape).
 */
export class PathRegistry {
  private readonly types = new Map<string, EntryType>();
  /** Every ancestor directory implied by an entry seen so far. */
  private readonly impliedDirs = new Set<string>();

  constructor(private readonly archive: string) {}

  add(path: string, type: EntryType): void {
    const previous = this.types.get(path);
    if (previous !== undefined) {
      throw new DuplicateEntryError(this.archive, path, `duplicate entry name (already a ${previous} entry)`);
    }
    if (type !== "dir" && this.impliedDirs.has(path)) {
      throw new DuplicateEntryError(this.archive, path, `${type} entry where other entries need a directory`);
    }
    for (let cut = path.lastIndexOf("/"); cut > 0; cut = path.lastIndexOf("/", cut - 1)) {
      const ancestor = path.slice(0, cut);
      const ancestorType = this.types.get(ancestor);
      if (ancestorType === "symlink") {
        throw new UnsafeSymlinkError(
          this.archive,
          path,
          `entry lies below the symlink ${JSON.stringify(ancestor)}`,
        );
      }
      if (ancestorType === "file") {
        throw new DuplicateEntryError(
          this.archive,
          path,
          `entry lies below the file ${JSON.stringify(ancestor)}`,
        );
      }
      if (this.impliedDirs.has(ancestor)) break; // its own ancestors were checked when it was added
      this.impliedDirs.add(ancestor);
    }
    this.types.set(path, type);
  }

  get size(): number {
    return this.types.size;
  }
}

// Every path a reader opens goes through here: a relative path from untrusted course data is
// checked for plain segments, then its real path (symlinks followed) must still lie inside the
// real path of the tree. A hostile tree with a link pointing outside gets an error, never a file.
import { readFile, realpath, stat } from "node:fs/promises";
import { resolve, sep } from "node:path";
import { ReaderError } from "./errors.js";

/** A relative path from untrusted data: plain segments only, or null. */
export function safeRelative(path: string): string | null {
  if (path === "" || path.startsWith("/") || path.includes("\\") || path.includes("\0")) return null;
  const parts = path.split("/");
  if (parts.some((p) => p === "" || p === "." || p === "..")) return null;
  return path;
}

export class CourseTree {
  private rootReal: Promise<string>;

  constructor(readonly root: string) {
    this.rootReal = realpath(resolve(root)).catch((err) => {
      throw new ReaderError("missing-file", "", `course tree ${root} cannot be opened`, err);
    });
  }

  /** The real path of `rel`, checked to be a regular file inside the tree. */
  async file(rel: string): Promise<{ path: string; size: number }> {
    const safe = safeRelative(rel);
    if (!safe) throw new ReaderError("unsafe-path", rel, "is not a plain relative path");
    const root = await this.rootReal;
    let real: string;
    try {
      real = await realpath(resolve(root, safe));
    } catch (err) {
      throw new ReaderError("missing-file", rel, "is missing", err);
    }
    if (!real.startsWith(root + sep))
      throw new ReaderError("unsafe-path", rel, "resolves outside the course");
    const s = await stat(real);
    if (!s.isFile()) throw new ReaderError("missing-file", rel, "is not a regular file");
    return { path: real, size: s.size };
  }

  async exists(rel: string): Promise<boolean> {
    return this.file(rel).then(
      () => true,
      () => false,
    );
  }

  /** The file as UTF-8 text; refuses files over `maxBytes`. */
  async text(rel: string, maxBytes: number): Promise<string> {
    const { path, size } = await this.file(rel);
    if (size > maxBytes)
      throw new ReaderError("too-large", rel, `is ${size} bytes; the limit is ${maxBytes}`);
    return readFile(path, "utf8");
  }
}

/**
 * Agent side: stage a course delta against the installed tree. The work follows the change,
 * not the course: only changed and new entries are written, each as a file in the staging
 * directory; unchanged entries stay where they are in the installed tree (their hashes come
 * from the installed manifest, so they are not read again, only their sizes checked). The
 * result is the new manifest plus the changes that turn the installed tree into the new one
 * (see tree-changes.ts, which makes them). Every path is checked (no traversal, no
 * duplicates, no links), every size and the final content hash are verified; on any error
 * the staging directory is removed and the installed tree is untouched. Nothing here fsyncs:
 * the caller makes the staging directory durable in one pass before it changes the tree.
 */
import { createHash } from "node:crypto";
import { closeSync, createReadStream, openSync, readSync } from "node:fs";
import {
  chmod,
  copyFile,
  constants as fsc,
  link,
  lstat,
  mkdir,
  open,
  readFile,
  rm,
  utimes,
} from "node:fs/promises";
import { basename, join } from "node:path";
import { createBrotliDecompress } from "node:zlib";
import {
  contentHash,
  type EntryType,
  type Manifest,
  type ManifestEntry,
  normalizeEntryPath,
  PathRegistry,
  refuseSymlink,
} from "../archive/index.js";
import { applyDelta, ByteReader, FileBasis } from "../delta/index.js";
import { globalLayout, type OldEntry, type OldView } from "./course.js";
import { type HcdEntry, HcdFormatError, readLayout } from "./format.js";
import { type OldBytes, patchBytes } from "./ops.js";
import { planTreeChanges, type TreeChanges } from "./tree-changes.js";

export class CourseDeltaMismatchError extends Error {
  constructor(
    readonly source: string,
    message: string,
  ) {
    super(`${source}: ${message}`);
    this.name = "CourseDeltaMismatchError";
  }
}

/** The next `len` bytes of `reader` as a stream (for a delta or a literal inside the body). */
async function* slice(reader: ByteReader, len: number, what: string): AsyncGenerator<Uint8Array> {
  let left = len;
  while (left > 0) {
    const part = await reader.readSome(Math.min(left, 1 << 20));
    if (!part) throw new HcdFormatError(what, `body ends ${left} bytes early`);
    left -= part.length;
    yield part;
  }
}

async function* fileRange(
  fh: Awaited<ReturnType<typeof open>>,
  pos: number,
  len: number,
): AsyncGenerator<Uint8Array> {
  let done = 0;
  while (done < len) {
    const buf = Buffer.allocUnsafe(Math.min(1 << 20, len - done));
    const { bytesRead } = await fh.read(buf, 0, buf.length, pos + done);
    if (bytesRead === 0) throw new Error("raw section ended early");
    done += bytesRead;
    yield buf.subarray(0, bytesRead);
  }
}

/** Why link(2) can fail where a copy works: another filesystem, or one without hard links. */
const NO_LINK = new Set(["EXDEV", "EPERM", "EMLINK", "ENOTSUP", "EOPNOTSUPP", "ENOSYS"]);

/** An installed file the new version keeps: it must still be there, a file of its manifest size. */
async function checkInstalled(from: string, old: OldEntry): Promise<number> {
  const st = await lstat(from).catch((e: NodeJS.ErrnoException) => {
    // A file missing from the installed tree: the delta cannot apply, the whole course can.
    if (e.code === "ENOENT") throw new CourseDeltaMismatchError(from, "the installed file is missing");
    throw e;
  });
  if (!st.isFile() || st.size !== old.size) {
    throw new CourseDeltaMismatchError(
      from,
      `the installed file is ${st.isFile() ? `${st.size} bytes` : "not a file"}, its manifest says ${old.size} bytes`,
    );
  }
  return st.mode;
}

/**
 * Stage an old entry's bytes under a new name or mode without reading them: a hard link to
 * the installed file (its hash is known from the installed manifest), or a copy of our own
 * when the link cannot be made or the mode differs. A linked inode is shared with the
 * installed tree, so it is never written to or chmod-ed.
 */
async function stageOld(
  from: string,
  old: OldEntry,
  target: string,
  mode: number,
): Promise<{ size: number; sha256: string; linked: boolean }> {
  const installedMode = await checkInstalled(from, old);
  if ((installedMode & 0o777) === (mode & 0o777)) {
    try {
      await link(from, target);
      return { size: old.size, sha256: old.sha256 ?? (await hashFile(target)), linked: true };
    } catch (e) {
      if (!NO_LINK.has((e as NodeJS.ErrnoException).code ?? "")) throw e;
    }
  }
  await copyFile(from, target, fsc.COPYFILE_EXCL | fsc.COPYFILE_FICLONE);
  return { size: old.size, sha256: old.sha256 ?? (await hashFile(target)), linked: false };
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Write a stream to a new file, returning its size and SHA-256 (no fsync: see the file comment). */
async function writeNew(
  path: string,
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<{ size: number; sha256: string }> {
  const fh = await open(path, "wx", 0o600);
  const hash = createHash("sha256");
  let size = 0;
  try {
    for await (const chunk of source) {
      hash.update(chunk);
      size += chunk.length;
      let off = 0;
      while (off < chunk.length) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
    }
  } finally {
    await fh.close();
  }
  return { size, sha256: hash.digest("hex") };
}

export interface StageOptions {
  deltaPath: string;
  /** The old version, with `root` its installed tree. */
  old: OldView;
  /** Where the new and changed files are written; must not exist. */
  stagingDir: string;
}

/** The new version, staged: its manifest (entries in the new archive order) and the tree changes. */
export interface StagedUpdate {
  manifest: Manifest;
  changes: TreeChanges;
}

/** What one entry of the new version takes: nothing (kept in place) or a staged file. */
type Placed = { size: number; sha256: string; staged?: string; linked?: boolean };

/** Stage the course delta; the installed tree is only read. */
export async function stageCourseDelta({ deltaPath, old, stagingDir }: StageOptions): Promise<StagedUpdate> {
  if (!old.root) throw new Error("stageCourseDelta needs the old version's installed tree (old.root)");
  const oldRoot = old.root;
  const fh = await open(deltaPath, "r");
  try {
    const size = (await fh.stat()).size;
    const layout = await readLayout(deltaPath, size, async (pos, len) => {
      const b = Buffer.alloc(len);
      const { bytesRead } = await fh.read(b, 0, len, pos);
      return b.subarray(0, bytesRead);
    });
    const { header } = layout;
    if (header.base !== old.contentHash) {
      throw new CourseDeltaMismatchError(
        deltaPath,
        `delta applies to ${header.base}, but the old version is ${old.contentHash}`,
      );
    }
    if (header.oldCount !== old.entries.length) {
      throw new CourseDeltaMismatchError(
        deltaPath,
        `delta expects ${header.oldCount} old entries, the old version has ${old.entries.length}`,
      );
    }
    await mkdir(stagingDir, { recursive: false, mode: 0o700 });
    const body = new ByteReader(
      layout.bodyLength > 0
        ? createReadStream(deltaPath, {
            start: layout.bodyOffset,
            end: layout.bodyOffset + layout.bodyLength - 1,
          }).pipe(createBrotliDecompress())
        : (async function* () {})(),
      `${deltaPath} body`,
    );
    let rawPos = layout.rawOffset;
    const registry = new PathRegistry(deltaPath);
    const entries: ManifestEntry[] = [];
    /** Staged file name → the path it takes in the tree. */
    const place: Array<[string, string]> = [];
    let staged = 0;
    const nextStaged = () => join(stagingDir, String(staged++));
    const oldEntry = (n: number, i: number) => {
      const e = old.entries[n];
      if (e?.type !== "file")
        throw new HcdFormatError(deltaPath, `entry ${i} refers to old entry ${n}, which is not a file`);
      return e;
    };
    const oldFile = (n: number, i: number) => join(oldRoot, oldEntry(n, i).path);
    const add = async (path: string, type: EntryType, mode: number, content: () => Promise<Placed>) => {
      path = normalizeEntryPath(deltaPath, path);
      registry.add(path, type);
      const got = await content();
      entries.push({ path, type, size: got.size, mode, mtime, sha256: got.sha256 });
      if (got.staged === undefined) return;
      place.push([basename(got.staged), path]);
      // Our own new files get the entry's mode and time; a linked inode is the installed one's.
      if (!got.linked) {
        await chmod(got.staged, mode & 0o777);
        await utimes(got.staged, mtime, mtime);
      }
    };
    const emptyDir = async (): Promise<Placed> => ({ size: 0, sha256: createHash("sha256").digest("hex") });
    /** An old file the new version has at `path` with `mode`: kept in place when nothing differs. */
    const keepOrStage = async (o: OldEntry, path: string, mode: number): Promise<Placed> => {
      const from = join(oldRoot, o.path);
      if (o.path === path) {
        const installedMode = await checkInstalled(from, o);
        if ((installedMode & 0o777) === (mode & 0o777) && o.sha256) return { size: o.size, sha256: o.sha256 };
      }
      const target = nextStaged();
      return { ...(await stageOld(from, o, target, mode)), staged: target };
    };
    const written = async (target: string, got: Promise<{ size: number; sha256: string }>) => ({
      ...(await got),
      staged: target,
    });
    const defaultMode = (type: EntryType) => (type === "dir" ? header.dirMode : header.fileMode);
    const mtime = new Date(header.mtime);
    let global: OldFiles | undefined;
    let oi = 0;
    for (const [i, op] of header.ops.entries()) {
      if (typeof op === "number") {
        if (oi + Math.abs(op) > old.entries.length) {
          throw new HcdFormatError(deltaPath, `op ${i} walks past the ${old.entries.length} old entries`);
        }
        if (op < 0) {
          oi -= op;
          continue;
        }
        for (let k = 0; k < op; k++, oi++) {
          const o = old.entries[oi]!;
          if (o.type === "dir") await add(o.path, "dir", header.dirMode, emptyDir);
          else if (o.type === "symlink") refuseSymlink(deltaPath, o.path, "(an installed symlink)");
          else await add(o.path, "file", header.fileMode, () => keepOrStage(o, o.path, header.fileMode));
        }
        continue;
      }
      let path = op.p;
      if (path === undefined) {
        if (oi >= old.entries.length)
          throw new HcdFormatError(deltaPath, `op ${i} replaces an old entry past the end`);
        path = old.entries[oi++]!.path;
      }
      const type: EntryType = op.t === "d" ? "dir" : op.t === "l" ? "symlink" : "file";
      const mode = op.m ?? defaultMode(type);
      if (type === "dir") await add(path, type, mode, emptyDir);
      else if (type === "symlink") refuseSymlink(deltaPath, normalizeEntryPath(deltaPath, path), op.k ?? "");
      else {
        const at = path;
        await add(path, type, mode, async () => {
          const got = await writeEntry(op, i, at, mode);
          if (got.size !== op.z) {
            throw new CourseDeltaMismatchError(
              deltaPath,
              `entry ${at} came out as ${got.size} bytes, expected ${op.z}`,
            );
          }
          return got;
        });
      }
    }
    if (oi !== old.entries.length) {
      throw new HcdFormatError(deltaPath, `ops cover ${oi} of the ${old.entries.length} old entries`);
    }
    if (!(await body.atEnd())) throw new HcdFormatError(deltaPath, "body has bytes no entry uses");
    const manifest: Manifest = { format: header.format, entries, contentHash: contentHash(entries) };
    if (manifest.contentHash !== header.contentHash) {
      throw new CourseDeltaMismatchError(
        deltaPath,
        `result has content hash ${manifest.contentHash}, expected ${header.contentHash}`,
      );
    }
    return { manifest, changes: planTreeChanges(old.entries, entries, place) };

    async function writeEntry(h: HcdEntry, i: number, path: string, mode: number): Promise<Placed> {
      const c = h.c!;
      if (typeof c === "number") return keepOrStage(oldEntry(c, i), path, mode);
      const target = nextStaged();
      if (c[0] === "g") {
        const parts: Uint8Array[] = [];
        for await (const p of slice(body, c[1], deltaPath)) parts.push(p);
        global ??= new OldFiles(oldRoot, globalLayout(old));
        return written(
          target,
          writeNew(target, [patchBytes(global, Buffer.concat(parts), `${deltaPath} entry ${i}`)]),
        );
      }
      if (c[0] === "x") {
        const base = await readFile(oldFile(c[1], i));
        const parts: Uint8Array[] = [];
        for await (const p of slice(body, c[2], deltaPath)) parts.push(p);
        const bytes = patchBytes(base, Buffer.concat(parts), `${deltaPath} entry ${i}`);
        return written(target, writeNew(target, [bytes]));
      }
      if (c[0] === "d") {
        const basis = await FileBasis.open(oldFile(c[1], i));
        try {
          return await written(
            target,
            writeNew(target, applyDelta(basis, slice(body, c[2], deltaPath), `${deltaPath} entry ${i}`)),
          );
        } finally {
          await basis.close();
        }
      }
      if (c[0] === "l") return written(target, writeNew(target, slice(body, c[1], deltaPath)));
      const at = rawPos;
      rawPos += c[1];
      return written(target, writeNew(target, fileRange(fh, at, c[1])));
    }
  } catch (e) {
    await rm(stagingDir, { recursive: true, force: true });
    throw e;
  } finally {
    await fh.close();
  }
}

/** The old files back to back (globalLayout), read on demand with a few open descriptors. */
class OldFiles implements OldBytes {
  readonly length: number;
  constructor(
    private readonly root: string,
    private readonly layout: Array<{ path: string; start: number; size: number }>,
  ) {
    const last = layout[layout.length - 1];
    this.length = last ? last.start + last.size : 0;
  }

  slice(start: number, end: number): Uint8Array {
    const out = Buffer.alloc(end - start);
    // Binary search the first file that holds `start`, then read across files.
    let lo = 0;
    let hi = this.layout.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.layout[mid]!.start <= start) lo = mid;
      else hi = mid - 1;
    }
    let pos = start;
    for (let i = lo; pos < end && i < this.layout.length; i++) {
      const f = this.layout[i]!;
      const from = pos - f.start;
      const n = Math.min(end, f.start + f.size) - pos;
      if (n <= 0) continue;
      const fd = openSync(join(this.root, f.path), "r");
      try {
        if (readSync(fd, out, pos - start, n, from) !== n)
          throw new Error(`${f.path} is shorter than its manifest says`);
      } finally {
        closeSync(fd);
      }
      pos += n;
    }
    return out;
  }
}

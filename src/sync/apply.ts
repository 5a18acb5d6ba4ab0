/**
 * Agent side: apply a course delta to the old version's extracted tree, producing the new
 * tree in a staging directory. Every path is checked (no traversal, no duplicates, no
 * writes through links), every size and the final content hash are verified; on any error
 * the staging directory is removed and the old tree is untouched.
 */
import { createHash, randomBytes } from "node:crypto";
import { closeSync, createReadStream, openSync, readSync } from "node:fs";
import {
  chmod,
  copyFile,
  constants as fsc,
  lstat,
  mkdir,
  open,
  readFile,
  readlink,
  rename,
  rm,
  symlink,
  utimes,
} from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { createBrotliDecompress } from "node:zlib";
import {
  checkSymlinkTarget,
  contentHash,
  type EntryType,
  type Manifest,
  type ManifestEntry,
  normalizeEntryPath,
  PathRegistry,
} from "../archive/index.js";
import { applyDelta, ByteReader, FileBasis } from "../delta/index.js";
import { globalLayout, type OldView } from "./course.js";
import { type HcdEntry, HcdFormatError, readLayout } from "./format.js";
import { type OldBytes, patchBytes } from "./ops.js";

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

/** Copy an old entry's file into the new tree (a reflink where the filesystem can). */
async function copyOld(from: string, target: string): Promise<{ size: number; sha256: string }> {
  await copyFile(from, target, fsc.COPYFILE_EXCL | fsc.COPYFILE_FICLONE);
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(target)) hash.update(chunk as Buffer);
  // Durable before the switch, like every other file of the new version.
  const fh = await open(target, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  return { size: (await lstat(target)).size, sha256: hash.digest("hex") };
}

/** Write a stream to a new file, returning its size and SHA-256. */
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
    await fh.sync();
  } finally {
    await fh.close();
  }
  return { size, sha256: hash.digest("hex") };
}

export interface ApplyOptions {
  deltaPath: string;
  /** The old version, with `root` its extracted tree. */
  old: OldView;
  /** Where the new tree goes; must not exist. */
  outRoot: string;
}

/** Apply the course delta; returns the new version's manifest (entries in the new archive order). */
export async function applyCourseDelta({ deltaPath, old, outRoot }: ApplyOptions): Promise<Manifest> {
  if (!old.root) throw new Error("applyCourseDelta needs the old version's extracted tree (old.root)");
  const oldRoot = old.root;
  const fh = await open(deltaPath, "r");
  const staging = join(dirname(outRoot), `.${basename(outRoot)}.tmp-${randomBytes(4).toString("hex")}`);
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
    await mkdir(staging, { recursive: false, mode: 0o755 });
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
    const links: ManifestEntry[] = [];
    const oldFile = (n: number, i: number) => {
      const e = old.entries[n];
      if (e?.type !== "file")
        throw new HcdFormatError(deltaPath, `entry ${i} refers to old entry ${n}, which is not a file`);
      return join(oldRoot, e.path);
    };
    if (header.oldCount !== old.entries.length) {
      throw new CourseDeltaMismatchError(
        deltaPath,
        `delta expects ${header.oldCount} old entries, the old version has ${old.entries.length}`,
      );
    }
    const add = async (
      path: string,
      type: EntryType,
      mode: number,
      content: (target: string) => Promise<{ size: number; sha256: string; linkTarget?: string }>,
    ) => {
      path = normalizeEntryPath(deltaPath, path);
      registry.add(path, type);
      const target = join(staging, path);
      if (type === "dir") {
        await mkdir(target, { recursive: true });
      } else if (type === "file") {
        await mkdir(dirname(target), { recursive: true });
      }
      const got = await content(target);
      const e: ManifestEntry = { path, type, size: got.size, mode, mtime, sha256: got.sha256 };
      if (got.linkTarget !== undefined) {
        checkSymlinkTarget(deltaPath, path, got.linkTarget);
        e.linkTarget = got.linkTarget;
        links.push(e);
      }
      entries.push(e);
    };
    const emptyDir = async () => ({ size: 0, sha256: createHash("sha256").digest("hex") });
    const link = (t: string) => async () => ({
      size: Buffer.byteLength(t),
      sha256: createHash("sha256").update(t).digest("hex"),
      linkTarget: t,
    });
    const defaultMode = (type: EntryType) =>
      type === "dir" ? header.dirMode : type === "symlink" ? 0o777 : header.fileMode;
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
          const from = join(oldRoot, o.path);
          if (o.type === "dir") await add(o.path, "dir", header.dirMode, emptyDir);
          else if (o.type === "symlink") await add(o.path, "symlink", 0o777, link(await readlink(from)));
          else await add(o.path, "file", header.fileMode, (target) => copyOld(from, target));
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
      else if (type === "symlink") await add(path, type, mode, link(op.k!));
      else {
        await add(path, type, mode, async (target) => {
          const got = await writeEntry(op, i, target);
          if (got.size !== op.z) {
            throw new CourseDeltaMismatchError(
              deltaPath,
              `entry ${path} came out as ${got.size} bytes, expected ${op.z}`,
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
    // Links last, so nothing is written through a link the delta created.
    for (const e of links) await symlink(e.linkTarget!, join(staging, e.path));
    for (const e of entries) {
      if (e.type === "symlink") continue;
      await chmod(join(staging, e.path), e.type === "dir" ? (e.mode & 0o777) | 0o700 : e.mode & 0o777);
      await utimes(join(staging, e.path), e.mtime, e.mtime);
    }
    const manifest: Manifest = { format: header.format, entries, contentHash: contentHash(entries) };
    if (manifest.contentHash !== header.contentHash) {
      throw new CourseDeltaMismatchError(
        deltaPath,
        `result has content hash ${manifest.contentHash}, expected ${header.contentHash}`,
      );
    }
    await rename(staging, outRoot);
    return manifest;

    async function writeEntry(h: HcdEntry, i: number, target: string) {
      const c = h.c!;
      if (typeof c === "number") return copyOld(oldFile(c, i), target);
      if (c[0] === "g") {
        const parts: Uint8Array[] = [];
        for await (const p of slice(body, c[1], deltaPath)) parts.push(p);
        global ??= new OldFiles(oldRoot, globalLayout(old));
        return writeNew(target, [patchBytes(global, Buffer.concat(parts), `${deltaPath} entry ${i}`)]);
      }
      if (c[0] === "x") {
        const base = await readFile(oldFile(c[1], i));
        const parts: Uint8Array[] = [];
        for await (const p of slice(body, c[2], deltaPath)) parts.push(p);
        const bytes = patchBytes(base, Buffer.concat(parts), `${deltaPath} entry ${i}`);
        return writeNew(target, [bytes]);
      }
      if (c[0] === "d") {
        const basis = await FileBasis.open(oldFile(c[1], i));
        try {
          return await writeNew(
            target,
            applyDelta(basis, slice(body, c[2], deltaPath), `${deltaPath} entry ${i}`),
          );
        } finally {
          await basis.close();
        }
      }
      if (c[0] === "l") return writeNew(target, slice(body, c[1], deltaPath));
      const at = rawPos;
      rawPos += c[1];
      return writeNew(target, fileRange(fh, at, c[1]));
    }
  } catch (e) {
    await rm(staging, { recursive: true, force: true });
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

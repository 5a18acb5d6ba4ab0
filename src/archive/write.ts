// Rebuild an archive (zip via yazl, tar / tar.gz via tar-stream + zlib) from entries and a
// content source, streaming, into a temp file that is fsynced and renamed only on success.
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { Readable, type Writable } from "node:stream";
import { createGzip, deflateRawSync } from "node:zlib";
import * as tar from "tar-stream";
import yazl from "yazl";
import { ContentMismatchError, UnsafePathError } from "./errors.js";
import { contentHash } from "./hash.js";
import { normalizeEntryPath, PathRegistry, refuseSymlink } from "./paths.js";
import type { ArchiveFormat, EntryInfo, ManifestEntry } from "./types.js";

/** An entry to write. With `sha256`, the bytes are checked against it as they stream. */
export interface WritableEntry extends EntryInfo {
  sha256?: string;
}

/** Where the bytes of each file entry come from (dirs have none). */
export type ContentSource = (entry: WritableEntry) => Readable | Promise<Readable>;

export interface WriteOptions {
  /** zlib level for zip deflate and gzip, 1..9 (default 6). 0 stores everything uncompressed. */
  compressionLevel?: number;
}

export interface WriteResult {
  path: string;
  format: ArchiveFormat;
  bytes: number;
  /** Manifest of what was written (sha256 computed from the bytes that went in). */
  entries: ManifestEntry[];
  contentHash: string;
}

/** Bytes sampled to decide whether a zip entry is worth deflating. */
const SAMPLE_BYTES = 64 * 1024;
/** Deflate only when level-1 deflate of the sample saves at least this fraction. */
const MIN_SAVING = 0.05;

/** Write `entries` in order as a `format` archive at `outPath`, pulling file bytes from `source`. */
export async function writeArchive(
  outPath: string,
  format: ArchiveFormat,
  entries: Iterable<WritableEntry> | AsyncIterable<WritableEntry>,
  source: ContentSource,
  options: WriteOptions = {},
): Promise<WriteResult> {
  const writer = await ArchiveWriter.create(outPath, format, options);
  try {
    for await (const entry of entries) {
      await writer.add(entry, entry.type === "file" ? await source(entry) : undefined);
    }
    return await writer.finish();
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

/**
 * Incremental writer: add entries one at a time (each file's stream is read to its end
 * before add() resolves), then finish() to fsync and rename into place, or abort() to
 * remove the temp file. Nothing appears at `outPath` unless finish() succeeds.
 */
export class ArchiveWriter {
  private readonly registry: PathRegistry;
  private readonly written: ManifestEntry[] = [];
  private settled = false;
  private failure: Error | undefined;

  private constructor(
    readonly path: string,
    readonly format: ArchiveFormat,
    private readonly tempPath: string,
    private readonly file: Writable,
    private readonly backend: Backend,
    private readonly level: number,
  ) {
    this.registry = new PathRegistry(path);
    file.on("error", (err) => {
      this.failure ??= err;
    });
  }

  static async create(
    outPath: string,
    format: ArchiveFormat,
    options: WriteOptions = {},
  ): Promise<ArchiveWriter> {
    const level = options.compressionLevel ?? 6;
    if (!Number.isInteger(level) || level < 0 || level > 9)
      throw new RangeError(`compressionLevel ${level} not in 0..9`);
    const tempPath = join(
      dirname(outPath),
      `.${basename(outPath)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`,
    );
    const file = createWriteStream(tempPath, { flags: "wx" });
    await new Promise<void>((resolve, reject) => {
      file.once("open", () => resolve());
      file.once("error", reject);
    });
    const backend =
      format === "zip" ? new ZipBackend(file) : new TarBackend(file, format === "tar.gz", level);
    return new ArchiveWriter(outPath, format, tempPath, file, backend, level);
  }

  /** Append one entry. `content` is required for files and ignored for dirs (symlinks are refused). */
  async add(entry: WritableEntry, content?: Readable): Promise<void> {
    if (this.settled) throw new Error(`${this.path}: writer already finished`);
    if (this.failure) throw this.failure;
    const path = normalizeEntryPath(this.path, entry.path);
    if (path !== entry.path) {
      throw new UnsafePathError(this.path, entry.path, `entry path is not normalized (expected ${path})`);
    }
    this.registry.add(path, entry.type);
    const mode = entry.mode & 0o7777;
    if (entry.type === "dir") {
      await this.backend.addDir(path, mode, entry.mtime);
      this.record(entry, 0, EMPTY);
      return;
    }
    if (entry.type === "symlink") refuseSymlink(this.path, path, entry.linkTarget ?? "");
    if (!content) throw new Error(`${this.path}: no content for file entry ${path}`);
    const iterator = (content as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    const head: Buffer[] = [];
    let headLength = 0;
    let exhausted = false;
    while (headLength < SAMPLE_BYTES) {
      const next = await iterator.next();
      if (next.done) {
        exhausted = true;
        break;
      }
      const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
      head.push(chunk);
      headLength += chunk.length;
    }
    const compress = this.level > 0 && worthDeflating(Buffer.concat(head));
    const hash = createHash("sha256");
    let length = 0;
    let sha256 = "";
    const check = (n: number, digest: string) => this.check(entry, n, digest);
    const verified = async function* (): AsyncGenerator<Buffer> {
      const take = (chunk: Buffer) => {
        hash.update(chunk);
        length += chunk.length;
        return chunk;
      };
      // Taken out as they go: nothing of a finished entry's bytes may stay reachable.
      for (let chunk = head.shift(); chunk; chunk = head.shift()) yield take(chunk);
      if (!exhausted) {
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
          yield take(Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value));
        }
      }
      sha256 = hash.digest("hex");
      check(length, sha256);
    };
    try {
      await this.backend.addFile(path, mode, entry.mtime, entry.size, compress, this.level, verified());
    } catch (err) {
      content.destroy();
      throw err;
    }
    if (this.failure) throw this.failure;
    this.record(entry, length, sha256);
  }

  /** Size and sha256 must match what the entry promised (the rebuild is byte-identical or fails). */
  private check(entry: WritableEntry, length: number, sha256: string): void {
    if (length !== entry.size) {
      throw new ContentMismatchError(
        this.path,
        entry.path,
        `content has ${length} bytes, entry says ${entry.size}`,
      );
    }
    if (entry.sha256 !== undefined && entry.sha256 !== sha256) {
      throw new ContentMismatchError(
        this.path,
        entry.path,
        `content sha256 ${sha256} differs from ${entry.sha256}`,
      );
    }
  }

  private record(entry: WritableEntry, size: number, sha256: string): void {
    const { sha256: _ignored, ...info } = entry;
    this.written.push({ ...info, size, sha256 });
  }

  /** Close the archive, fsync it, rename it into place and fsync the directory. */
  async finish(): Promise<WriteResult> {
    if (this.settled) throw new Error(`${this.path}: writer already finished`);
    try {
      await this.backend.end();
      if (this.failure) throw this.failure;
      await closed(this.file);
      const size = await syncFile(this.tempPath);
      this.settled = true;
      await rename(this.tempPath, this.path);
      await syncDir(dirname(this.path));
      return {
        path: this.path,
        format: this.format,
        bytes: size,
        entries: this.written,
        contentHash: contentHash(this.written),
      };
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  /** Drop everything written so far; safe to call more than once. */
  async abort(): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    this.backend.destroy();
    this.file.destroy();
    await closed(this.file).catch(() => {});
    await unlink(this.tempPath).catch(() => {});
  }
}

const EMPTY = createHash("sha256").digest("hex");

function worthDeflating(sample: Buffer): boolean {
  if (sample.length === 0) return false;
  return deflateRawSync(sample, { level: 1 }).length <= sample.length * (1 - MIN_SAVING);
}

/** fsync a written file (through a fresh descriptor: fsync is per file, not per descriptor); returns its size. */
async function syncFile(path: string): Promise<number> {
  const handle = await open(path, "r+");
  try {
    await handle.sync();
    return (await handle.stat()).size;
  } finally {
    await handle.close();
  }
}

function closed(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    if (stream.closed) return resolve();
    stream.once("close", () => resolve());
    stream.once("error", reject);
  });
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

interface Backend {
  addDir(path: string, mode: number, mtime: Date): Promise<void>;
  addFile(
    path: string,
    mode: number,
    mtime: Date,
    size: number,
    compress: boolean,
    level: number,
    content: AsyncIterable<Buffer>,
  ): Promise<void>;
  end(): Promise<void>;
  destroy(): void;
}

/** Resolve when `out` has flushed everything into the file, reject on the first error. */
function whenFinished(file: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    if (file.writableFinished) return resolve();
    file.once("finish", resolve);
    file.once("error", reject);
  });
}

/**
 * yazl keeps every entry, and each entry its stream function, until the archive ends. A
 * function that hands its stream over once and forgets it lets each entry's stream, and
 * the bytes and source behind it, go as soon as the entry is written: otherwise a
 * 10,000-entry course held some 150 MB of finished entries while its archive was made.
 */
function handOnce(stream: Readable): (cb: (err: Error | null, stream: Readable) => void) => void {
  let held: Readable | undefined = stream;
  return (cb) => {
    const s = held!;
    held = undefined;
    cb(null, s);
  };
}

class ZipBackend implements Backend {
  private readonly zip = new yazl.ZipFile();
  private readonly done: Promise<void>;

  constructor(file: Writable) {
    // yazl reports size mismatches as "error" events; we already reject those entries ourselves.
    this.zip.on("error", (err: Error) => file.destroy(err));
    this.zip.outputStream.pipe(file);
    this.done = whenFinished(file);
    this.done.catch(() => {});
  }

  async addDir(path: string, mode: number, mtime: Date): Promise<void> {
    this.zip.addEmptyDirectory(path, { mtime, mode: 0o040000 | mode });
  }

  async addFile(
    path: string,
    mode: number,
    mtime: Date,
    size: number,
    compress: boolean,
    level: number,
    content: AsyncIterable<Buffer>,
  ): Promise<void> {
    const stream = Readable.from(content, { objectMode: false });
    const ended = new Promise<void>((resolve, reject) => {
      stream.once("end", resolve);
      stream.once("error", reject);
    });
    this.zip.addReadStreamLazy(
      path,
      { mtime, mode: 0o100000 | mode, compress, ...(compress ? { compressionLevel: level } : {}), size },
      handOnce(stream),
    );
    // Wait for yazl to take all of this entry's bytes, so one source is open at a time.
    await ended;
  }

  async end(): Promise<void> {
    this.zip.end();
    await this.done;
  }

  destroy(): void {
    this.zip.outputStream.unpipe();
    (this.zip.outputStream as Readable).destroy();
  }
}

class TarBackend implements Backend {
  private readonly pack = tar.pack();
  private readonly gzip: ReturnType<typeof createGzip> | undefined;
  private readonly done: Promise<void>;

  constructor(file: Writable, gzipped: boolean, level: number) {
    const packed = this.pack as unknown as Readable;
    // A rejected entry destroys the pack; add() already reports why, the event must not crash us.
    packed.on("error", (err: Error) => file.destroy(err));
    if (gzipped) {
      this.gzip = createGzip({ level: level === 0 ? 1 : level });
      this.gzip.on("error", (err: Error) => file.destroy(err));
      packed.pipe(this.gzip).pipe(file);
    } else {
      packed.pipe(file);
    }
    this.done = whenFinished(file);
    this.done.catch(() => {});
  }

  private entry(header: tar.Header | (Partial<tar.Header> & { name: string }), body?: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (body) this.pack.entry(header, body, cb);
      else this.pack.entry(header, cb);
    });
  }

  async addDir(path: string, mode: number, mtime: Date): Promise<void> {
    await this.entry({ name: `${path}/`, type: "directory", mode, mtime, size: 0 });
  }

  async addFile(
    path: string,
    mode: number,
    mtime: Date,
    size: number,
    _compress: boolean,
    _level: number,
    content: AsyncIterable<Buffer>,
  ): Promise<void> {
    let settle!: (err?: Error | null) => void;
    const finished = new Promise<void>((resolve, reject) => {
      settle = (err) => (err ? reject(err) : resolve());
    });
    finished.catch(() => {});
    const sink = this.pack.entry({ name: path, type: "file", mode, mtime, size }, settle);
    sink.on("error", () => {}); // reported through settle()
    try {
      for await (const chunk of content) {
        if (!sink.write(chunk)) await new Promise<void>((resolve) => sink.once("drain", () => resolve()));
      }
    } catch (err) {
      sink.destroy(err as Error);
      throw err;
    }
    (sink as unknown as Writable).end(); // streamx's typings demand an argument its end() does not need
    await finished;
  }

  async end(): Promise<void> {
    this.pack.finalize();
    await this.done;
  }

  destroy(): void {
    this.gzip?.destroy();
    this.pack.destroy();
  }
}

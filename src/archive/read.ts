// Streaming entry reader for zip (yauzl) and tar / tar.gz (tar-stream + zlib): one entry at a
// time, every name and size checked before its bytes are handed out.
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { crc32, createGunzip } from "node:zlib";
import * as tar from "tar-stream";
import yauzl from "yauzl";
import { detectFormat } from "./detect.js";
import {
  ArchiveError,
  ArchiveLimitError,
  CorruptArchiveError,
  EncryptedEntryError,
  TruncatedArchiveError,
  UnsupportedEntryError,
} from "./errors.js";
import { checkSymlinkTarget, isRootName, normalizeEntryPath, PathRegistry } from "./paths.js";
import {
  type ArchiveEntry,
  type ArchiveFormat,
  DEFAULT_LIMITS,
  type EntryType,
  type ReadLimits,
} from "./types.js";

export interface ReadOptions {
  /** Skip detection when the caller already knows the format. */
  format?: ArchiveFormat;
  limits?: Partial<ReadLimits>;
}

/** Longest symlink target we read into memory (PATH_MAX on Linux). */
const MAX_LINK_TARGET = 4096;

/**
 * Iterate over the entries of the archive at `path`, streaming. Each entry's bytes are
 * available through `entry.open()` until the iterator is advanced; entries not opened are
 * skipped. Throws typed ArchiveErrors (see errors.ts) for unsafe or broken archives.
 */
export async function* readEntries(path: string, options: ReadOptions = {}): AsyncGenerator<ArchiveEntry> {
  const format = options.format ?? (await detectFormat(path));
  const limits: ReadLimits = { ...DEFAULT_LIMITS, ...options.limits };
  if (format === "zip") yield* readZip(path, limits);
  else yield* readTar(path, format === "tar.gz", limits);
}

/** Per-archive admission checks shared by the zip and tar readers. */
class EntryGate {
  private count = 0;
  private totalSize = 0;
  private readonly registry: PathRegistry;

  constructor(
    private readonly archive: string,
    private readonly limits: ReadLimits,
  ) {
    this.registry = new PathRegistry(archive);
  }

  /** Validate one raw entry; returns its normalized path. */
  admit(rawName: string, type: EntryType, declaredSize: number): string {
    this.count += 1;
    if (this.count > this.limits.maxEntries) {
      throw new ArchiveLimitError(
        this.archive,
        rawName,
        "entries",
        `more than ${this.limits.maxEntries} entries (limit maxEntries)`,
      );
    }
    const path = normalizeEntryPath(this.archive, rawName);
    this.registry.add(path, type);
    this.totalSize += declaredSize;
    if (this.totalSize > this.limits.maxTotalSize) {
      throw new ArchiveLimitError(
        this.archive,
        path,
        "total-size",
        `expanded size exceeds ${this.limits.maxTotalSize} bytes (limit maxTotalSize)`,
      );
    }
    return path;
  }
}

// ---------------------------------------------------------------- zip

/**
 * Random access to a zip's file entries after one listing pass (see openArchive): the zip
 * stays open and each file can be read again, in any order, with the same checks.
 */
export interface ZipKeeper {
  openers: Map<string, () => AsyncGenerator<Buffer>>;
  close: () => void;
}

export async function* readZip(
  archive: string,
  limits: ReadLimits,
  keeper?: ZipKeeper,
): AsyncGenerator<ArchiveEntry> {
  let zipfile: yauzl.ZipFile;
  try {
    // decodeStrings off: we decode and validate names ourselves to raise typed errors.
    zipfile = await yauzl.openPromise(archive, {
      lazyEntries: true,
      autoClose: false,
      decodeStrings: false,
      validateEntrySizes: true,
    });
  } catch (err) {
    throw zipError(archive, undefined, err);
  }
  const gate = new EntryGate(archive, limits);
  let current: string | undefined;
  let completed = false;
  try {
    for await (const raw of zipfile.eachEntry()) {
      const rawName = zipEntryName(raw);
      current = rawName;
      const { type, mode } = zipTypeAndMode(raw, rawName);
      if (type === "dir" && isRootName(rawName)) continue;
      if (raw.isEncrypted()) throw new EncryptedEntryError(archive, rawName);
      if (!raw.canDecodeFileData()) {
        throw new UnsupportedEntryError(
          archive,
          rawName,
          `unsupported zip compression method ${raw.compressionMethod}`,
        );
      }
      const path = gate.admit(rawName, type, raw.uncompressedSize);
      current = path;
      if (
        raw.uncompressedSize > limits.ratioGraceBytes &&
        raw.uncompressedSize / Math.max(raw.compressedSize, 1) > limits.maxRatio
      ) {
        throw new ArchiveLimitError(
          archive,
          path,
          "ratio",
          `expands ${raw.compressedSize} → ${raw.uncompressedSize} bytes, ratio above ${limits.maxRatio} (limit maxRatio)`,
        );
      }
      const mtime = raw.getLastModDate();
      const openRaw = () => zipContent(archive, path, zipfile, raw);
      if (type === "symlink") {
        if (raw.uncompressedSize > MAX_LINK_TARGET) {
          throw new CorruptArchiveError(archive, path, `symlink target longer than ${MAX_LINK_TARGET} bytes`);
        }
        const target = Buffer.concat(await Readable.from(openRaw()).toArray()).toString("utf8");
        checkSymlinkTarget(archive, path, target);
        yield entryWithContent({ path, type, size: raw.uncompressedSize, mode, mtime, linkTarget: target });
      } else if (type === "dir") {
        yield entryWithContent({ path, type, size: 0, mode, mtime });
      } else {
        keeper?.openers.set(path, openRaw);
        let opened = false;
        yield {
          path,
          type,
          size: raw.uncompressedSize,
          mode,
          mtime,
          open() {
            if (opened) throw new Error(`${archive}: entry ${path} opened twice`);
            opened = true;
            return Readable.from(openRaw(), { objectMode: false });
          },
        };
      }
    }
    completed = true;
  } catch (err) {
    throw zipError(archive, current, err);
  } finally {
    // A keeper takes over a fully listed zip; anything else (end, error, early exit) closes it.
    if (completed && keeper) keeper.close = () => zipfile.close();
    else zipfile.close();
  }
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The entry's name. The spec says CP437 unless flag bit 11 (UTF-8) or a Unicode Path extra
 * field says otherwise, but Info-ZIP on Linux and many other tools write raw UTF-8 without
 * the flag; like unzip on Linux, we take names that are valid UTF-8 as UTF-8.
 */
function zipEntryName(raw: yauzl.Entry): string {
  const bytes = raw.fileNameRaw;
  const flagged = (raw.generalPurposeBitFlag & 0x800) !== 0 || raw.extraFields.some((f) => f.id === 0x7075);
  if (!flagged && bytes.some((b) => b >= 0x80)) {
    try {
      return strictUtf8.decode(bytes);
    } catch {
      // not UTF-8: fall through to CP437
    }
  }
  return yauzl.getFileNameLowLevel(raw.generalPurposeBitFlag, bytes, raw.extraFields, true);
}

/** Unix mode from the external attributes when a Unix tool wrote the zip; else sane defaults. */
function zipTypeAndMode(raw: yauzl.Entry, name: string): { type: EntryType; mode: number } {
  const madeByUnix = raw.versionMadeBy >> 8 === 3 || raw.versionMadeBy >> 8 === 19;
  const unixMode = madeByUnix ? raw.externalFileAttributes >>> 16 : 0;
  const fileType = unixMode & 0o170000;
  const dosDir = (raw.externalFileAttributes & 0x10) !== 0;
  let type: EntryType = "file";
  if (fileType === 0o120000) type = "symlink";
  else if (fileType === 0o040000 || name.endsWith("/") || name.endsWith("\\") || dosDir) type = "dir";
  const perms = unixMode & 0o7777;
  const mode = perms !== 0 ? perms : type === "dir" ? 0o755 : type === "symlink" ? 0o777 : 0o644;
  return { type, mode };
}

/** The entry's bytes, with CRC-32 and size checked as they flow. */
async function* zipContent(
  archive: string,
  path: string,
  zipfile: yauzl.ZipFile,
  raw: yauzl.Entry,
): AsyncGenerator<Buffer> {
  let crc = 0;
  let length = 0;
  try {
    const stream = await zipfile.openReadStreamPromise(raw);
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      crc = crc32(chunk, crc);
      length += chunk.length;
      yield chunk;
    }
  } catch (err) {
    throw zipError(archive, path, err);
  }
  if (length !== raw.uncompressedSize) {
    throw new CorruptArchiveError(
      archive,
      path,
      `entry has ${length} bytes, header says ${raw.uncompressedSize}`,
    );
  }
  if (crc >>> 0 !== raw.crc32 >>> 0) {
    throw new CorruptArchiveError(
      archive,
      path,
      `CRC-32 mismatch (computed ${hex32(crc)}, header says ${hex32(raw.crc32)})`,
    );
  }
}

function zipError(archive: string, entry: string | undefined, err: unknown): ArchiveError {
  if (err instanceof ArchiveError) return err;
  const message = (err as Error)?.message ?? String(err);
  if (
    /end of central directory record signature not found|unexpected EOF|EOF|out of range|beyond/i.test(
      message,
    )
  ) {
    return new TruncatedArchiveError(archive, entry, `zip is truncated or damaged: ${message}`, err);
  }
  return new CorruptArchiveError(archive, entry, `corrupt zip: ${message}`, err);
}

// ---------------------------------------------------------------- tar / tar.gz

async function* readTar(archive: string, gzipped: boolean, limits: ReadLimits): AsyncGenerator<ArchiveEntry> {
  const file = createReadStream(archive);
  const extract = tar.extract();
  let current: string | undefined;
  // The first real failure; later "stream destroyed" errors in entry streams are its echoes.
  let failure: ArchiveError | undefined;
  const fail = (err: unknown) => {
    failure ??= tarError(archive, current, err, gzipped);
    if (!extract.destroyed) extract.destroy(failure);
  };
  extract.on("error", (err: unknown) => {
    failure ??= tarError(archive, current, err, gzipped);
  });
  file.on("error", fail);
  if (gzipped) {
    const gunzip = createGunzip();
    let compressed = 0;
    let expanded = 0;
    file.on("data", (chunk: Buffer | string) => {
      compressed += chunk.length;
    });
    gunzip.on("data", (chunk: Buffer) => {
      expanded += chunk.length;
      if (expanded > limits.ratioGraceBytes && expanded / Math.max(compressed, 1) > limits.maxRatio) {
        fail(
          new ArchiveLimitError(
            archive,
            current,
            "ratio",
            `gzip stream expands more than ${limits.maxRatio}× (limit maxRatio)`,
          ),
        );
        file.destroy();
      }
    });
    gunzip.on("error", fail);
    file.pipe(gunzip).pipe(extract as unknown as NodeJS.WritableStream);
  } else {
    file.pipe(extract as unknown as NodeJS.WritableStream);
  }

  const gate = new EntryGate(archive, limits);
  try {
    for await (const source of extract as AsyncIterable<TarSource>) {
      const header = source.header;
      current = header.name;
      const type = tarType(archive, header);
      if (type === "dir" && isRootName(header.name)) {
        await drain(source);
        continue;
      }
      const linkTarget = type === "symlink" ? (header.linkname ?? "") : undefined;
      const size =
        linkTarget !== undefined ? Buffer.byteLength(linkTarget) : type === "dir" ? 0 : header.size;
      const path = gate.admit(header.name, type, size);
      current = path;
      const mode = (header.mode ?? 0) & 0o7777 || (type === "dir" ? 0o755 : 0o644);
      const mtime = header.mtime ?? new Date(0);
      if (linkTarget !== undefined) checkSymlinkTarget(archive, path, linkTarget);

      if (type !== "file") {
        await drain(source);
        yield entryWithContent({ path, type, size, mode, mtime, linkTarget });
        continue;
      }
      const state = { opened: false, finished: false, closed: false };
      let finishedReading: Promise<void> = Promise.resolve();
      yield {
        path,
        type,
        size,
        mode,
        mtime,
        open() {
          if (state.opened) throw new Error(`${archive}: entry ${path} opened twice`);
          state.opened = true;
          const content = tarContent(archive, path, size, source, state, () => failure);
          const readable = Readable.from(content, { objectMode: false });
          finishedReading = new Promise((resolve) => readable.once("close", resolve));
          return readable;
        },
      };
      if (!state.opened) {
        await drain(source);
      } else if (!state.finished) {
        if (!state.closed) {
          throw new Error(
            `${archive}: entry ${path} was opened but not read to the end before the next entry`,
          );
        }
        await finishedReading;
      }
    }
  } catch (err) {
    throw failure ?? tarError(archive, current, err, gzipped);
  } finally {
    file.destroy();
    if (!extract.destroyed) extract.destroy();
  }
}

type TarSource = AsyncIterable<Buffer> & { header: tar.Header; resume(): unknown };

function tarType(archive: string, header: tar.Header): EntryType {
  switch (header.type) {
    case "file":
    case "contiguous-file":
      return "file";
    case "directory":
      return "dir";
    case "symlink":
      return "symlink";
    case "link":
      throw new UnsupportedEntryError(
        archive,
        header.name,
        `hard link to ${JSON.stringify(header.linkname)} is not supported`,
      );
    default:
      throw new UnsupportedEntryError(
        archive,
        header.name,
        `unsupported tar entry type ${String(header.type)}`,
      );
  }
}

async function* tarContent(
  archive: string,
  path: string,
  size: number,
  source: TarSource,
  state: { finished: boolean; closed: boolean },
  archiveFailure: () => ArchiveError | undefined,
): AsyncGenerator<Buffer> {
  let length = 0;
  try {
    for await (const chunk of source) {
      length += chunk.length;
      yield chunk;
    }
    if (length !== size)
      throw new TruncatedArchiveError(archive, path, `entry has ${length} bytes, header says ${size}`);
    state.finished = true;
  } catch (err) {
    throw archiveFailure() ?? tarError(archive, path, err, false);
  } finally {
    state.closed = true;
    if (!state.finished) {
      // The reader gave up early: skip the rest so the archive keeps moving.
      await drain(source).catch(() => {});
      state.finished = true;
    }
  }
}

function tarError(archive: string, entry: string | undefined, err: unknown, gzipped: boolean): ArchiveError {
  if (err instanceof ArchiveError) return err;
  const e = err as NodeJS.ErrnoException;
  const message = e?.message ?? String(err);
  if (/unexpected end|Z_BUF_ERROR/i.test(`${message} ${e?.code ?? ""}`)) {
    return new TruncatedArchiveError(
      archive,
      entry,
      `${gzipped ? "tar.gz" : "tar"} is truncated: ${message}`,
      err,
    );
  }
  if (e?.code === "Z_DATA_ERROR" || e?.code?.startsWith("Z_")) {
    return new CorruptArchiveError(archive, entry, `bad gzip data: ${message}`, err);
  }
  return new CorruptArchiveError(archive, entry, `corrupt tar: ${message}`, err);
}

// ---------------------------------------------------------------- shared

async function drain(source: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of source) {
    // discard
  }
}

/** An entry whose bytes are known up front: a directory (none) or a symlink (its target). */
function entryWithContent(info: Omit<ArchiveEntry, "open">): ArchiveEntry {
  const bytes = info.linkTarget !== undefined ? Buffer.from(info.linkTarget, "utf8") : Buffer.alloc(0);
  const entry: ArchiveEntry = { ...info, open: () => Readable.from([bytes], { objectMode: false }) };
  if (info.linkTarget === undefined) delete entry.linkTarget;
  return entry;
}

function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}

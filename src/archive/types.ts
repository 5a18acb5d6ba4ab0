// Shared shapes of the archive layer: formats, entries, manifests and zip-bomb limits.
import type { Readable } from "node:stream";

export type ArchiveFormat = "zip" | "tar" | "tar.gz";
export type EntryType = "file" | "dir" | "symlink";

/** What we know about an entry without its bytes. Paths are normalized (see paths.ts). */
export interface EntryInfo {
  path: string;
  type: EntryType;
  /** Bytes of content. For a symlink: UTF-8 length of its target (the zip representation). */
  size: number;
  /** Permission bits only (0o7777 mask); file-type bits live in `type`. */
  mode: number;
  mtime: Date;
  linkTarget?: string;
}

/** One entry while streaming an archive. Call open() at most once, before asking for the next. */
export interface ArchiveEntry extends EntryInfo {
  /**
   * The entry's bytes (for a symlink: its target as UTF-8; for a dir: empty). Checked while
   * they flow: CRC, declared size, limits. Read it to the end (or destroy it) before
   * advancing the iterator.
   */
  open(): Readable;
}

/** A manifest line: the entry plus the SHA-256 (hex) of its bytes. */
export interface ManifestEntry extends EntryInfo {
  sha256: string;
}

export interface Manifest {
  format: ArchiveFormat;
  entries: ManifestEntry[];
  /** Canonical content hash, see contentHash() in hash.ts. */
  contentHash: string;
}

/** Zip-bomb guards. Sizes are enforced on the bytes actually produced, not on declared sizes alone. */
export interface ReadLimits {
  /** Most entries an archive may hold. */
  maxEntries: number;
  /** Most expanded bytes over all entries. */
  maxTotalSize: number;
  /** Highest expanded/compressed ratio, per zip entry and over a whole gzip stream. */
  maxRatio: number;
  /** The ratio is only judged once this many bytes have been expanded (small files compress wildly). */
  ratioGraceBytes: number;
}

export const DEFAULT_LIMITS: Readonly<ReadLimits> = Object.freeze({
  maxEntries: 200_000,
  maxTotalSize: 16 * 1024 ** 3,
  maxRatio: 200,
  ratioGraceBytes: 1024 * 1024,
});

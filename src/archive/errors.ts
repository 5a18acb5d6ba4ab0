// Typed errors for bad archives. Every error names the archive and, when one is involved,
// the entry, so a carrier's log line says exactly which file and which member was refused.

export type ArchiveErrorCode =
  | "unknown-format"
  | "unsupported-format"
  | "unsafe-path"
  | "unsafe-symlink"
  | "duplicate-entry"
  | "limit-exceeded"
  | "truncated"
  | "encrypted-entry"
  | "corrupt"
  | "unsupported-entry"
  | "content-mismatch"
  | "invalid-manifest";

export class ArchiveError extends Error {
  readonly code: ArchiveErrorCode;
  readonly archive: string;
  readonly entry: string | undefined;
  readonly detail: string;

  constructor(
    code: ArchiveErrorCode,
    archive: string,
    entry: string | undefined,
    detail: string,
    cause?: unknown,
  ) {
    const where = entry === undefined ? archive : `${archive}: entry ${JSON.stringify(entry)}`;
    super(`${where}: ${detail}`, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
    this.archive = archive;
    this.entry = entry;
    this.detail = detail;
  }
}

/** The first bytes match no format we know (never guessed from the file name). */
export class UnknownFormatError extends ArchiveError {
  constructor(archive: string, detail: string) {
    super("unknown-format", archive, undefined, detail);
  }
}

/** A format we recognise but do not read (bzip2, xz, zstd, gzip of something other than tar). */
export class UnsupportedFormatError extends ArchiveError {
  constructor(archive: string, detail: string) {
    super("unsupported-format", archive, undefined, detail);
  }
}

/** Zip slip, absolute or drive-letter paths, NUL bytes, empty names. */
export class UnsafePathError extends ArchiveError {
  constructor(archive: string, entry: string, detail: string) {
    super("unsafe-path", archive, entry, detail);
  }
}

/** A symlink that points outside the archive root, or an entry that would be written through one. */
export class UnsafeSymlinkError extends ArchiveError {
  constructor(archive: string, entry: string, detail: string) {
    super("unsafe-symlink", archive, entry, detail);
  }
}

/** Two entries with the same normalized path, or a file where another entry needs a directory. */
export class DuplicateEntryError extends ArchiveError {
  constructor(archive: string, entry: string, detail: string) {
    super("duplicate-entry", archive, entry, detail);
  }
}

export type LimitKind = "entries" | "total-size" | "ratio";

/** Zip-bomb guard tripped: too many entries, too many expanded bytes, or too high a ratio. */
export class ArchiveLimitError extends ArchiveError {
  readonly limit: LimitKind;
  constructor(archive: string, entry: string | undefined, limit: LimitKind, detail: string) {
    super("limit-exceeded", archive, entry, detail);
    this.limit = limit;
  }
}

/** The archive ends before its structure says it should. */
export class TruncatedArchiveError extends ArchiveError {
  constructor(archive: string, entry: string | undefined, detail: string, cause?: unknown) {
    super("truncated", archive, entry, detail, cause);
  }
}

/** A zip entry is encrypted; we never guess passwords. */
export class EncryptedEntryError extends ArchiveError {
  constructor(archive: string, entry: string) {
    super(
      "encrypted-entry",
      archive,
      entry,
      "entry is encrypted (password-protected zips are not supported)",
    );
  }
}

/** Bad CRC, bad gzip data, bad tar header checksum, inconsistent sizes. */
export class CorruptArchiveError extends ArchiveError {
  constructor(archive: string, entry: string | undefined, detail: string, cause?: unknown) {
    super("corrupt", archive, entry, detail, cause);
  }
}

/** Hard links, devices, FIFOs, unknown zip compression methods. */
export class UnsupportedEntryError extends ArchiveError {
  constructor(archive: string, entry: string, detail: string) {
    super("unsupported-entry", archive, entry, detail);
  }
}

/** While rebuilding, an entry's bytes did not match the manifest (size or sha256). */
export class ContentMismatchError extends ArchiveError {
  constructor(archive: string, entry: string, detail: string) {
    super("content-mismatch", archive, entry, detail);
  }
}

/** A manifest received as JSON is malformed or its contentHash does not match its entries. */
export class InvalidManifestError extends ArchiveError {
  constructor(source: string, entry: string | undefined, detail: string) {
    super("invalid-manifest", source, entry, detail);
  }
}

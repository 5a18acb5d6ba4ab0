// Course archives: detect zip / tar / tar.gz by magic bytes, stream entries safely, build entry manifests and the canonical content hash, rebuild and extract.
export { detectFormat, detectFormatFromHead } from "./detect.js";
export * from "./errors.js";
export { directorySource, type ExtractOptions, extractArchive } from "./extract.js";
export { CONTENT_HASH_PREFIX, contentHash, EMPTY_SHA256, type HashableEntry } from "./hash.js";
export { type ManifestJson, manifestFromJson, manifestToJson, readManifest } from "./manifest.js";
export { normalizeEntryPath, PathRegistry, refuseSymlink } from "./paths.js";
export { type ReadOptions, readEntries } from "./read.js";
export { type OpenedArchive, openArchive } from "./source.js";
export { hashTree } from "./tree.js";
export * from "./types.js";
export {
  ArchiveWriter,
  type ContentSource,
  type WritableEntry,
  type WriteOptions,
  type WriteResult,
  writeArchive,
} from "./write.js";

/**
 * A course version as the sync layer sees it: an extracted tree plus its manifest. Old
 * entries are addressed by their index in canonical order (sorted by UTF-8 path bytes),
 * the order both sides can compute from a manifest alone.
 */
import type { EntryType, Manifest, ManifestEntry } from "../archive/index.js";

/** Course ids, as master and agent accept them: they name directories, so nothing else is let through. */
export const COURSE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Bytes of SHA-256 that identify entry content across the wire; the final content hash catches any collision. */
export const ID_HEX = 16;

export interface OldEntry {
  path: string;
  type: EntryType;
  size: number;
  /** First ID_HEX hex digits of the content's SHA-256. */
  id: string;
  /**
   * The whole SHA-256, when the view comes from a manifest (the agent's own installed
   * version): an unchanged entry's hash is then known without reading its bytes again.
   */
  sha256?: string;
}

/** What the master knows of the agent's copy: a whole manifest (known base) or the agent's summary. */
export interface OldView {
  contentHash: string;
  /** Canonical order. */
  entries: OldEntry[];
  /** Extracted tree of the old version, when the master holds it (known base). */
  root?: string;
}

export function canonicalOrder<T extends { path: string }>(entries: readonly T[]): T[] {
  return [...entries].sort((a, b) =>
    Buffer.compare(Buffer.from(a.path, "utf8"), Buffer.from(b.path, "utf8")),
  );
}

export function toOldView(manifest: Manifest, root?: string): OldView {
  return {
    contentHash: manifest.contentHash,
    entries: canonicalOrder(manifest.entries).map((e) => ({
      path: e.path,
      type: e.type,
      size: e.size,
      id: e.sha256.slice(0, ID_HEX),
      sha256: e.sha256,
    })),
    ...(root !== undefined && { root }),
  };
}

export const entryId = (e: Pick<ManifestEntry, "sha256">) => e.sha256.slice(0, ID_HEX);

export function basenameOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? path : path.slice(i + 1);
}

/**
 * All old files back to back in canonical order: the address space of "g" op lists, which
 * may copy from any old entry (content moved between files, a new file like an old one).
 */
export function globalLayout(view: OldView): Array<{ path: string; start: number; size: number }> {
  let at = 0;
  return view.entries
    .filter((e) => e.type === "file")
    .map((e) => {
      const r = { path: e.path, start: at, size: e.size };
      at += e.size;
      return r;
    });
}

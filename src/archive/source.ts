// Read entries of an archive by path, in any order: the content source for rebuilding a
// course from an older archive (zip: random access; tar/tar.gz: a forward cursor).
import { Readable } from "node:stream";
import { detectFormat } from "./detect.js";
import { type ReadOptions, readEntries, readZip, type ZipKeeper } from "./read.js";
import { type ArchiveEntry, type ArchiveFormat, DEFAULT_LIMITS, type EntryInfo } from "./types.js";
import type { ContentSource } from "./write.js";

export interface OpenedArchive {
  path: string;
  format: ArchiveFormat;
  /** Every entry, validated like readEntries (unsafe archives are refused at open). */
  entries: EntryInfo[];
  /**
   * The bytes of the entry at `path`. Read each stream to its end before opening the next.
   * Zip: any order at no extra cost. Tar/tar.gz: cheap in archive order; going back rescans.
   */
  open(path: string): Promise<Readable>;
  /** `open` as a ContentSource for writeArchive. */
  source: ContentSource;
  close(): Promise<void>;
}

/** List the archive once and keep it ready for reads by path. */
export async function openArchive(path: string, options: ReadOptions = {}): Promise<OpenedArchive> {
  const format = options.format ?? (await detectFormat(path));
  const entries: EntryInfo[] = [];
  const info = (e: ArchiveEntry): EntryInfo => {
    const { open: _open, ...rest } = e;
    return rest;
  };
  const known = new Map<string, EntryInfo>();
  const lookup = (p: string): EntryInfo => {
    const entry = known.get(p);
    if (!entry) throw new Error(`${path}: no entry ${JSON.stringify(p)}`);
    return entry;
  };
  const fixedContent = (e: EntryInfo) =>
    Readable.from([Buffer.from(e.type === "symlink" ? (e.linkTarget ?? "") : "", "utf8")], {
      objectMode: false,
    });

  let open: (p: string) => Promise<Readable>;
  let close: () => Promise<void>;

  if (format === "zip") {
    const keeper: ZipKeeper = { openers: new Map(), close: () => {} };
    for await (const e of readZip(path, { ...DEFAULT_LIMITS, ...options.limits }, keeper))
      entries.push(info(e));
    for (const e of entries) known.set(e.path, e);
    open = async (p) => {
      const e = lookup(p);
      const opener = keeper.openers.get(p);
      return opener ? Readable.from(opener(), { objectMode: false }) : fixedContent(e);
    };
    close = async () => keeper.close();
  } else {
    const order = new Map<string, number>();
    for await (const e of readEntries(path, { ...options, format })) {
      order.set(e.path, entries.length);
      entries.push(info(e));
    }
    for (const e of entries) known.set(e.path, e);
    let cursor: AsyncGenerator<ArchiveEntry> | undefined;
    let position = -1;
    open = async (p) => {
      const e = lookup(p);
      if (e.type !== "file") return fixedContent(e);
      const target = order.get(p)!;
      if (!cursor || target <= position) {
        await cursor?.return(undefined);
        cursor = readEntries(path, { ...options, format });
        position = -1;
      }
      while (position < target) {
        const next = await cursor.next();
        position++;
        if (next.done) throw new Error(`${path}: archive changed while open (entry ${p} is gone)`);
        if (position === target) return next.value.open();
      }
      throw new Error("unreachable");
    };
    close = async () => {
      await cursor?.return(undefined);
    };
  }
  return { path, format, entries, open, source: (entry) => open(entry.path), close };
}

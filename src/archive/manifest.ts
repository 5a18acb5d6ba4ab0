// Entry manifest of an archive: every entry with its SHA-256, plus the canonical content hash.
import { createHash } from "node:crypto";
import { detectFormat } from "./detect.js";
import { contentHash } from "./hash.js";
import { type ReadOptions, readEntries } from "./read.js";
import type { Manifest, ManifestEntry } from "./types.js";

/** Read the whole archive once, streaming, and hash every entry's bytes. */
export async function readManifest(path: string, options: ReadOptions = {}): Promise<Manifest> {
  const format = options.format ?? (await detectFormat(path));
  const entries: ManifestEntry[] = [];
  for await (const entry of readEntries(path, { ...options, format })) {
    const hash = createHash("sha256");
    for await (const chunk of entry.open()) hash.update(chunk as Buffer);
    const { open: _open, ...info } = entry;
    entries.push({ ...info, sha256: hash.digest("hex") });
  }
  return { format, entries, contentHash: contentHash(entries) };
}

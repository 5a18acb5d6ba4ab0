// The canonical content hash of a course: the same for the same entries whatever the
// container, compression, entry order, timestamps or modes.
import { createHash } from "node:crypto";
import type { EntryType, ManifestEntry } from "./types.js";

export const CONTENT_HASH_PREFIX = "hc1:";
const DOMAIN = "handcarry content hash v1\n";
const TYPE_BYTE: Record<EntryType, number> = { file: 0x66 /* f */, dir: 0x64 /* d */, symlink: 0x6c /* l */ };

export type HashableEntry = Pick<ManifestEntry, "path" | "type" | "size" | "sha256">;

/**
 * `hc1:` + hex SHA-256 over, in order:
 *   the ASCII bytes "handcarry content hash v1\n", then for each entry sorted by the UTF-8
 *   bytes of its path: 1 type byte ('f', 'd' or 'l'), the UTF-8 path length as a 4-byte
 *   big-endian integer, the path bytes, the size as an 8-byte big-endian integer, and the 32
 *   raw bytes of the entry's SHA-256.
 * Left out on purpose: mtime (every re-export restamps it), mode (zip tools disagree on it;
 * the manifest records it and the rebuild restores it), compression, order, and directory
 * entries that other entries already imply (archivers differ on listing them; an empty
 * directory still counts). A symlink's bytes are its target, so zip and tar agree.
 */
export function contentHash(entries: readonly HashableEntry[]): string {
  const implied = new Set<string>();
  for (const e of entries) {
    for (let cut = e.path.lastIndexOf("/"); cut > 0; cut = e.path.lastIndexOf("/", cut - 1)) {
      const ancestor = e.path.slice(0, cut);
      if (implied.has(ancestor)) break;
      implied.add(ancestor);
    }
  }
  const kept = entries
    .filter((e) => !(e.type === "dir" && implied.has(e.path)))
    .map((e) => ({ entry: e, key: Buffer.from(e.path, "utf8") }))
    .sort((a, b) => Buffer.compare(a.key, b.key));

  const hash = createHash("sha256").update(DOMAIN, "ascii");
  const fixed = Buffer.alloc(1 + 4);
  const size = Buffer.alloc(8);
  let previous: Buffer | undefined;
  for (const { entry, key } of kept) {
    if (previous?.equals(key)) throw new Error(`contentHash: duplicate path ${entry.path}`);
    previous = key;
    if (!/^[0-9a-f]{64}$/.test(entry.sha256)) throw new Error(`contentHash: bad sha256 for ${entry.path}`);
    fixed[0] = TYPE_BYTE[entry.type];
    fixed.writeUInt32BE(key.length, 1);
    size.writeBigUInt64BE(BigInt(entry.size));
    hash.update(fixed).update(key).update(size).update(Buffer.from(entry.sha256, "hex"));
  }
  return CONTENT_HASH_PREFIX + hash.digest("hex");
}

/** SHA-256 of no bytes: the content of every directory entry. */
export const EMPTY_SHA256 = createHash("sha256").digest("hex");

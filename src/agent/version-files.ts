// The files beside an installed version's tree: its manifest (every entry's size and SHA-256,
// gzipped: a 10,000-entry course's is 0.8 MB instead of 1.9 MB, rewritten at every update)
// and its record (what the hotspot serves when the database cannot open).
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import type { Manifest } from "../archive/index.js";

export const MANIFEST_FILE = "manifest.json.gz";
/** The manifest's name before it was gzipped: versions installed then still have it. */
const PLAIN_MANIFEST_FILE = "manifest.json";
/** The installed record, also kept as a file beside its version. */
export const RECORD_FILE = "installed.json";

export const manifestBytes = (m: Manifest): Buffer => gzipSync(JSON.stringify(m), { level: 6 });

export async function readVersionManifest(versionDir: string): Promise<Manifest> {
  const zipped = await readFile(join(versionDir, MANIFEST_FILE)).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return undefined;
    throw e;
  });
  const text = zipped
    ? gunzipSync(zipped).toString("utf8")
    : await readFile(join(versionDir, PLAIN_MANIFEST_FILE), "utf8");
  const m = JSON.parse(text) as Manifest;
  for (const e of m.entries) e.mtime = new Date(e.mtime);
  return m;
}

// A package kept as a zip inside a course (Moodle's mod_h5pactivity and mod_scorm keep one)
// unpacked for a player, once: into <cacheDir>/<sha256 of the zip>, through the archive
// module's safe extraction (no symlinks, no path tricks, staged then renamed, so a directory
// that exists is complete). The same package in two courses or versions is unpacked once, a
// changed one gets a directory of its own, and later runs of the agent reuse the folder.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { ArchiveError, extractArchive } from "../archive/index.js";
import type { ReadOptions } from "../archive/read.js";
import { promiseCache } from "../util/promise-cache.js";
import { ReaderError } from "./errors.js";

export interface UnpackOptions {
  limits?: ReadOptions["limits"];
  /** The reader's sentence for a refused zip, given the entry and the archive's reason. */
  describe(why: string): string;
  /** When set, other errors than a refused zip are this sentence too, instead of thrown as they are. */
  otherwise?: string;
}

const unpacked = promiseCache<string>(256);

async function sha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

async function unpack(zip: string, cacheDir: string, name: string, o: UnpackOptions): Promise<string> {
  const dest = join(cacheDir, await sha256(zip));
  if (await isDirectory(dest)) return dest;
  await mkdir(cacheDir, { recursive: true });
  try {
    await extractArchive(zip, dest, { format: "zip", ...(o.limits ? { limits: o.limits } : {}) });
  } catch (err) {
    // Another process (or an earlier run cut short after the rename) may have made it meanwhile.
    if (await isDirectory(dest)) return dest;
    // The archive error's own message starts with the zip's path on the Pi: name the entry only.
    if (err instanceof ArchiveError) {
      const where = err.entry === undefined ? "" : `entry ${JSON.stringify(err.entry)}: `;
      throw new ReaderError("invalid", name, o.describe(`${where}${err.detail}`), err);
    }
    if (o.otherwise !== undefined) throw new ReaderError("invalid", name, o.otherwise, err);
    throw err;
  }
  return dest;
}

/**
 * The directory the zip at `zip` (an absolute, checked path) is unpacked in, under `cacheDir`,
 * made on first use. `name` is what errors call the package (its file name in the course).
 */
export function unpackOnce(zip: string, cacheDir: string, name: string, o: UnpackOptions): Promise<string> {
  return unpacked(`${zip}\0${cacheDir}`, () => unpack(zip, cacheDir, name, o));
}

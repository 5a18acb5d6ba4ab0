// A .h5p file inside a course (Moodle's mod_h5pactivity keeps one) unzipped for a player, once:
// into <cacheRoot>/<sha256 of the file>, through the archive module's safe extraction (no
// symlinks, no path tricks, staged then renamed, so a crash leaves all of it or nothing). Later
// requests, and later runs of the agent, find the folder and reuse it.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { ArchiveError, extractArchive } from "../../archive/index.js";
import { promiseCache } from "../../util/promise-cache.js";
import { ReaderError } from "../errors.js";

/** An H5P package is tens of MB at most; these bound a zip bomb well below the Pi's SD card. */
const H5P_LIMITS = { maxEntries: 20_000, maxTotalSize: 1024 ** 3 };
const extracted = promiseCache<string>(256);

async function sha256(file: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), hash);
  return hash.digest("hex");
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

async function extractOnce(file: string, cacheRoot: string, name: string): Promise<string> {
  const dest = join(cacheRoot, await sha256(file));
  if (await isDirectory(dest)) return dest;
  try {
    await extractArchive(file, dest, { format: "zip", limits: H5P_LIMITS });
  } catch (err) {
    // Another process (or an earlier run cut short after the rename) may have made it meanwhile.
    if (await isDirectory(dest)) return dest;
    if (err instanceof ArchiveError) {
      // The entry and the reason, never the server path of the file.
      const where = err.entry === undefined ? "" : `entry ${JSON.stringify(err.entry)}: `;
      throw new ReaderError("invalid", name, `is not a usable .h5p package (${where}${err.detail})`, err);
    }
    throw err;
  }
  return dest;
}

/**
 * The folder holding the unzipped package `file` (an absolute, checked path), made under
 * `cacheRoot` on first use. `name` is the file as the course names it, for error messages.
 */
export function extractH5p(file: string, cacheRoot: string, name: string): Promise<string> {
  return extracted(`${file}\0${cacheRoot}`, () => extractOnce(file, cacheRoot, name));
}

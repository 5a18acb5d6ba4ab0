// A .h5p file inside a course (Moodle's mod_h5pactivity keeps one) unzipped for the player,
// once, through the readers' shared package cache (../unpack.ts).
import { unpackOnce } from "../unpack.js";

/** An H5P package is tens of MB at most; these bound a zip bomb well below the Pi's SD card. */
const H5P_LIMITS = { maxEntries: 20_000, maxTotalSize: 1024 ** 3 };

/**
 * The folder holding the unzipped package `file` (an absolute, checked path), made under
 * `cacheRoot` on first use. `name` is the file as the course names it, for error messages.
 */
export function extractH5p(file: string, cacheRoot: string, name: string): Promise<string> {
  return unpackOnce(file, cacheRoot, name, {
    limits: H5P_LIMITS,
    describe: (why) => `is not a usable .h5p package (${why})`,
  });
}

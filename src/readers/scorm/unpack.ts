// A SCORM package kept as a zip (mod_scorm in a Moodle backup) unpacked once, through the
// readers' shared package cache (../unpack.ts).
import { unpackOnce } from "../unpack.js";

/**
 * The directory the zip at `zipPath` is unpacked in, under `cacheDir` (made on first use).
 * `name` is what errors call the package (its file name in the course).
 */
export function unpackPackage(zipPath: string, cacheDir: string, name: string): Promise<string> {
  return unpackOnce(zipPath, cacheDir, name, {
    describe: (why) => why,
    otherwise: "is not a zip that can be unpacked",
  });
}

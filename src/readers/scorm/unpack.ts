// A SCORM package kept as a zip (mod_scorm in a Moodle backup) unpacked once into a cache
// directory named by the SHA-256 of the zip's bytes: the same package in two courses or two
// versions of a course is unpacked once, and a changed package gets a directory of its own.
// The project's extraction refuses symlinks, path tricks and zip bombs, and renames the tree into
// place only when it came out whole, so a directory that exists is complete.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { ArchiveError, extractArchive } from "../../archive/index.js";
import { promiseCache } from "../../util/promise-cache.js";
import { ReaderError } from "../errors.js";

const unpacked = promiseCache<string>(64);

async function sha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * The directory the zip at `zipPath` is unpacked in, under `cacheDir` (made on first use).
 * `name` is what errors call the package (its file name in the course).
 */
export function unpackPackage(zipPath: string, cacheDir: string, name: string): Promise<string> {
  return unpacked(`${zipPath}\0${cacheDir}`, async () => {
    const dest = join(cacheDir, await sha256(zipPath));
    if (await exists(dest)) return dest;
    await mkdir(cacheDir, { recursive: true });
    try {
      await extractArchive(zipPath, dest, { format: "zip" });
    } catch (err) {
      if (await exists(dest)) return dest; // another process unpacked it first
      // The archive error's own message starts with the zip's path on the Pi: name the entry only.
      const why =
        err instanceof ArchiveError
          ? `${err.entry === undefined ? "" : `entry ${JSON.stringify(err.entry)}: `}${err.detail}`
          : "is not a zip that can be unpacked";
      throw new ReaderError("invalid", name, why, err);
    }
    return dest;
  });
}

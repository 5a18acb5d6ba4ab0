// Safe extraction to a directory: same checks as reading, written into a staging directory
// that is renamed into place only when every entry came out whole.
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { chmod, lstat, mkdir, open, rename, rm, utimes } from "node:fs/promises";
import { basename, dirname, join, resolve, sep } from "node:path";
import { detectFormat } from "./detect.js";
import { UnsafePathError } from "./errors.js";
import { contentHash } from "./hash.js";
import { refuseSymlink } from "./paths.js";
import { type ReadOptions, readEntries } from "./read.js";
import type { Manifest, ManifestEntry } from "./types.js";
import type { ContentSource } from "./write.js";

export interface ExtractOptions extends ReadOptions {
  /**
   * fsync every file before the final rename. Off by default: an extracted tree is derived
   * data (re-extract it from the archive after a crash), and an fsync per file is slow on SD cards.
   */
  durable?: boolean;
}

/**
 * Extract the archive at `archivePath` into `destDir`, which must not exist yet. Returns the
 * manifest of what was extracted. On any error nothing is left at `destDir` and the staging
 * directory is removed. Setuid/setgid/sticky bits are dropped; symlinks, hard links, devices
 * and FIFOs are refused (see read.ts): only directories and regular files are ever created.
 */
export async function extractArchive(
  archivePath: string,
  destDir: string,
  options: ExtractOptions = {},
): Promise<Manifest> {
  const dest = resolve(destDir);
  if (await exists(dest)) throw new Error(`extract ${archivePath}: destination ${dest} already exists`);
  const format = options.format ?? (await detectFormat(archivePath));
  const staging = join(
    dirname(dest),
    `.${basename(dest)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`,
  );
  await mkdir(dirname(dest), { recursive: true });
  await mkdir(staging, { mode: 0o700 });
  const entries: ManifestEntry[] = [];
  try {
    const { durable: _durable, ...readOptions } = options;
    for await (const entry of readEntries(archivePath, { ...readOptions, format })) {
      const target = resolve(staging, entry.path);
      if (!target.startsWith(staging + sep)) {
        throw new UnsafePathError(archivePath, entry.path, "resolves outside the destination");
      }
      const { open: openContent, ...info } = entry;
      if (entry.type === "dir") {
        await mkdir(target, { recursive: true, mode: 0o700 });
        entries.push({ ...info, sha256: createHash("sha256").digest("hex") });
      } else if (entry.type === "symlink") {
        refuseSymlink(archivePath, entry.path, entry.linkTarget ?? ""); // the reader refuses them first
      } else {
        await mkdir(dirname(target), { recursive: true, mode: 0o700 });
        const hash = createHash("sha256");
        const handle = await open(target, "wx", 0o600);
        try {
          for await (const chunk of openContent()) {
            hash.update(chunk as Buffer);
            await handle.write(chunk as Buffer);
          }
          if (options.durable) await handle.sync();
        } finally {
          await handle.close();
        }
        entries.push({ ...info, sha256: hash.digest("hex") });
      }
    }
    for (const e of entries) {
      if (e.type === "file") {
        await chmod(join(staging, e.path), e.mode & 0o777);
        await utimes(join(staging, e.path), e.mtime, e.mtime);
      }
    }
    // Directories deepest first, so setting a parent's time is not undone by its children.
    const dirs = entries.filter((e) => e.type === "dir").sort((a, b) => b.path.length - a.path.length);
    for (const e of dirs) {
      await chmod(join(staging, e.path), (e.mode & 0o777) | 0o700);
      await utimes(join(staging, e.path), e.mtime, e.mtime);
    }
    await chmod(staging, 0o755);
    await rename(staging, dest);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  return { format, entries, contentHash: contentHash(entries) };
}

/** A ContentSource reading file entries from an extracted tree (e.g. to rebuild an archive). */
export function directorySource(root: string): ContentSource {
  const base = resolve(root);
  return (entry) => {
    const target = resolve(base, entry.path);
    if (!target.startsWith(base + sep))
      throw new UnsafePathError(root, entry.path, "resolves outside the directory");
    return createReadStream(target);
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

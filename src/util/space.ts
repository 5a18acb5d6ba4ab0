/**
 * Disk space on a small card: how much is free, and a preallocated reserve file that keeps
 * room for the state database. When the disk fills anyway (another writer, an estimate
 * that was short), deleting the reserve lets LevelDB open, so the Pi still starts and serves.
 */
import { open, readdir, rename, rm, stat, statfs } from "node:fs/promises";
import { join } from "node:path";
import { fsyncDir, tempPathFor } from "./files.js";

/** The reserve's name inside a data dir. */
export const RESERVE_FILE = "space-reserve";
export const DEFAULT_RESERVE_BYTES = 8 << 20;

export const reservePath = (dataDir: string) => join(dataDir, RESERVE_FILE);

/** Bytes an unprivileged writer can still use on the filesystem holding `path`. */
export async function freeBytes(path: string): Promise<number> {
  const s = await statfs(path);
  return s.bavail * s.bsize;
}

/** An error that means the disk (or quota) is full, wherever it was wrapped. */
export function isNoSpace(e: unknown): boolean {
  for (
    let err = e as (Error & { code?: string; cause?: unknown }) | undefined;
    err;
    err = err.cause as typeof err
  ) {
    if (err.code === "ENOSPC" || err.code === "EDQUOT" || /no space left/i.test(err.message ?? ""))
      return true;
  }
  return false;
}

export function mib(bytes: number): string {
  return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}

/** Bytes the reserve file holds now (0 when there is none). */
export async function reserveHeld(dataDir: string): Promise<number> {
  return (await stat(reservePath(dataDir)).catch(() => null))?.size ?? 0;
}

/**
 * Make sure the reserve file holds `bytes`, if that leaves at least as much again free.
 * Written with real zeros (not a sparse file), so its blocks are really taken. Returns
 * whether the reserve is in place.
 */
export async function ensureReserve(dataDir: string, bytes: number): Promise<boolean> {
  // A reserve being written when the process was killed must not take space for good.
  for (const name of await readdir(dataDir).catch(() => []))
    if (name.startsWith(`.${RESERVE_FILE}.`) && name.endsWith(".tmp"))
      await rm(join(dataDir, name), { force: true });
  const held = await reserveHeld(dataDir);
  if (held >= bytes) return true;
  if ((await freeBytes(dataDir)) < 2 * (bytes - held)) return false;
  const path = reservePath(dataDir);
  const tmp = tempPathFor(path);
  const fh = await open(tmp, "wx", 0o600);
  try {
    const chunk = Buffer.alloc(Math.min(bytes, 1 << 20));
    for (let written = 0; written < bytes; written += chunk.length)
      await fh.write(chunk, 0, Math.min(chunk.length, bytes - written));
    await fh.sync();
    await fh.close();
    await rename(tmp, path);
    await fsyncDir(dataDir);
    return true;
  } catch (e) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    if (isNoSpace(e)) return false;
    throw e;
  }
}

/** Give the reserve's space back; returns the bytes freed. */
export async function releaseReserve(dataDir: string): Promise<number> {
  const held = await reserveHeld(dataDir);
  await rm(reservePath(dataDir), { force: true });
  return held;
}

/**
 * Containment by real path: a relative path inside a root is followed through every symlink
 * (realpath) and refused when where it really lands is outside the root's own real path.
 * Text checks on link targets cannot see a chain of links that climbs through another one;
 * the kernel's answer can. Filesystem only: used by the hotspot's routes and the readers.
 */
import { realpath } from "node:fs/promises";
import { join, sep } from "node:path";

/** True when `real` is `root` or below it (both already real paths). */
export function isInside(root: string, real: string): boolean {
  return real === root || real.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * The real path of `rel` (decoded, relative, "/"-separated) under `root`, or null when it does
 * not exist or really lies outside the root (through "..", an absolute part or any symlink).
 */
export async function realPathInside(root: string, rel: string): Promise<string | null> {
  if (rel.includes("\0")) return null;
  try {
    const realRoot = await realpath(root);
    const real = await realpath(join(realRoot, rel));
    return isInside(realRoot, real) ? real : null;
  } catch {
    return null;
  }
}

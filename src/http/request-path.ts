// A request path turned into a file inside a root: each URL segment decoded exactly once,
// segments that could climb or hide a separator refused, and the result's real path
// (every symlink followed) required to stay inside the root's.
import { realPathInside } from "../util/real-path.js";

/** Decoded, checked path segments of a URL path; null if any is unsafe. */
export function requestSegments(rest: string): string[] | null {
  const out: string[] = [];
  for (const raw of rest.split("/")) {
    if (raw === "") continue;
    let s: string;
    try {
      s = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (s === "." || s === ".." || s.includes("/") || s.includes("\\") || s.includes("\0")) return null;
    out.push(s);
  }
  return out;
}

/**
 * The real filesystem path for decoded `segments` under `root`, or null when it is missing or
 * really outside the root. Hand the result to sendFile as is: it is never decoded again.
 */
export function resolveInRoot(root: string, segments: readonly string[]): Promise<string | null> {
  return realPathInside(root, segments.join("/"));
}

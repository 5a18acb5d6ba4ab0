// Entry manifest of an archive: every entry with its SHA-256, plus the canonical content
// hash; and its JSON form, validated on the way in (manifests cross the network).
import { createHash } from "node:crypto";
import { z } from "zod";
import { detectFormat } from "./detect.js";
import { InvalidManifestError } from "./errors.js";
import { contentHash } from "./hash.js";
import { normalizeEntryPath, PathRegistry } from "./paths.js";
import { type ReadOptions, readEntries } from "./read.js";
import type { Manifest, ManifestEntry } from "./types.js";

/** Read the whole archive once, streaming, and hash every entry's bytes. */
export async function readManifest(path: string, options: ReadOptions = {}): Promise<Manifest> {
  const format = options.format ?? (await detectFormat(path));
  const entries: ManifestEntry[] = [];
  for await (const entry of readEntries(path, { ...options, format })) {
    const hash = createHash("sha256");
    for await (const chunk of entry.open()) hash.update(chunk as Buffer);
    const { open: _open, ...info } = entry;
    entries.push({ ...info, sha256: hash.digest("hex") });
  }
  return { format, entries, contentHash: contentHash(entries) };
}

const entrySchema = z.object({
  path: z.string().min(1),
  type: z.enum(["file", "dir", "symlink"]),
  size: z.number().int().nonnegative(),
  mode: z.number().int().min(0).max(0o7777),
  mtime: z.iso.datetime(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  linkTarget: z.string().optional(),
});

const manifestSchema = z.object({
  format: z.enum(["zip", "tar", "tar.gz"]),
  entries: z.array(entrySchema),
  contentHash: z.string().regex(/^hc1:[0-9a-f]{64}$/),
});

export type ManifestJson = z.infer<typeof manifestSchema>;

/** Plain JSON form (mtime as ISO 8601). */
export function manifestToJson(manifest: Manifest): ManifestJson {
  return {
    format: manifest.format,
    contentHash: manifest.contentHash,
    entries: manifest.entries.map((e) => ({ ...e, mtime: e.mtime.toISOString() })),
  };
}

/**
 * Parse and check a manifest from JSON: shape, normalized unique paths, symlink targets
 * present, and a contentHash that matches the entries. `source` names it in errors.
 */
export function manifestFromJson(json: unknown, source = "manifest"): Manifest {
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidManifestError(
      source,
      undefined,
      `invalid manifest at ${issue?.path.join(".") || "top level"}: ${issue?.message}`,
    );
  }
  const registry = new PathRegistry(source);
  const entries: ManifestEntry[] = parsed.data.entries.map((e) => {
    if (normalizeEntryPath(source, e.path) !== e.path)
      throw new InvalidManifestError(source, e.path, "path is not normalized");
    registry.add(e.path, e.type);
    if ((e.type === "symlink") !== (e.linkTarget !== undefined)) {
      throw new InvalidManifestError(source, e.path, "linkTarget goes with symlinks only");
    }
    return { ...e, mtime: new Date(e.mtime) };
  });
  const computed = contentHash(entries);
  if (computed !== parsed.data.contentHash) {
    throw new InvalidManifestError(
      source,
      undefined,
      `contentHash ${parsed.data.contentHash} does not match its entries (${computed})`,
    );
  }
  return { format: parsed.data.format, entries, contentHash: computed };
}

/**
 * The cache of unknown-base deltas. Agents holding the same old copy send the same summary
 * and signatures, so a result is keyed by a hash of those inputs and the target version, and
 * is built once however many ask (at the same time or later). The cache is capped in bytes
 * (least recently used results go first) and a result goes as soon as its target is no
 * longer the newest version, since nobody can be offered it again.
 */
import { createHash } from "node:crypto";
import { rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Table } from "../store/index.js";
import type { BlobManifest } from "../transfer/index.js";

export interface UnknownResult {
  course: string;
  target: string;
  blob: string;
  path: string;
  size: number;
  /** Milliseconds since the epoch of the last time this result was handed out. */
  usedAt: number;
}

/** What the master's storage lends the cache: blob records and per-key serialization. */
export interface BlobHost {
  readonly blobs: Table<{ path: string; manifest: BlobManifest }>;
  registerBlob(path: string): Promise<BlobManifest>;
  exclusive<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

/** The cache key: course, target version, the agent's summary and its signatures (digests). */
export function unknownResultKey(course: string, target: string, summaryDigest: string, sigDigest: string) {
  return createHash("sha256")
    .update(`handcarry unknown-base v1\n${course}\n${target}\n${summaryDigest}\n${sigDigest}\n`)
    .digest("hex");
}

export class UnknownResults {
  constructor(
    private readonly table: Table<UnknownResult>,
    private readonly host: BlobHost,
    private readonly deltaDir: string,
    /** Most bytes of results kept. */
    readonly maxBytes: number,
  ) {}

  /**
   * The result for `key`, built by `build(outPath)` unless it is cached. Concurrent calls
   * with the same key wait for the one build.
   */
  async getOrBuild(
    key: string,
    course: string,
    target: string,
    build: (outPath: string) => Promise<void>,
  ): Promise<BlobManifest> {
    return this.host.exclusive(`unknown:${key}`, async () => {
      const cached = await this.lookup(key);
      if (cached) return cached;
      const path = join(this.deltaDir, `unknown-${key}.hcd`);
      await build(path);
      const manifest = await this.host.registerBlob(path);
      await this.table.put(
        key,
        { course, target, blob: manifest.id, path, size: manifest.size, usedAt: Date.now() },
        true,
      );
      await this.evict(key);
      return manifest;
    });
  }

  /** The result for `key` if it is built already (a build under way does not count). */
  cached(key: string): Promise<BlobManifest | undefined> {
    return this.lookup(key);
  }

  private async lookup(key: string): Promise<BlobManifest | undefined> {
    const r = await this.table.get(key);
    if (!r) return undefined;
    const blob = await this.host.blobs.get(r.blob);
    const present =
      blob &&
      (await stat(r.path).then(
        () => true,
        () => false,
      ));
    if (!present) {
      await this.remove(key, r);
      return undefined;
    }
    await this.table.put(key, { ...r, usedAt: Date.now() });
    return blob.manifest;
  }

  /** Drop results of `course` built for a version other than `latest`. */
  async dropStale(course: string, latest: string): Promise<void> {
    for (const [key, r] of await this.table.entries())
      if (r.course === course && r.target !== latest) await this.remove(key, r);
  }

  /** Least recently used first, until the cache fits (the result just built is kept). */
  private async evict(keep: string): Promise<void> {
    const all = (await this.table.entries()).sort(([, a], [, b]) => a.usedAt - b.usedAt);
    let total = all.reduce((n, [, r]) => n + r.size, 0);
    for (const [key, r] of all) {
      if (total <= this.maxBytes) break;
      if (key === keep) continue;
      await this.remove(key, r);
      total -= r.size;
    }
  }

  private async remove(key: string, r: UnknownResult): Promise<void> {
    await this.table.del(key, true);
    // Another result with the same bytes shares the blob id: its record must name that file.
    const other = (await this.table.entries()).find(([, o]) => o.blob === r.blob)?.[1];
    const blob = await this.host.blobs.get(r.blob);
    if (!other) await this.host.blobs.del(r.blob, true);
    else if (blob && blob.path === r.path)
      await this.host.blobs.put(r.blob, { ...blob, path: other.path }, true);
    await rm(r.path, { force: true });
  }
}

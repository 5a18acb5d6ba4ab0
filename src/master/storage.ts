/**
 * The master's data: course versions (archive + extracted tree + manifest, the last N kept),
 * blobs (content-addressed files handed out in pieces) and the cache of built deltas.
 * Layout under the data dir:
 *   db/                                   LevelDB: courses, blobs, deltas
 *   courses/<id>/<hash>/{archive,tree/}   one published version
 *   deltas/<from>-<to>.hcd                built known-base deltas (a blob each)
 *   work/                                 uploads, sessions, temp files
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { detectFormat, extractArchive, type Manifest } from "../archive/index.js";
import type { Store, Table } from "../store/index.js";
import { buildCourseDelta } from "../sync/build.js";
import { toOldView } from "../sync/course.js";
import { type BlobManifest, DEFAULT_PIECE_SIZE, describeBlob } from "../transfer/index.js";

export interface VersionRecord {
  contentHash: string;
  format: Manifest["format"];
  size: number;
  publishedAt: string;
  /** Blob id of the archive as published. */
  blob: string;
}

export interface CourseRecord {
  id: string;
  title: string;
  /** Newest last. */
  versions: VersionRecord[];
}

export interface BlobRecord {
  path: string;
  manifest: BlobManifest;
}

export { COURSE_ID } from "../sync/course.js";

/** hc1:<hex> → <hex>, for file names. */
export const hashDir = (contentHash: string) => contentHash.replace(/^hc1:/, "");

export class MasterStorage {
  readonly courses: Table<CourseRecord>;
  readonly blobs: Table<BlobRecord>;
  readonly deltas: Table<string>;
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    readonly dir: string,
    readonly store: Store,
    readonly keepVersions = 5,
    readonly pieceSize = DEFAULT_PIECE_SIZE,
  ) {
    this.courses = store.table("courses");
    this.blobs = store.table("blobs");
    this.deltas = store.table("deltas");
  }

  versionDir(id: string, contentHash: string): string {
    return join(this.dir, "courses", id, hashDir(contentHash));
  }

  async workPath(name: string): Promise<string> {
    await mkdir(join(this.dir, "work"), { recursive: true });
    return join(this.dir, "work", `${name}-${randomBytes(6).toString("hex")}`);
  }

  /** Serialize work per key (publishing a course, building one delta). */
  async exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.locks.set(
      key,
      next.catch(() => {}),
    );
    return next;
  }

  async registerBlob(path: string): Promise<BlobManifest> {
    const manifest = await describeBlob(path, this.pieceSize);
    await this.blobs.put(manifest.id, { path, manifest }, true);
    return manifest;
  }

  async manifestOf(id: string, contentHash: string): Promise<Manifest> {
    const m = JSON.parse(
      await readFile(join(this.versionDir(id, contentHash), "manifest.json"), "utf8"),
    ) as Manifest;
    for (const e of m.entries) e.mtime = new Date(e.mtime);
    return m;
  }

  /**
   * Publish an archive already written to `incoming` (moved, not copied). Returns the
   * version, or the existing one when the content is unchanged.
   */
  async publish(
    id: string,
    title: string | undefined,
    incoming: string,
  ): Promise<{ version: VersionRecord; unchanged: boolean }> {
    return this.exclusive(`course:${id}`, async () => {
      const format = await detectFormat(incoming);
      const tree = await this.workPath("tree");
      let manifest: Manifest;
      try {
        manifest = await extractArchive(incoming, tree, { format });
      } catch (e) {
        await rm(tree, { recursive: true, force: true });
        throw e;
      }
      const record = (await this.courses.get(id)) ?? { id, title: title ?? id, versions: [] };
      if (title) record.title = title;
      const latest = record.versions[record.versions.length - 1];
      if (latest?.contentHash === manifest.contentHash) {
        await rm(tree, { recursive: true, force: true });
        await rm(incoming, { force: true });
        await this.courses.put(id, record, true);
        return { version: latest, unchanged: true };
      }
      const dir = this.versionDir(id, manifest.contentHash);
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      await rename(tree, join(dir, "tree"));
      await rename(incoming, join(dir, "archive"));
      await writeFile(join(dir, "manifest.json"), JSON.stringify(manifest));
      const blob = await this.registerBlob(join(dir, "archive"));
      const version: VersionRecord = {
        contentHash: manifest.contentHash,
        format: manifest.format,
        size: blob.size,
        publishedAt: new Date().toISOString(),
        blob: blob.id,
      };
      record.versions = record.versions.filter((v) => v.contentHash !== version.contentHash);
      record.versions.push(version);
      const dropped = record.versions.splice(0, Math.max(0, record.versions.length - this.keepVersions));
      await this.courses.put(id, record, true);
      for (const v of dropped) await this.dropVersion(id, v);
      return { version, unchanged: false };
    });
  }

  private async dropVersion(id: string, v: VersionRecord): Promise<void> {
    await this.blobs.del(v.blob);
    for (const [key, blobId] of await this.deltas.entries()) {
      if (key.includes(hashDir(v.contentHash))) {
        const b = await this.blobs.get(blobId);
        await this.deltas.del(key);
        await this.blobs.del(blobId);
        if (b) await rm(b.path, { force: true });
      }
    }
    await rm(this.versionDir(id, v.contentHash), { recursive: true, force: true });
  }

  /** The known-base delta from one held version to another, built once and cached. */
  async knownBaseDelta(id: string, from: VersionRecord, to: VersionRecord): Promise<BlobManifest> {
    const key = `${id}/${hashDir(from.contentHash)}-${hashDir(to.contentHash)}`;
    return this.exclusive(`delta:${key}`, async () => {
      const cached = await this.deltas.get(key);
      const rec = cached ? await this.blobs.get(cached) : undefined;
      if (rec) return rec.manifest;
      const [oldM, newM] = await Promise.all([
        this.manifestOf(id, from.contentHash),
        this.manifestOf(id, to.contentHash),
      ]);
      await mkdir(join(this.dir, "deltas"), { recursive: true });
      const out = join(
        this.dir,
        "deltas",
        `${id}-${hashDir(from.contentHash).slice(0, 16)}-${hashDir(to.contentHash).slice(0, 16)}.hcd`,
      );
      await buildCourseDelta({
        next: newM,
        nextRoot: join(this.versionDir(id, to.contentHash), "tree"),
        old: toOldView(oldM, join(this.versionDir(id, from.contentHash), "tree")),
        outPath: out,
      });
      const blob = await this.registerBlob(out);
      await this.deltas.put(key, blob.id, true);
      return blob;
    });
  }
}

/**
 * The master's data: course versions (archive + extracted tree + manifest, the last N kept),
 * blobs (content-addressed files handed out in pieces) and the cache of built deltas.
 * Layout under the data dir:
 *   db/                                   LevelDB: courses, blobs, deltas
 *   courses/<id>/<hash>/{archive,tree/}   one published version
 *   deltas/<from>-<to>.hcd                built known-base deltas (a blob each)
 *   deltas/unknown-<key>.hcd              cached unknown-base deltas (see unknown-results.ts)
 *   work/                                 uploads, sessions, temp files
 * Learner records live in the same database (see records/store.ts).
 * A build reads version trees for seconds: it pins them, and a version pruned meanwhile
 * leaves the disk only when the last build reading it is done.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { detectFormat, extractArchive, type Manifest } from "../archive/index.js";
import type { Store, Table } from "../store/index.js";
import { buildCourseDelta } from "../sync/build.js";
import { toOldView } from "../sync/course.js";
import { type BlobManifest, DEFAULT_PIECE_SIZE, describeBlob } from "../transfer/index.js";
import { HttpProblem } from "./problem.js";
import { RecordStore, type RecordStoreOptions } from "./records/store.js";
import {
  DEFAULT_SESSION_LIMITS,
  type SessionLimits,
  type SessionRecord,
  UploadSessions,
} from "./sessions.js";
import { type UnknownResult, UnknownResults } from "./unknown-results.js";

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

const knownBaseKey = (id: string, from: VersionRecord, to: VersionRecord) =>
  `${id}/${hashDir(from.contentHash)}-${hashDir(to.contentHash)}`;

export interface StorageLimits {
  /** Most bytes of cached unknown-base deltas (least recently used go first). */
  unknownCacheBytes?: number;
  /** Expiry and caps of unknown-base upload sessions. */
  sessions?: Partial<SessionLimits>;
  /** When the record store refuses uploads for a while (disk nearly full, too many waiting). */
  records?: Omit<RecordStoreOptions, "dataDir">;
}

export const DEFAULT_UNKNOWN_CACHE_BYTES = 1024 ** 3;

/** A version directory some build is reading, and what to do when the last one is done. */
interface Pin {
  count: number;
  /** Pruned meanwhile: remove its files at the last release. */
  dropped?: () => Promise<void>;
  released: Promise<void>;
  release: () => void;
}

export class MasterStorage {
  readonly courses: Table<CourseRecord>;
  readonly blobs: Table<BlobRecord>;
  readonly deltas: Table<string>;
  readonly unknown: UnknownResults;
  readonly sessions: UploadSessions;
  readonly records: RecordStore;
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly pins = new Map<string, Pin>();
  private readonly running = new Set<Promise<unknown>>();
  private readonly closing = new AbortController();

  constructor(
    readonly dir: string,
    readonly store: Store,
    readonly keepVersions = 5,
    readonly pieceSize = DEFAULT_PIECE_SIZE,
    limits: StorageLimits = {},
  ) {
    this.courses = store.table("courses");
    this.blobs = store.table("blobs");
    this.deltas = store.table("deltas");
    this.unknown = new UnknownResults(
      store.table<UnknownResult>("unknown"),
      this,
      join(dir, "deltas"),
      limits.unknownCacheBytes ?? DEFAULT_UNKNOWN_CACHE_BYTES,
    );
    this.sessions = new UploadSessions(store.table<SessionRecord>("sessions"), join(dir, "work"), {
      ...DEFAULT_SESSION_LIMITS,
      ...limits.sessions,
    });
    this.records = new RecordStore(store, { ...limits.records, dataDir: dir });
  }

  /** Sweep what an earlier run left behind and start expiring upload sessions. */
  async start(): Promise<void> {
    await this.records.open();
    await this.sessions.start();
  }

  /** Aborted when the master stops: builds give up at the next entry. */
  get signal(): AbortSignal {
    return this.closing.signal;
  }

  /** Stop: abort running builds and wait until none touches the data dir any more. */
  async close(): Promise<void> {
    this.sessions.stop();
    this.closing.abort(new Error("the master is stopping"));
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /**
   * Run `fn` (a delta build) with the trees of versions `hashes` of course `id` pinned. The
   * versions must still be on record once pinned, else the caller must start again (409).
   */
  async withVersions<T>(id: string, hashes: string[], fn: () => Promise<T>): Promise<T> {
    this.signal.throwIfAborted();
    const dirs = [...new Set(hashes.map((h) => this.versionDir(id, h)))];
    for (const d of dirs) this.pin(d);
    return this.tracked(async () => {
      try {
        const kept = new Set((await this.courses.get(id))?.versions.map((v) => v.contentHash));
        if (!hashes.every((h) => kept.has(h)))
          throw new HttpProblem(409, "a newer version was published meanwhile: start the sync again");
        return await fn();
      } finally {
        for (const d of dirs) await this.unpin(d);
      }
    });
  }

  /** Run `fn` as work that close() waits for. */
  private async tracked<T>(fn: () => Promise<T>): Promise<T> {
    this.signal.throwIfAborted();
    const work = fn();
    this.running.add(work);
    try {
      return await work;
    } finally {
      this.running.delete(work);
    }
  }

  private pin(dir: string): void {
    const held = this.pins.get(dir);
    if (held) {
      held.count++;
      return;
    }
    let release = () => {};
    const released = new Promise<void>((r) => {
      release = r;
    });
    this.pins.set(dir, { count: 1, released, release });
  }

  private async unpin(dir: string): Promise<void> {
    const p = this.pins.get(dir)!;
    if (--p.count > 0) return;
    this.pins.delete(dir);
    try {
      await p.dropped?.();
    } finally {
      p.release();
    }
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
    return this.tracked(() =>
      this.exclusive(`course:${id}`, async () => {
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
        const kept = record.versions.find((v) => v.contentHash === manifest.contentHash);
        if (kept) {
          // The same content is on record already: its files stay as they are (a build may be
          // reading them); the version only becomes the newest again.
          await rm(tree, { recursive: true, force: true });
          await rm(incoming, { force: true });
          const version = { ...kept, publishedAt: new Date().toISOString() };
          record.versions = [...record.versions.filter((v) => v !== kept), version];
          await this.courses.put(id, record, true);
          await this.unknown.dropStale(id, version.contentHash);
          return { version, unchanged: false };
        }
        const dir = this.versionDir(id, manifest.contentHash);
        // Pruned earlier but still read by a build: its files go when the build is done.
        await this.pins.get(dir)?.released;
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
        record.versions.push(version);
        const dropped = record.versions.splice(0, Math.max(0, record.versions.length - this.keepVersions));
        await this.courses.put(id, record, true);
        await this.unknown.dropStale(id, version.contentHash);
        for (const v of dropped) await this.dropVersion(id, v);
        return { version, unchanged: false };
      }),
    );
  }

  /** Forget a pruned version; its files go now, or when the last build reading them is done. */
  private async dropVersion(id: string, v: VersionRecord): Promise<void> {
    const remove = () => this.removeVersion(id, v);
    const pin = this.pins.get(this.versionDir(id, v.contentHash));
    if (pin) pin.dropped = remove;
    else await remove();
  }

  private async removeVersion(id: string, v: VersionRecord): Promise<void> {
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

  /** The cached known-base delta from one version to another, if it was built already. */
  async cachedKnownBase(
    id: string,
    from: VersionRecord,
    to: VersionRecord,
  ): Promise<BlobManifest | undefined> {
    const cached = await this.deltas.get(knownBaseKey(id, from, to));
    return cached ? (await this.blobs.get(cached))?.manifest : undefined;
  }

  /**
   * In the background, build the known-base deltas from every kept version to the newest
   * one (newest first: the likeliest to be asked for), so agents find them ready.
   */
  prebuild(id: string): void {
    void (async () => {
      const record = await this.courses.get(id);
      const latest = record?.versions.at(-1);
      if (!record || !latest) return;
      for (const from of record.versions.slice(0, -1).reverse()) {
        if ((await this.courses.get(id))?.versions.at(-1)?.contentHash !== latest.contentHash) return;
        await this.knownBaseDelta(id, from, latest);
      }
    })().catch(() => {
      // Stopped, pruned or superseded meanwhile: a request builds what it needs itself.
    });
  }

  /** The known-base delta from one held version to another, built once and cached. */
  async knownBaseDelta(id: string, from: VersionRecord, to: VersionRecord): Promise<BlobManifest> {
    const key = knownBaseKey(id, from, to);
    return this.withVersions(id, [from.contentHash, to.contentHash], () =>
      this.exclusive(`delta:${key}`, async () => {
        const cached = await this.cachedKnownBase(id, from, to);
        if (cached) return cached;
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
          signal: this.signal,
        });
        const blob = await this.registerBlob(out);
        await this.deltas.put(key, blob.id, true);
        return blob;
      }),
    );
  }
}

/**
 * The agent's installed courses. A version lives in courses/<id>/<hash>/: the extracted
 * tree/ (what the hotspot serves) and its manifest (every entry's size and SHA-256,
 * computed once when the version was installed); the `installed` record in LevelDB names
 * the current one. A whole archive installs as a new directory, switched in by replacing
 * that record (a durable put): a crash before it serves the old version, after it the new
 * one. A delta changes the installed tree in place behind a journal (switch.ts), finished
 * when the library opens after a crash. Installed files are never written to: a changed
 * file is a new file renamed over the old. The archive a laptop downloads is made from the
 * tree when first asked for (courseArchive).
 */
import { readdir, readFile, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { z } from "zod";
import type { ArchiveFormat, Manifest } from "../archive/index.js";
import { Store, type Table } from "../store/index.js";
import { COURSE_ID } from "../sync/course.js";
import { courseInfoSchema } from "../sync/plan.js";
import { writeFileAtomic } from "../util/files.js";
import { describeIssues } from "../util/issues.js";
import { finishSwitches } from "./switch.js";
import { RECORD_FILE, readVersionManifest } from "./version-files.js";

export { MANIFEST_FILE, manifestBytes, RECORD_FILE } from "./version-files.js";

export interface InstalledCourse {
  id: string;
  title: string;
  contentHash: string;
  format: ArchiveFormat;
  /** Where the download archive is kept once made (see courseArchive); may not exist yet. */
  archivePath: string;
  /** Extracted tree of the version: the installed form. */
  treePath: string;
  /** Bytes of content (all file entries). */
  size: number;
  publishedAt: string;
  installedAt: string;
}

/** A record as read back: one written by an older or damaged agent must not stop the others. */
const installedSchema = courseInfoSchema.extend({
  id: z.string().regex(COURSE_ID),
  archivePath: z.string(),
  treePath: z.string(),
  size: z.number().int().min(0),
  installedAt: z.string(),
});

export const archiveExt = (f: ArchiveFormat) => (f === "zip" ? "zip" : f === "tar" ? "tar" : "tar.gz");

export class CourseLibrary {
  readonly installed: Table<InstalledCourse>;

  private constructor(
    readonly dataDir: string,
    readonly store: Store,
    private readonly warn: (message: string) => void,
  ) {
    this.installed = store.table("installed");
  }

  /**
   * The library as recorded beside each version (RECORD_FILE), for when the database cannot
   * open (a full disk): per course the newest whole version found. Nothing is written.
   */
  static async fromDisk(dataDir: string, warn: (message: string) => void): Promise<CourseLibrary> {
    const lib = new CourseLibrary(dataDir, Store.inMemory(), warn);
    await finishSwitches(lib, warn);
    const root = join(dataDir, "courses");
    for (const id of await readdir(root).catch(() => [])) {
      for (const version of await readdir(join(root, id)).catch(() => [])) {
        const text = await readFile(join(root, id, version, RECORD_FILE), "utf8").catch(() => undefined);
        if (text === undefined) continue;
        let record: InstalledCourse | undefined;
        try {
          record = lib.checked(id, JSON.parse(text));
        } catch {
          warn(`${join(root, id, version, RECORD_FILE)} is not JSON; skipped`);
        }
        const held = await lib.get(id);
        if (
          record &&
          record.contentHash.slice(4) === version &&
          (!held || held.installedAt < record.installedAt)
        )
          await lib.installed.put(id, record);
      }
    }
    return lib;
  }

  /** Write the record file of versions installed before records were kept beside them. */
  async keepRecordFiles(): Promise<void> {
    for (const c of await this.list()) {
      const file = join(this.versionDir(c.id, c.contentHash), RECORD_FILE);
      if (!(await stat(file).catch(() => null)))
        await writeFileAtomic(file, [Buffer.from(JSON.stringify(c))]);
    }
  }

  /** `warn` hears of records that are skipped because they are damaged. A switch a crash cut short is finished. */
  static async open(
    dataDir: string,
    store?: Store,
    warn: (message: string) => void = (m) => process.emitWarning(m),
  ): Promise<CourseLibrary> {
    const lib = new CourseLibrary(dataDir, store ?? (await Store.open(join(dataDir, "db"))), warn);
    await finishSwitches(lib, warn);
    return lib;
  }

  courseDir(id: string): string {
    if (!COURSE_ID.test(id)) throw new Error(`invalid course id ${JSON.stringify(id)}`);
    return join(this.dataDir, "courses", id);
  }

  versionDir(id: string, contentHash: string): string {
    if (!/^hc1:[0-9a-f]{64}$/.test(contentHash))
      throw new Error(`invalid content hash ${JSON.stringify(contentHash)}`);
    return join(this.courseDir(id), contentHash.slice(4));
  }

  async list(): Promise<InstalledCourse[]> {
    return (await this.installed.entries())
      .map(([key, c]) => this.checked(key, c))
      .filter((c) => c !== undefined)
      .sort((a, b) => a.title.localeCompare(b.title));
  }

  /** The installed version of a course; a damaged record counts as none (the next sync replaces it). */
  async get(id: string): Promise<InstalledCourse | undefined> {
    const c = await this.installed.get(id);
    return c === undefined ? undefined : this.checked(id, c);
  }

  private checked(key: string, record: unknown): InstalledCourse | undefined {
    const r = installedSchema.safeParse(record);
    if (r.success && r.data.id === key) return this.located(r.data);
    const why = r.success ? `it names course ${r.data.id}` : describeIssues(r.error, "(record)");
    this.warn(`installed course ${JSON.stringify(key)} skipped: its record is damaged (${why})`);
    return undefined;
  }

  /** Paths follow the data dir, so a data dir moved or restored elsewhere still works. */
  private located(c: InstalledCourse): InstalledCourse {
    const dir = this.versionDir(c.id, c.contentHash);
    return { ...c, archivePath: join(dir, `course.${archiveExt(c.format)}`), treePath: join(dir, "tree") };
  }

  async manifest(c: InstalledCourse): Promise<Manifest> {
    return readVersionManifest(this.versionDir(c.id, c.contentHash));
  }

  /** Remove version directories that are not the installed one (left by a switch or a crash). */
  async sweep(id: string): Promise<void> {
    const current = await this.get(id);
    let names: string[] = [];
    try {
      names = await readdir(this.courseDir(id));
    } catch {
      return;
    }
    for (const n of names) {
      if (!current || join(this.courseDir(id), n) !== this.versionDir(id, current.contentHash)) {
        await rm(join(this.courseDir(id), n), { recursive: true, force: true });
      }
    }
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

/** Bytes of content of a version: what the course list shows as its size. */
export const contentBytes = (m: Manifest): number =>
  m.entries.reduce((sum, e) => sum + (e.type === "file" ? e.size : 0), 0);

const building = new Map<string, Promise<string>>();

/**
 * The course archive to send to a laptop: the file kept at `archivePath` (the archive a full
 * download brought, or one made earlier), else made now from the installed tree in the
 * course's format and kept for the next request (Range resumes need the same bytes). Every
 * file's SHA-256 is checked against the manifest while it streams into the archive, so a
 * damaged tree fails here instead of going out. One build per version at a time.
 */
export async function courseArchive(
  c: Pick<InstalledCourse, "archivePath" | "treePath" | "format">,
): Promise<string> {
  if (await stat(c.archivePath).catch(() => null)) return c.archivePath;
  let pending = building.get(c.archivePath);
  if (!pending) {
    pending = (async () => {
      // The archive writers load only when a laptop asks: the idle agent does not hold them.
      const { directorySource, writeArchive } = await import("../archive/index.js");
      const m = await readVersionManifest(dirname(c.treePath));
      await writeArchive(c.archivePath, c.format, m.entries, directorySource(c.treePath));
      return c.archivePath;
    })().finally(() => building.delete(c.archivePath));
    building.set(c.archivePath, pending);
  }
  return pending;
}

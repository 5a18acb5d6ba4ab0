// The courses the hotspot serves, as the agent sees them between syncs.
import { dirname, join } from "node:path";
import type { CourseSource, ServedCourse } from "../hotspot/app.js";
import { Store } from "../store/index.js";
import { archiveExt, CourseLibrary, courseArchive } from "./library.js";
import type { SyncEvent } from "./sync.js";

/**
 * The courses the hotspot serves, read from the sync client's library. The library's
 * LevelDB (DIR/db) is opened only between syncs, because syncAll opens it itself; the
 * list changes only through a sync, so a copy refreshed after each one is exact.
 */
export class LibraryView implements CourseSource {
  private courses = new Map<string, ServedCourse>();

  constructor(
    private readonly dataDir: string,
    private readonly warn: (message: string) => void = () => {},
    private readonly reserve?: Parameters<typeof Store.open>[1],
  ) {}

  /** Why the course database could not open at the last refresh (courses then come from disk). */
  unavailable: string | undefined;

  async refresh(): Promise<void> {
    let lib: CourseLibrary;
    try {
      lib = await CourseLibrary.open(
        this.dataDir,
        await Store.open(join(this.dataDir, "db"), this.reserve),
        this.warn,
      );
      this.unavailable = undefined;
      await lib.keepRecordFiles().catch((err: Error) => this.warn(`course record files: ${err.message}`));
    } catch (err) {
      // The hotspot keeps serving: the versions on disk carry their own records.
      this.unavailable = (err as Error).message;
      lib = await CourseLibrary.fromDisk(this.dataDir, this.warn);
    }
    try {
      const list = await lib.list();
      this.courses = new Map(list.map((c) => [c.id, c]));
    } finally {
      await lib.close();
    }
  }

  /** A course switched during a sync: serve the new version at once (its old files are being removed). */
  async switched(e: Extract<SyncEvent, { type: "course-done" }>): Promise<void> {
    const old = this.courses.get(e.course);
    if (!old) return; // a new course appears at the refresh after the cycle
    this.courses.set(e.course, {
      ...old,
      contentHash: e.contentHash,
      format: e.format,
      archivePath: join(dirname(e.path), `course.${archiveExt(e.format)}`),
      treePath: e.path,
      size: e.size,
      installedAt: new Date().toISOString(),
    });
  }

  async list(): Promise<ServedCourse[]> {
    return [...this.courses.values()].sort((a, b) => a.title.localeCompare(b.title));
  }

  async get(id: string): Promise<ServedCourse | undefined> {
    return this.courses.get(id);
  }

  archive(course: ServedCourse): Promise<string> {
    return courseArchive(course);
  }
}

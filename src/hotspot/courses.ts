// Finding a course for a request, and opening it with its reader once per installed version.
// File references in the course's HTML become this server's URLs: /c/<course>/file/<key>, and
// links between a course's own pages become /c/<course>/a/<activity>.
import { openCourse, ReaderError, readerFor } from "../readers/index.js";
import type { MoodleCourse } from "../readers/moodle/model.js";
import type { Course } from "../readers/types.js";
import { promiseCache } from "../util/promise-cache.js";
import { hotspotError } from "./errors.js";
import type { CourseSource, ServedCourse } from "./types.js";

export interface CourseAccess {
  /** The installed course, or HttpError 404. */
  get(id: string): Promise<ServedCourse>;
  /** The course as its reader sees it (cached per version); null when no reader knows it; 422 when broken. */
  read(course: ServedCourse): Promise<Course | null>;
  /** The course when it is a Moodle backup (read as above), else null. */
  moodle(course: ServedCourse): Promise<MoodleCourse | null>;
  /** The course as one archive file, for the download route. */
  archive(course: ServedCourse): Promise<string>;
}

/** The URL a file key is served under. Keys are paths: each segment is encoded. */
/**
 * The extension of a course's download: what the platform it goes back to imports (Moodle
 * restores .mbz, zip or tar.gz inside; LMSs import .imscc cartridges and .h5p packages); other
 * archives keep their own format's. `readerFormat` is the reader's name, when one reads it.
 */
export function downloadExtension(readerFormat: string | undefined, archive: ServedCourse["format"]): string {
  if (readerFormat === "moodle") return "mbz";
  if (readerFormat === "imscc" || readerFormat === "h5p") return readerFormat;
  return archive;
}

export function courseFileUrl(courseId: string, key: string): string {
  return `/c/${encodeURIComponent(courseId)}/file/${key.split("/").map(encodeURIComponent).join("/")}`;
}

async function readCourse(course: ServedCourse): Promise<Course | null> {
  if (!(await readerFor(course.treePath))) return null;
  try {
    return await openCourse(course.treePath, {
      fileUrl: (key) => courseFileUrl(course.id, key),
      activityUrl: (id) => `/c/${encodeURIComponent(course.id)}/a/${encodeURIComponent(id)}`,
    });
  } catch (err) {
    if (!(err instanceof ReaderError)) throw err;
    // A broken backup is still downloadable: say so instead of a bare 500.
    throw hotspotError(422, "error.cannotShowBackup", { reason: err.message });
  }
}

/** One activity of a course; a reader's refusal is a 404 (no such id) or a 422 (its files are unusable). */
export async function courseActivity<A>(course: Course<A>, id: string): Promise<A> {
  try {
    return await course.activity(id);
  } catch (err) {
    if (!(err instanceof ReaderError)) throw err;
    if (err.code === "not-found") throw hotspotError(404, "error.noSuchActivity");
    // The activity is there but its files are not usable: say which, never show them.
    throw hotspotError(422, "error.cannotShowActivity", { reason: err.message });
  }
}

export function courseAccess(source: CourseSource): CourseAccess {
  const opened = promiseCache<Course | null>(8);
  const access: CourseAccess = {
    async get(id) {
      const c = await source.get(id);
      if (!c) throw hotspotError(404, "error.noSuchCourse");
      return c;
    },
    archive: (course) => source.archive(course),
    read(course) {
      return opened(`${course.id}\0${course.contentHash}\0${course.treePath}`, () => readCourse(course));
    },
    async moodle(course) {
      const read = await access.read(course);
      return read?.format === "moodle" ? (read as MoodleCourse) : null;
    },
  };
  return access;
}

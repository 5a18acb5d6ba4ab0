// Finding a course for a request, and reading a Moodle course's structure once per version.
import { isMoodleBackup, MoodleBackupError, type MoodleCourse, readMoodleCourse } from "../agent/moodle.js";
import { HttpError } from "../http/errors.js";
import type { CourseSource, ServedCourse } from "./types.js";

export interface CourseAccess {
  /** The installed course, or HttpError 404. */
  get(id: string): Promise<ServedCourse>;
  /** Its Moodle structure (cached per version), null when it is not a Moodle backup; 422 when broken. */
  moodle(course: ServedCourse): Promise<MoodleCourse | null>;
}

export function courseAccess(source: CourseSource): CourseAccess {
  const cache = new Map<string, Promise<MoodleCourse | null>>();
  const readMoodle = async (course: ServedCourse): Promise<MoodleCourse | null> => {
    if (!(await isMoodleBackup(course.treePath))) return null;
    try {
      return await readMoodleCourse(course.treePath);
    } catch (err) {
      if (!(err instanceof MoodleBackupError)) throw err;
      // A broken backup is still downloadable: say so instead of a bare 500.
      throw new HttpError(422, `This course backup cannot be shown (${err.message}). Use Download instead.`);
    }
  };
  return {
    async get(id) {
      const c = await source.get(id);
      if (!c) throw new HttpError(404, "No such course.");
      return c;
    },
    moodle(course) {
      const key = `${course.id}\0${course.contentHash}\0${course.treePath}`;
      let hit = cache.get(key);
      if (!hit) {
        hit = readMoodle(course);
        hit.catch(() => cache.delete(key));
        if (cache.size >= 32) cache.delete(cache.keys().next().value as string);
        cache.set(key, hit);
      }
      return hit;
    },
  };
}

// The SCORM package behind an activity, wherever the course keeps it: a package course is the
// package itself; a Moodle backup's mod_scorm holds it as a zip, unpacked once into the cache.
import type { Course } from "../../readers/index.js";
import { ReaderError } from "../../readers/index.js";
import type { MoodleActivity } from "../../readers/moodle/model.js";
import type { ScormActivity } from "../../readers/scorm/index.js";
import { readScormPackage, type ScormPackage, unpackPackage } from "../../readers/scorm/index.js";
import { promiseCache } from "../../util/promise-cache.js";

export interface OpenedPackage {
  activity: { id: string; name: string; introHtml: string };
  pkg: ScormPackage;
  /** Absolute directory the package's files are served from. */
  root: string;
}

/** Manifests read once per unpacked directory. */
const manifests = promiseCache<ScormPackage>(64);

/** The package of a SCORM activity; a ReaderError when it is not one or cannot be opened. */
export async function scormPackageOf(
  course: Course,
  activityId: string,
  cacheDir: string,
): Promise<OpenedPackage> {
  const a = (await course.activity(activityId)) as ScormActivity | MoodleActivity;
  if (a.type !== "scorm") throw new ReaderError("not-found", "", `${activityId} is not a SCORM activity`);
  if ("root" in a)
    return { activity: { id: a.id, name: a.name, introHtml: "" }, pkg: a.package, root: a.root };
  if (!a.package)
    throw new ReaderError("missing-file", "files.xml", "the SCORM activity has no package file");
  const zip = await course.resolveFile(a.package.key);
  const root = await unpackPackage(zip.path, cacheDir, zip.filename);
  return {
    activity: { id: a.id, name: a.name, introHtml: a.introHtml },
    pkg: await manifests(root, () => readScormPackage(root)),
    root,
  };
}

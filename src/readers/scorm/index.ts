// The SCORM reader: a package (SCORM 1.2 or 2004, imsmanifest.xml at the root of the tree) as a
// course of one activity, the package, whose table of contents is the manifest's organization.
// A Moodle backup's mod_scorm holds the same package as a zip: unpack.ts makes a tree of it.
import { readFile } from "node:fs/promises";
import { ReaderError } from "../errors.js";
import { CourseTree } from "../tree.js";
import type { ActivitySummary, Course, CourseReader } from "../types.js";
import { isScormManifest, MANIFEST, readScormPackage, type ScormPackage } from "./manifest.js";

/** The one activity of a SCORM course: the package, and the tree its files are served from. */
export interface ScormActivity extends ActivitySummary {
  type: "scorm";
  package: ScormPackage;
  /** Absolute directory holding imsmanifest.xml. */
  root: string;
}

/** The activity id of a package course (there is one activity: the package). */
export const PACKAGE_ACTIVITY_ID = "package";

async function detect(tree: string): Promise<boolean> {
  try {
    const { path, size } = await new CourseTree(tree).file(MANIFEST);
    return size < 8 * 1024 * 1024 && isScormManifest(await readFile(path, "utf8"));
  } catch {
    return false;
  }
}

async function open(tree: string): Promise<Course<ScormActivity>> {
  const root = (await new CourseTree(tree).file(MANIFEST)).path.slice(0, -MANIFEST.length - 1);
  const pkg = await readScormPackage(root);
  const summary: ActivitySummary = {
    id: PACKAGE_ACTIVITY_ID,
    type: "scorm",
    name: pkg.title || "SCORM",
    visible: true,
    sectionId: PACKAGE_ACTIVITY_ID,
  };
  return {
    format: "scorm",
    title: pkg.title,
    sections: [
      {
        id: PACKAGE_ACTIVITY_ID,
        name: pkg.title,
        summaryHtml: "",
        visible: true,
        items: [{ kind: "activity", activity: summary }],
      },
    ],
    activities: [summary],
    problems: pkg.problems.map((p) => ({ ...p, activityId: PACKAGE_ACTIVITY_ID })),
    activity: async (id) => {
      if (id !== PACKAGE_ACTIVITY_ID)
        throw new ReaderError("not-found", MANIFEST, `no activity ${JSON.stringify(id)}`);
      return { ...summary, type: "scorm", package: pkg, root };
    },
    resolveFile: async (key) => {
      const { path, size } = await new CourseTree(root).file(key);
      return { path, size, filename: key.split("/").pop()!, mimetype: "application/octet-stream" };
    },
  };
}

export const scormReader: CourseReader<ScormActivity> = { format: "scorm", detect, open };

export {
  readScormPackage,
  type ScormPackage,
  type ScormSco,
  type ScormTocItem,
  type ScormVersion,
} from "./manifest.js";
export { unpackPackage } from "./unpack.js";

// The H5P reader: an unzipped .h5p package as a course of one activity, the content itself. The
// course page shows the package's title and that activity; a player (the hotspot's) runs it.

import { ReaderError } from "../errors.js";
import { CourseTree } from "../tree.js";
import type { ActivitySummary, Course, CourseReader, OpenOptions } from "../types.js";
import { type H5pPackage, readH5pPackage } from "./package.js";

/** The one activity of an H5P course; its id never changes, so bookmarks survive updates. */
export const H5P_ACTIVITY_ID = "content";
const SECTION_ID = "h5p";

export interface H5pActivity extends ActivitySummary {
  type: "h5p";
  introHtml: string;
  /** The checked package. */
  package: H5pPackage;
  /** Absolute path of the package's root (the folder holding h5p.json). */
  root: string;
}

export type H5pCourse = Course<H5pActivity>;

async function openH5pCourse(root: string, _options: OpenOptions = {}): Promise<H5pCourse> {
  const tree = new CourseTree(root);
  const pkg = await readH5pPackage(tree);
  const summary: ActivitySummary = {
    id: H5P_ACTIVITY_ID,
    type: "h5p",
    name: pkg.title,
    visible: true,
    sectionId: SECTION_ID,
  };
  const rootReal = (await tree.file("h5p.json")).path.replace(/\/h5p\.json$/, "");
  return {
    format: "h5p",
    title: pkg.title,
    sections: [
      {
        id: SECTION_ID,
        name: pkg.title,
        summaryHtml: "",
        visible: true,
        items: [{ kind: "activity", activity: summary }],
      },
    ],
    activities: [summary],
    problems: [],
    activity: async (id) => {
      if (id !== H5P_ACTIVITY_ID)
        throw new ReaderError("not-found", "h5p.json", `no activity ${JSON.stringify(id)}`);
      return { ...summary, type: "h5p", introHtml: "", package: pkg, root: rootReal };
    },
    resolveFile: async (key) => {
      const { path, size } = await tree.file(key);
      return { path, size, filename: key.split("/").pop()!, mimetype: "application/octet-stream" };
    },
  };
}

export const h5pReader: CourseReader<H5pActivity> & { open: typeof openH5pCourse } = {
  format: "h5p",
  detect: async (tree) => {
    const t = new CourseTree(tree);
    return (await t.exists("h5p.json")) && (await t.exists("content/content.json"));
  },
  open: openH5pCourse,
};

export { extractH5p } from "./extract.js";
export { type H5pLibraryRef, type H5pPackage, h5pJsonSchema, readH5pPackage } from "./package.js";

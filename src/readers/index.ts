// Course readers: one folder per format behind one interface (types.ts). An installed course tree
// in, sections, activities and files out; nothing here knows of HTTP. A new format is a new folder
// and one line in READERS.
import { ReaderError } from "./errors.js";
import { h5pReader } from "./h5p/index.js";
import { imsccReader } from "./imscc/index.js";
import { imscpReader } from "./imscp/index.js";
import { moodleReader } from "./moodle/index.js";
import { scormReader } from "./scorm/index.js";
import type { Course, CourseReader, OpenOptions } from "./types.js";

/** Tried in order; the first whose `detect` accepts the tree reads it. */
export const READERS: CourseReader[] = [moodleReader, h5pReader, scormReader, imsccReader, imscpReader];

/** The reader for a tree, chosen by its content, or null when no reader knows it. */
export async function readerFor(tree: string): Promise<CourseReader | null> {
  for (const reader of READERS) if (await reader.detect(tree)) return reader;
  return null;
}

/** Open an installed course with the reader that knows its format. */
export async function openCourse(tree: string, options: OpenOptions = {}): Promise<Course> {
  const reader = await readerFor(tree);
  if (!reader)
    throw new ReaderError("unsupported", "", `${tree} is not a course format this server can read`);
  return reader.open(tree, options);
}

export { ReaderError, type ReaderErrorCode } from "./errors.js";
export { extractH5p, type H5pActivity, type H5pCourse, h5pReader } from "./h5p/index.js";
export { imsccReader } from "./imscc/index.js";
export { imscpReader } from "./imscp/index.js";
export { renderMaths, texToMathml } from "./maths.js";
export { moodleReader } from "./moodle/index.js";
export type * from "./types.js";

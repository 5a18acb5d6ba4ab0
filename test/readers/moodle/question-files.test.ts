// Files a quiz question links: the quiz engine names their area without the context (it belongs
// to the question bank), and the course finds them among the backup's files whatever context.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openCourse } from "../../../src/readers/index.js";
import type { MoodleCourse } from "../../../src/readers/moodle/model.js";

const HASH = "a".repeat(40);
const file = (id: number, itemid: string, name: string) =>
  `<file id="${id}"><contenthash>${HASH}</contenthash><contextid>99</contextid><component>question</component><filearea>questiontext</filearea><itemid>${itemid}</itemid><filepath>/</filepath><filename>${name}</filename><filesize>4</filesize><mimetype>image/png</mimetype></file>`;

describe("question files", () => {
  let tree: string;
  let course: MoodleCourse;

  beforeAll(async () => {
    tree = await mkdtemp(join(tmpdir(), "hc-qfiles-"));
    await writeFile(
      join(tree, "moodle_backup.xml"),
      `<?xml version="1.0"?><moodle_backup><information><original_course_fullname>Q</original_course_fullname><contents><activities></activities><sections></sections></contents></information></moodle_backup>`,
    );
    await writeFile(
      join(tree, "files.xml"),
      `<?xml version="1.0"?><files>${file(1, "7", "diagram.png")}${file(2, "8", "my map.png")}</files>`,
    );
    await mkdir(join(tree, "files", "aa"), { recursive: true });
    await writeFile(join(tree, "files", "aa", HASH), "png!");
    course = (await openCourse(tree, { fileUrl: (key) => `/f/${key}` })) as MoodleCourse;
  });

  afterAll(() => rm(tree, { recursive: true, force: true }));

  it("finds a question's file by area, item and path, in any context", () => {
    const area = { component: "question", filearea: "questiontext", itemid: "7" };
    expect(course.questionFileUrl(area, "/diagram.png")).toBe("/f/99/question/questiontext/7/diagram.png");
    expect(course.questionFileUrl({ ...area, itemid: "8" }, "/my%20map.png")).toBe(
      "/f/99/question/questiontext/8/my map.png",
    );
  });

  it("is null for another item, a missing name or a broken escape", () => {
    const area = { component: "question", filearea: "questiontext", itemid: "8" };
    expect(course.questionFileUrl(area, "/diagram.png")).toBeNull();
    expect(course.questionFileUrl({ ...area, itemid: "7" }, "/nope.png")).toBeNull();
    expect(course.questionFileUrl(area, "/%E0%A4%A.png")).toBeNull();
  });
});

// The viewer's reading of Moodle backups: a generated course read back exactly, and
// hostile or broken XML (path tricks, entity bombs, malformed documents) handled safely.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MoodleBackupError, readActivity, readMoodleCourse, safeRelative } from "../../src/agent/moodle.js";
import { extractArchive } from "../../src/archive/index.js";
import { fullCourse, generateCourse, writeCourse } from "../../src/demo/sample-course.js";
import { tempDir } from "./helpers.js";

let dir: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  dir = await tempDir("hc-moodle-");
});
afterAll(() => dir.remove());

async function tree(name: string, files: Record<string, string>): Promise<string> {
  const root = join(dir.path, name);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

const backup = (activities: string, sections: string) =>
  `<?xml version="1.0"?><moodle_backup><information><original_course_fullname>T &amp; C</original_course_fullname>` +
  `<backup_date>1700000000</backup_date><contents><activities>${activities}</activities><sections>${sections}</sections></contents></information></moodle_backup>`;

describe("readMoodleCourse", () => {
  it("reads a generated backup back: sections in order, activities, files with real names", async () => {
    const spec = fullCourse({ scale: 0.01 });
    const mbz = join(dir.path, "c.mbz");
    await writeCourse(generateCourse(spec), "zip", mbz);
    const root = join(dir.path, "c");
    await extractArchive(mbz, root);
    const course = await readMoodleCourse(root);
    expect(course.fullname).toBe(spec.fullname);
    expect(course.backupDate?.getTime()).toBe(spec.exportTime * 1000);
    expect(course.sections.map((s) => s.title)).toEqual(spec.sections.map((s) => s.name));
    expect(course.sections.map((s) => s.activities.map((a) => a.title))).toEqual(
      spec.sections.map((s) => s.activities.map((a) => a.name)),
    );
    const media = spec.sections.flatMap((s) => s.activities.flatMap((a) => a.media));
    expect([...course.files.values()].map((f) => f.filename).sort()).toEqual(
      media.map((m) => m.filename).sort(),
    );
    // Each activity lists exactly its own files.
    const withMedia = spec.sections[3]!.activities.find((a) => a.name === "Field guide")!;
    const activity = course.sections[3]!.activities.find((a) => a.title === "Field guide")!;
    const content = await readActivity(root, course, activity);
    expect(content.files.map((f) => f.filename)).toEqual(withMedia.media.map((m) => m.filename));
    expect(content.files.map((f) => f.mimetype)).toEqual(withMedia.media.map((m) => m.mimetype));
  });

  it("follows the section's own sequence and number, not the backup's listing order", async () => {
    const root = await tree("order", {
      "moodle_backup.xml": backup(
        "<activity><moduleid>1</moduleid><sectionid>10</sectionid><modulename>page</modulename><title>A</title><directory>activities/page_1</directory></activity>" +
          "<activity><moduleid>2</moduleid><sectionid>10</sectionid><modulename>page</modulename><title>B</title><directory>activities/page_2</directory></activity>",
        "<section><sectionid>11</sectionid><title>Second</title><directory>sections/section_11</directory></section>" +
          "<section><sectionid>10</sectionid><title>First</title><directory>sections/section_10</directory></section>",
      ),
      "sections/section_10/section.xml":
        "<section id='10'><number>0</number><name>Start here</name><sequence>2,1</sequence></section>",
      "sections/section_11/section.xml":
        "<section id='11'><number>1</number><name></name><sequence></sequence></section>",
    });
    const course = await readMoodleCourse(root);
    expect(course.fullname).toBe("T & C");
    expect(course.sections.map((s) => s.title)).toEqual(["Start here", "Second"]);
    expect(course.sections[0]!.activities.map((a) => a.title)).toEqual(["B", "A"]);
  });

  it("drops activities whose directory or names try to leave the tree", async () => {
    const bad = [
      ["../../etc", "page"],
      ["/etc", "page"],
      ["activities/../../x", "page"],
      ["activities/ok_3", "pa/ge"],
    ];
    const root = await tree("paths", {
      "moodle_backup.xml": backup(
        bad
          .map(
            ([d, m], i) =>
              `<activity><moduleid>${i + 1}</moduleid><sectionid>10</sectionid><modulename>${m}</modulename><title>t${i}</title><directory>${d}</directory></activity>`,
          )
          .join("") +
          "<activity><moduleid>9</moduleid><sectionid>10</sectionid><modulename>page</modulename><title>good</title><directory>activities/page_9</directory></activity>",
        "<section><sectionid>10</sectionid><title>S</title><directory>../../sections</directory></section>",
      ),
      "files.xml":
        "<files><file id='1'><contenthash>../../../../etc/passwd</contenthash><filename>x</filename></file>" +
        "<file id='2'><contenthash>da39a3ee5e6b4b0d3255bfef95601890afd80709</contenthash><filename>.</filename></file>" +
        "<file id='3'><contenthash>DA39A3EE5E6B4B0D3255BFEF95601890AFD80709</contenthash><filename>ok.txt</filename><mimetype>text/plain</mimetype></file></files>",
    });
    const course = await readMoodleCourse(root);
    expect(course.sections[0]!.activities.map((a) => a.title)).toEqual(["good"]);
    expect([...course.files.keys()]).toEqual(["3"]);
    expect(course.files.get("3")!.contenthash).toBe("da39a3ee5e6b4b0d3255bfef95601890afd80709");
    for (const p of ["..", "a/../b", "/abs", "a//b", "a\\b", "a/./b", ""]) expect(safeRelative(p)).toBeNull();
    expect(safeRelative("activities/page_1")).toBe("activities/page_1");
  });

  it("refuses broken XML with a clear error and survives an entity bomb", async () => {
    const broken = await tree("broken", { "moodle_backup.xml": "<moodle_backup><information>" });
    await expect(readMoodleCourse(broken)).rejects.toThrow(MoodleBackupError);
    await expect(readMoodleCourse(broken)).rejects.toThrow(/moodle_backup\.xml is not well-formed XML/);
    await expect(readMoodleCourse(join(dir.path, "nothing"))).rejects.toThrow(
      /moodle_backup\.xml is missing/,
    );

    const lol = [
      '<!ENTITY a "aaaaaaaaaa">',
      ...Array.from(
        { length: 8 },
        (_, i) =>
          `<!ENTITY ${String.fromCharCode(98 + i)} "${`&${String.fromCharCode(97 + i)};`.repeat(10)}">`,
      ),
    ].join("");
    const bomb = await tree("bomb", {
      "moodle_backup.xml": `<?xml version="1.0"?><!DOCTYPE m [${lol}]><moodle_backup><information><original_course_fullname>&i;</original_course_fullname></information></moodle_backup>`,
    });
    // Either refused, or expanded within the parser's limits — never a billion characters.
    const result = await readMoodleCourse(bomb).then(
      (c) => c.fullname.length,
      (e: Error) => e,
    );
    if (typeof result === "number") expect(result).toBeLessThan(200_000);
    else expect(result).toBeInstanceOf(MoodleBackupError);
  });
});

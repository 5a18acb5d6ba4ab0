// The Moodle reader on hand-made backup trees: hostile links and XML, broken parts that must not
// take the rest of the course down, visibility, embedded files, and what no real backup in the
// corpus has (other Moodle versions' section names, IMS content packages, subsections).
import { mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ReaderError } from "../../../src/readers/errors.js";
import { moodleReader, openCourse } from "../../../src/readers/index.js";
import {
  type MoodleActivity,
  type MoodleCourse,
  openMoodleCourse,
} from "../../../src/readers/moodle/index.js";
import type { Course } from "../../../src/readers/types.js";
import {
  activityOf,
  activityXml,
  backupXml,
  filesXml,
  moduleXml,
  sectionsBackup,
  sectionXml,
  withWorkspace,
} from "./helpers.js";

const HASH_A = "a".repeat(40);
const HASH_B = "b".repeat(40);

/** A course of pages in one section: every page id listed, each with module.xml and page.xml. */
function pages(ids: string[], extra: Record<string, string> = {}): Record<string, string> {
  const files: Record<string, string> = {
    "moodle_backup.xml": backupXml({
      sections: [{ id: "10" }],
      activities: ids.map((id) => ({ id, section: "10", type: "page", title: `Page ${id}` })),
    }),
    "sections/section_10/section.xml": sectionXml("10", 0, "$@NULL@$", ids.join(",")),
  };
  for (const id of ids) {
    files[`activities/page_${id}/module.xml`] = moduleXml("page");
    files[`activities/page_${id}/page.xml`] = activityXml(
      "page",
      "60",
      `<name>Page ${id}</name><content>text ${id}</content><contentformat>1</contentformat>`,
    );
  }
  return { ...files, ...extra };
}

/** A file of the fixture page's context (60, mod_page). */
function pageFile(id: string, hash: string, filearea: string, filename: string, more: object = {}) {
  return { id, hash, contextid: "60", component: "mod_page", filearea, filename, ...more };
}

async function rejection(p: Promise<unknown>): Promise<ReaderError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ReaderError);
  return err as ReaderError;
}

describe("Moodle reader on hostile and broken trees", () => {
  const workspace = withWorkspace();

  it("refuses a file whose bytes are a symlink out of the tree", async () => {
    const outside = join(workspace().path, "secret.txt");
    await writeFile(outside, "not course content");
    const root = await workspace().tree("escape-file", {
      ...pages(["1"]),
      "files.xml": filesXml([pageFile("1", HASH_A, "content", "a.png")]),
    });
    await mkdir(join(root, "files/aa"), { recursive: true });
    await symlink(outside, join(root, `files/aa/${HASH_A}`));
    const course = await openCourse(root);
    const err = await rejection(course.resolveFile("60/mod_page/content/0/a.png"));
    expect([err.code, err.message]).toEqual([
      "unsafe-path",
      `files/aa/${HASH_A}: resolves outside the course`,
    ]);
  });

  it("refuses activity XML that is a symlink out of the tree, and still lists the others", async () => {
    const outside = join(workspace().path, "evil-page.xml");
    await writeFile(outside, activityXml("page", "60", "<name>Evil</name><content>outside</content>"));
    const root = await workspace().tree("escape-xml", pages(["1", "2"]));
    const target = join(root, "activities/page_2/page.xml");
    await rm(target);
    await symlink(outside, target);
    const course = await openCourse(root);
    expect(course.sections[0]!.items.map((i) => (i.kind === "activity" ? i.activity.id : i.id))).toEqual([
      "page_1",
      "page_2",
    ]);
    const err = await rejection(course.activity("page_2"));
    expect([err.code, err.file]).toEqual(["unsafe-path", "activities/page_2/page.xml"]);
    expect((await activityOf(course as Course<MoodleActivity>, "page_1", "page")).contentHtml).toBe("text 1");
  });

  it("names the broken file: malformed activity XML, a broken module.xml, a bad directory", async () => {
    const root = await workspace().tree(
      "broken",
      pages(["1", "2", "3"], {
        "activities/page_2/page.xml": "<activity><page><name>Unclosed</page></activity>",
        "activities/page_3/module.xml": "<module><visible>1</visible>",
      }),
    );
    const course = await openCourse(root);
    expect(course.problems.map((p) => [p.file, p.activityId])).toEqual([
      ["activities/page_3/module.xml", "page_3"],
    ]);
    expect(course.problems[0]!.message).toMatch(
      /^activities\/page_3\/module.xml: is not well-formed XML \(line 1: /,
    );
    expect(course.activities.map((a) => a.id)).toEqual(["page_1", "page_2"]);
    const err = await rejection(course.activity("page_2"));
    expect([err.code, err.file]).toEqual(["malformed-xml", "activities/page_2/page.xml"]);

    const escaping = await workspace().tree("bad-dir", {
      "moodle_backup.xml": backupXml({
        sections: [{ id: "10" }],
        activities: [{ id: "1", section: "10", type: "page", title: "Sneaky", directory: "../../etc" }],
      }),
      "sections/section_10/section.xml": sectionXml("10", 0),
    });
    const sneaky = await openCourse(escaping);
    expect(sneaky.activities).toEqual([]);
    expect(sneaky.problems).toEqual([
      { file: "moodle_backup.xml", message: 'activity "Sneaky" has a bad directory or type' },
    ]);
  });

  it("refuses a DOCTYPE (entity bomb) and keeps the section under Moodle's name", async () => {
    const bomb =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>' +
      "<section><number>0</number><name>&lol2;</name></section>";
    const root = await workspace().tree("bomb", pages(["1"], { "sections/section_10/section.xml": bomb }));
    const course = await openCourse(root);
    expect(course.problems).toEqual([
      {
        file: "sections/section_10/section.xml",
        message: "sections/section_10/section.xml: has a DOCTYPE; refused",
      },
    ]);
    expect(course.sections.map((s) => s.name)).toEqual(["General"]);
  });

  it("without moodle_backup.xml the tree is not a Moodle course; a broken one is named", async () => {
    const empty = await workspace().tree("not-moodle", { "readme.txt": "hello" });
    expect(await moodleReader.detect(empty)).toBe(false);
    const err = await rejection(openCourse(empty));
    expect(err.code).toBe("unsupported");
    const missing = await rejection(openMoodleCourse(empty));
    expect([missing.code, missing.message]).toEqual(["missing-file", "moodle_backup.xml: is missing"]);
    const broken = await workspace().tree("broken-backup", {
      "moodle_backup.xml": "<moodle_backup><information>",
    });
    const malformed = await rejection(openCourse(broken));
    expect([malformed.code, malformed.file]).toEqual(["malformed-xml", "moodle_backup.xml"]);
  });
});

describe("Moodle reader: visibility, files, versions", () => {
  const workspace = withWorkspace();

  it("leaves hidden activities and the contents of hidden sections off the course page", async () => {
    const root = await workspace().tree("hidden", {
      "moodle_backup.xml": backupXml({
        sections: [{ id: "10" }, { id: "11" }],
        activities: [
          { id: "1", section: "10", type: "page", title: "Shown" },
          { id: "2", section: "10", type: "page", title: "Hidden" },
          { id: "3", section: "10", type: "page", title: "Stealth" },
          { id: "4", section: "11", type: "page", title: "In a hidden section" },
        ],
      }),
      "sections/section_10/section.xml": sectionXml("10", 0, "Open", "1,2,3"),
      "sections/section_11/section.xml": sectionXml("11", 1, "Closed", "4", 0),
      "activities/page_1/module.xml": moduleXml("page"),
      "activities/page_2/module.xml": moduleXml("page", 0),
      "activities/page_3/module.xml": moduleXml("page", 1, 0),
      "activities/page_4/module.xml": moduleXml("page"),
      "activities/page_3/page.xml": activityXml(
        "page",
        "61",
        "<name>Stealth</name><content>by link only</content>",
      ),
    });
    const course = await openCourse(root);
    expect(course.sections.map((s) => [s.name, s.visible, s.items.length])).toEqual([
      ["Open", true, 1],
      ["Closed", false, 0],
    ]);
    expect((await rejection(course.activity("page_2"))).code).toBe("not-found");
    // "Available but not shown on the course page": opens by link.
    expect((await activityOf(course as Course<MoodleActivity>, "page_3", "page")).contentHtml).toBe(
      "by link only",
    );
  });

  it("rewrites @@PLUGINFILE@@ links to file references that resolve to the bytes", async () => {
    const root = await workspace().tree("pluginfile", {
      ...pages(["1"], {
        "activities/page_1/page.xml": activityXml(
          "page",
          "60",
          '<name>Pictures</name><intro>&lt;img src="@@PLUGINFILE@@/logo.png"&gt;</intro><introformat>1</introformat>' +
            '<content>&lt;p&gt;&lt;img src="@@PLUGINFILE@@/pics/a%20b.png?time=1"&gt; \\(x^2\\)&lt;/p&gt;</content><contentformat>1</contentformat>',
        ),
      }),
      "files.xml": filesXml([
        pageFile("1", HASH_A, "content", "a b.png", { filepath: "/pics/", mimetype: "image/png", size: 3 }),
        pageFile("2", HASH_B, "intro", "logo.png", { mimetype: "image/png", size: 4 }),
      ]),
      [`files/aa/${HASH_A}`]: "png",
      [`files/bb/${HASH_B}`]: "logo",
    });
    const course = (await openCourse(root, {
      fileUrl: (key) => `/f/${encodeURI(key)}`,
    })) as Course<MoodleActivity>;
    const page = await activityOf(course, "page_1", "page");
    expect(page.contentHtml).toBe(
      '<p><img src="/f/60/mod_page/content/0/pics/a%20b.png"> <math><msup><mi>x</mi><mn class="tml-sml-pad">2</mn></msup></math></p>',
    );
    expect(page.introHtml).toBe('<img src="/f/60/mod_page/intro/0/logo.png">');
    const file = await course.resolveFile("60/mod_page/content/0/pics/a b.png");
    expect([file.filename, file.mimetype, file.path.endsWith(`files/aa/${HASH_A}`)]).toEqual([
      "a b.png",
      "image/png",
      true,
    ]);
    // The same rewriting for any text field of the course, e.g. a question's text.
    const question = (course as MoodleCourse).richText('<img src="@@PLUGINFILE@@/q.png">', "1", {
      contextid: "80",
      component: "question",
      filearea: "questiontext",
      itemid: "12",
    });
    expect(question).toBe('<img src="/f/80/question/questiontext/12/q.png">');
    const err = await rejection(course.resolveFile("60/mod_page/content/0/missing.png"));
    expect([err.code, err.message]).toEqual([
      "not-found",
      'files.xml: no file "60/mod_page/content/0/missing.png"',
    ]);
  });

  it("decodes character references once: an escaped tag stays text", async () => {
    const root = await workspace().tree("entities", {
      ...pages(["1"], {
        "activities/page_1/page.xml": activityXml(
          "page",
          "60",
          "<name>Caf&#233; &#x2014; menu</name><content>&lt;p&gt;Write &amp;lt;b&amp;gt; for bold&lt;/p&gt;</content><contentformat>1</contentformat>",
        ),
      }),
    });
    const page = await activityOf((await openCourse(root)) as Course<MoodleActivity>, "page_1", "page");
    expect([page.name, page.contentHtml]).toEqual(["Page 1", "<p>Write &lt;b&gt; for bold</p>"]);
    const named = await workspace().tree("entities-title", {
      "moodle_backup.xml": backupXml({
        sections: [{ id: "10" }],
        activities: [{ id: "1", section: "10", type: "page", title: "Caf&#233; &#x2014; menu" }],
      }),
      "sections/section_10/section.xml": sectionXml("10", 0, "R&amp;D", "1"),
      "activities/page_1/module.xml": moduleXml("page"),
    });
    const course = await openCourse(named);
    expect([course.sections[0]!.name, course.activities[0]!.name]).toEqual(["R&D", "Café — menu"]);
  });

  it("names unnamed sections as each Moodle version and format does", async () => {
    const course = async (name: string, version: string, format: string) => {
      const root = await workspace().tree(
        name,
        sectionsBackup(version, format, [undefined, undefined, undefined]),
      );
      return (await openCourse(root)).sections.map((s) => s.name);
    };
    expect(await course("m43", "2023100900", "topics")).toEqual(["General", "Topic 1", "Topic 2"]);
    expect(await course("m44", "2024042200", "topics")).toEqual(["General", "New section", "New section"]);
    expect(await course("weeks", "2025100600", "weeks")).toEqual([
      "General",
      "5 January - 11 January",
      "12 January - 18 January",
    ]);
    expect(await course("social", "2025100600", "social")).toEqual(["General", "Section 1", "Section 2"]);
  });

  it("reads an IMS content package's table of contents from its own manifest", async () => {
    const manifest =
      '<?xml version="1.0"?><manifest identifier="m"><organizations default="org1"><organization identifier="org1">' +
      '<title>Pack</title><item identifier="i1" identifierref="r1"><title>Start</title>' +
      '<item identifier="i2" identifierref="r2"><title>Details</title></item></item></organization></organizations>' +
      '<resources><resource identifier="r1" href="index.html"/><resource identifier="r2" href="sub/more%20info.html"/></resources></manifest>';
    const hash = (c: string) => c.repeat(40);
    const root = await workspace().tree("imscp", {
      "moodle_backup.xml": backupXml({
        sections: [{ id: "10" }],
        activities: [{ id: "7", section: "10", type: "imscp", title: "Pack" }],
      }),
      "sections/section_10/section.xml": sectionXml("10", 0, "$@NULL@$", "7"),
      "activities/imscp_7/module.xml": moduleXml("imscp"),
      "activities/imscp_7/imscp.xml": activityXml("imscp", "70", "<name>Pack</name><revision>2</revision>"),
      "files.xml": filesXml([
        {
          id: "1",
          hash: hash("1"),
          contextid: "70",
          component: "mod_imscp",
          filearea: "content",
          itemid: "1",
          filename: "imsmanifest.xml",
        },
        {
          id: "2",
          hash: hash("2"),
          contextid: "70",
          component: "mod_imscp",
          filearea: "content",
          itemid: "2",
          filename: "imsmanifest.xml",
        },
        {
          id: "3",
          hash: hash("3"),
          contextid: "70",
          component: "mod_imscp",
          filearea: "content",
          itemid: "2",
          filename: "index.html",
        },
        {
          id: "4",
          hash: hash("4"),
          contextid: "70",
          component: "mod_imscp",
          filearea: "content",
          itemid: "2",
          filepath: "/sub/",
          filename: "more info.html",
        },
      ]),
      [`files/11/${hash("1")}`]: "<manifest/>",
      [`files/22/${hash("2")}`]: manifest,
    });
    const pack = await activityOf((await openCourse(root)) as Course<MoodleActivity>, "imscp_7", "imscp");
    const outline = (items: typeof pack.organization): unknown[] =>
      items.map((i) => [i.title, i.file?.key ?? null, outline(i.children)]);
    expect(outline(pack.organization)).toEqual([
      [
        "Start",
        "70/mod_imscp/content/2/index.html",
        [["Details", "70/mod_imscp/content/2/sub/more info.html", []]],
      ],
    ]);
    // Only the current revision's files; an older revision's manifest is not among them.
    expect(pack.files.map((f) => f.key)).toEqual([
      "70/mod_imscp/content/2/imsmanifest.xml",
      "70/mod_imscp/content/2/index.html",
      "70/mod_imscp/content/2/sub/more info.html",
    ]);
  });

  it("shows a Moodle 4.5+ subsection as an activity holding its own section", async () => {
    const root = await workspace().tree("subsection", {
      "moodle_backup.xml": backupXml({
        sections: [{ id: "10" }, { id: "11" }],
        activities: [
          { id: "5", section: "10", type: "subsection", title: "Week one extras" },
          { id: "6", section: "11", type: "page", title: "Inside" },
        ],
      }).replace(
        "<section><sectionid>11</sectionid>",
        "<section><sectionid>11</sectionid><parentcmid>5</parentcmid><modname>subsection</modname>",
      ),
      "sections/section_10/section.xml": sectionXml("10", 0, "$@NULL@$", "5"),
      "sections/section_11/section.xml": sectionXml("11", 1, "Week one extras", "6"),
      "activities/subsection_5/module.xml": moduleXml("subsection"),
      "activities/page_6/module.xml": moduleXml("page"),
    });
    const course = (await openCourse(root)) as Course<MoodleActivity>;
    expect(course.sections.map((s) => s.name)).toEqual(["General"]);
    const sub = await activityOf(course, "subsection_5", "subsection");
    expect(sub.section.items.map((i) => (i.kind === "activity" ? i.activity.name : i.id))).toEqual([
      "Inside",
    ]);
  });
});

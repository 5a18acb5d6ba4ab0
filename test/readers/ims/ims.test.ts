// The IMS readers on real Canvas cartridges from the corpus (four revisions) and on hand-made
// packages for what the corpus lacks: nested modules, a web link, a discussion topic, a QTI
// assessment graded by the offline quiz engine, a content package, and paths that try to leave
// the package (a "../" href, an absolute href, a symlink).
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { ImsActivity, ImsCourse } from "../../../src/readers/ims/model.js";
import { imsccReader, imscpReader, ReaderError, readerFor } from "../../../src/readers/index.js";
import { submitAttempt } from "../../../src/readers/moodle/quiz/index.js";
import { corpusMissing, corpusPresent, withWorkspace } from "../moodle/helpers.js";
import { writeCartridge, writeContentPackage } from "./fixtures.js";

const ws = withWorkspace();
const urls = { fileUrl: (k: string) => `/f/${k}`, activityUrl: (id: string) => `/a/${id}` };
const outline = (c: ImsCourse) =>
  c.sections.map((s) => [
    s.name,
    s.items.map((i) => (i.kind === "text" ? i.html : `${i.activity.type}: ${i.activity.name}`)),
  ]);
async function open<T extends ImsActivity["type"]>(c: ImsCourse, id: string, type: T) {
  const a = await c.activity(id);
  expect(a.type).toBe(type);
  return a as Extract<ImsActivity, { type: T }>;
}

describe.skipIf(!corpusPresent)(`Canvas Common Cartridges from the corpus${corpusMissing}`, () => {
  it("lists the resources of a cartridge with no organization, titled from their pages", async () => {
    const tree = await ws().extract("canvas_cc_gem_course@baa3ae62.imscc");
    expect((await readerFor(tree))?.format).toBe("imscc");
    const course = (await imsccReader.open(tree, urls)) as ImsCourse;
    expect(course.title).toBe("Canvas CC Gem Course");
    expect(outline(course)).toEqual([
      [
        "Canvas CC Gem Course",
        [
          "page: Latex Example",
          "page: Assignment: Course with Known Submission Type",
          "page: Assignment: Course with Unknown Submission Type",
          "page: Assignment: Course with Missing Submission Type",
        ],
      ],
    ]);
    // The manifest names a syllabus the export does not hold.
    expect(course.problems).toEqual([
      {
        file: "course_settings/syllabus.html",
        activityId: "2d7d5ca55a932e43c614910000000001_syllabus",
        message: "course_settings/syllabus.html is missing or not inside the package",
      },
    ]);
    const latex = await open(course, "2d7d5ca55a932e43c614910000000007", "page");
    expect(latex.html).toMatch(
      /^<p>When <math><mrow><mi>a<\/mi><mo>≠<\/mo><mn>0<\/mn><\/mrow><\/math>, there are two/,
    );
    expect(latex.html).not.toContain("\\(");
  });

  it("opens every revision of the corpus cartridge", async () => {
    const counts: number[] = [];
    for (const rev of ["7e0a248d", "5d5b615d", "83ae9d24"]) {
      const course = await imsccReader.open(await ws().extract(`canvas_cc_gem_course@${rev}.imscc`));
      counts.push(course.activities.length);
    }
    expect(counts).toEqual([3, 3, 3]);
  });

  it("leaves SCORM packages (content packages too) to the SCORM player", async () => {
    const tree = await ws().extract("singlescobasic@733a3274.zip");
    await expect(imscpReader.detect(tree)).resolves.toBe(false);
    await expect(imsccReader.detect(tree)).resolves.toBe(false);
  });
});

describe("a hand-made Common Cartridge 1.3", () => {
  let course: ImsCourse;
  beforeAll(async () => {
    const root = await writeCartridge(join(ws().path, "cc"), join(ws().path, "outside.html"));
    course = (await imsccReader.open(root, urls)) as ImsCourse;
  });

  it("is a course page of modules, sub-folders as headings, hidden items left out", () => {
    expect(course.title).toBe("Clean water");
    expect(outline(course)).toEqual([
      [
        "Week 1: Safe water",
        [
          "page: Why boil water",
          '<h3 class="level1">Going further</h3>',
          "url: WHO guidance",
          "forum: Share your ideas",
        ],
      ],
      ["Week 2: Check", ["quiz: Water quiz", "resource: Storage poster", "page: Storing water"]],
    ]);
  });

  it("shows web content inline: scripts gone, files and page links rewritten, TeX as MathML", async () => {
    const page = await open(course, "r_boil", "page");
    expect(page.html).toBe(
      "<h2>Boil it</h2><p>Bring water to a rolling boil for one minute: <math><mrow><mi>t</mi><mo>≥</mo><mn>1</mn></mrow></math>.</p>\n" +
        '<img src="/f/web_resources/images/kettle.png" alt="A kettle">\n' +
        '<p><a href="/a/r_store#jugs">How to store it</a> · <a href="#">nowhere</a> ·\n' +
        '<a href="https://www.who.int/">WHO</a></p>',
    );
  });

  it("gives a web link's address, a topic read-only with its attachment, a file as a file", async () => {
    expect((await open(course, "r_link", "url")).externalUrl).toBe(
      "https://www.who.int/health-topics/drinking-water",
    );
    const topic = await open(course, "r_topic", "forum");
    expect(topic.html).toBe(
      '<p>How do you keep water clean at home? <img src="/f/topics/map.png" alt="map"></p>',
    );
    expect(topic.attachments.map((f) => [f.key, f.mimetype])).toEqual([["topics/map.png", "image/png"]]);
    const poster = await open(course, "r_poster", "resource");
    expect(poster.files.map((f) => [f.url, f.mimetype, f.size])).toEqual([
      ["/f/web_resources/poster.pdf", "application/pdf", 15],
    ]);
  });

  it("plays the QTI assessment on the quiz engine: five profiles, graded", async () => {
    const quiz = await open(course, "r_quiz", "quiz");
    const attempt = quiz.attempt(7);
    expect(attempt.slots.map((s) => [s.number, s.question.type, s.question.qtype])).toEqual([
      [1, "multichoice", "cc.multiple_choice"],
      [2, "multichoice", "cc.true_false"],
      [3, "multichoice", "cc.multiple_response"],
      [4, "shortanswer", "cc.fib"],
      [5, "essay", "cc.essay"],
    ]);
    const right = submitAttempt(attempt, {
      "q1:answer": "0",
      "q2:answer": "0",
      "q3:choice0": "1",
      "q3:choice1": "1",
      "q4:answer": "One",
      "q5:answer": "In a covered jar.",
    });
    expect(right.questions.map((q) => q.state)).toEqual([
      "correct",
      "correct",
      "correct",
      "correct",
      "needsgrading",
    ]);
    expect([right.grade, right.maxGrade, right.needsGrading]).toEqual([4, 5, true]);
    expect(right.questions[0]!.feedback.map((f) => f.html)).toEqual(["Yes: boiling kills germs."]);
    const mixed = submitAttempt(attempt, {
      "q1:answer": "1",
      "q3:choice0": "1",
      "q3:choice2": "1",
      "q4:answer": "2",
    });
    expect(mixed.questions.map((q) => [q.state, q.fraction])).toEqual([
      ["incorrect", 0],
      ["notanswered", null],
      ["incorrect", 0],
      ["incorrect", 0],
      ["notanswered", null],
    ]);
  });

  it("refuses paths out of the package: a '../' href, an absolute href, a symlink", async () => {
    expect(course.problems).toEqual([
      {
        file: "imsmanifest.xml",
        activityId: "r_climb",
        message: 'resource r_climb points outside the package ("../outside.html"); not shown',
      },
      {
        file: "imsmanifest.xml",
        activityId: "r_abs",
        message: 'resource r_abs points outside the package ("/etc/passwd"); not shown',
      },
      {
        file: "linked.html",
        activityId: "r_symlink",
        message: "linked.html is missing or not inside the package",
      },
    ]);
    for (const key of ["linked.html", "../outside.html", "/etc/passwd"]) {
      const err = await course.resolveFile(key).catch((e: unknown) => e);
      expect([err instanceof ReaderError, (err as ReaderError).code]).toEqual([true, "unsafe-path"]);
    }
    await expect(course.activity("r_symlink")).rejects.toThrow('imsmanifest.xml: no activity "r_symlink"');
    await expect(course.activity("r_hidden")).rejects.toThrow('imsmanifest.xml: no activity "r_hidden"');
  });
});

describe("a hand-made IMS content package", () => {
  it("is its organization with each item's page, relative links resolved", async () => {
    const root = await writeContentPackage(join(ws().path, "cp"));
    expect((await readerFor(root))?.format).toBe("imscp");
    const course = (await imscpReader.open(root, urls)) as ImsCourse;
    expect([course.title, course.problems]).toEqual(["Hand washing", []]);
    expect(outline(course)).toEqual([
      ["Hand washing", ["page: When to wash"]],
      ["How to wash", ["page: How to wash", "page: Soap or ash"]],
    ]);
    expect((await open(course, "r2", "page")).html).toBe(
      '<p>Twenty seconds.</p><img src="/f/how/steps.png" alt="Steps"><a href="/a/r1">When?</a>',
    );
  });
});

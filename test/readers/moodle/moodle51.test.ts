// The Moodle reader against real Moodle 5.1 backups of one course at several revisions (tar.gz
// as Moodle writes them, and one zip copy): every core activity type, read back with the values
// the course was built with.
import { realpath, stat } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import {
  lessonAnswerFor,
  lessonJump,
  type MoodleActivity,
  validateChoice,
  validateFeedback,
} from "../../../src/readers/moodle/index.js";
import type { Course } from "../../../src/readers/types.js";
import { activityOf, corpusMissing, corpusPresent, listedByType, withWorkspace } from "./helpers.js";

const V1 = "moodle51/community-health@v1.mbz";

describe.skipIf(!corpusPresent)(`Moodle 5.1 backups${corpusMissing}`, () => {
  const workspace = withWorkspace();
  let v1: Course<MoodleActivity>;
  beforeAll(async () => {
    v1 = await workspace().course(V1);
  });

  it("lists sections with Moodle's names for unnamed ones, and their summaries", () => {
    expect(v1.format).toBe("moodle");
    expect(v1.title).toBe("Community health");
    expect(v1.problems).toEqual([]);
    expect(v1.sections.map((s) => s.name)).toEqual([
      "General",
      "Understanding community health",
      "Water, hygiene and sanitation",
      "Nutrition and child growth",
      "New section",
      "Assessment and reflection",
    ]);
    expect(v1.sections.map((s) => s.id)).toEqual(["132", "133", "134", "135", "136", "137"]);
    expect(v1.sections[2]!.summaryHtml).toContain("Includes a short calculation for chlorine dosing.");
    expect(v1.sections[4]!.summaryHtml).toBe("");
    expect(v1.sections.every((s) => s.visible)).toBe(true);
  });

  it("counts every activity type on the course page; the question bank is not on it", () => {
    expect(listedByType(v1)).toEqual({
      assign: 1,
      book: 1,
      choice: 1,
      feedback: 1,
      folder: 1,
      forum: 2,
      glossary: 1,
      h5pactivity: 1,
      label: 2,
      lesson: 1,
      page: 5,
      quiz: 2,
      resource: 2,
      scorm: 1,
      url: 1,
    });
    expect(v1.activities).toHaveLength(24);
    expect(v1.activities.find((a) => a.type === "qbank")).toMatchObject({ id: "qbank_583", visible: false });
  });

  it("shows labels inline as section text, in the teacher's order", () => {
    const general = v1.sections[0]!.items;
    expect(general.map((i) => (i.kind === "text" ? `text:${i.id}` : i.activity.id))).toEqual([
      "text:label_563",
      "url_564",
      "forum_565",
    ]);
    const label = general[0]!;
    expect(label.kind === "text" && label.html).toContain("<h4>How to use this course</h4>");
  });

  it("reads a book: chapters, the subchapter, previous and next, TeX as MathML", async () => {
    const book = await activityOf(v1, "book_568", "book");
    expect(book.chapters.map((c) => [c.title, c.subchapter, c.previousId, c.nextId])).toEqual([
      ["The role of a CHV", false, null, "58"],
      ["Planning a household visit", false, "57", "59"],
      ["Danger signs to refer immediately", true, "58", "60"],
      ["Keeping records", false, "59", null],
    ]);
    expect(book.chapters[3]!.html).toContain(
      '<math display="block" class="tml-display" style="display:block math;"><mrow><mfrac><mn>12</mn><mn>48</mn></mfrac><mo>×</mo><mn>100</mn><mo>=</mo><mn>25</mn><mi>%</mi></mrow></math>',
    );
    expect(book.chapters[3]!.html).not.toContain("$$");
  });

  it("renders inline TeX in a page", async () => {
    const page = await activityOf(v1, "page_566", "page");
    expect(page.contentHtml).toContain("<math><mfrac><mi>N</mi><mi>k</mi></mfrac></math>");
    expect(page.contentHtml).not.toContain("\\(");
  });

  it("reads a glossary: entries by concept, aliases, categories, A–Z groups", async () => {
    const glossary = await activityOf(v1, "glossary_569", "glossary");
    expect(glossary.entries.map((e) => e.concept)).toEqual([
      "CHV",
      "Immunisation",
      "Latrine",
      "MUAC",
      "ORS",
      "Referral",
    ]);
    expect(glossary.entries[0]).toMatchObject({
      aliases: ["community health volunteer"],
      categories: ["Health services"],
    });
    expect(glossary.entries[3]!.definitionHtml).toBe(
      "<p>Mid-upper arm circumference, measured with a coloured tape to screen children aged 6 to 59 months for malnutrition.</p>",
    );
    expect(glossary.groups.map((g) => `${g.letter}:${g.entryIds.join(",")}`)).toEqual([
      "C:91",
      "I:94",
      "L:96",
      "M:93",
      "O:92",
      "R:95",
    ]);
  });

  it("reads a forum: discussions and their posts in thread order", async () => {
    const forum = await activityOf(v1, "forum_586", "forum");
    expect(forum.discussions.map((d) => d.name)).toEqual([
      "Introduce yourself",
      "Families who refuse to treat water",
    ]);
    expect(forum.discussions[0]!.posts.map((p) => [p.id, p.parentId, p.subject, p.authorName])).toEqual([
      ["141", null, "Introduce yourself", "Amina Otieno"],
      ["142", "141", "Re: Introduce yourself", "Joseph Mwangi"],
      ["143", "142", "Re: Introduce yourself", "Amina Otieno"],
    ]);
    expect(forum.discussions[1]!.posts[1]!.messageHtml).toBe(
      "<p>I tell them to leave the water open for 30 minutes after treating it; the smell goes away. Some prefer boiling.</p>",
    );
    expect((await activityOf(v1, "forum_565", "forum")).discussions).toEqual([]);
  });

  it("reads a lesson: pages in order and the jumps between them", async () => {
    const lesson = await activityOf(v1, "lesson_576", "lesson");
    expect(lesson.firstPageId).toBe("57");
    expect(lesson.pages.map((p) => [p.id, p.kind, p.title])).toEqual([
      ["57", "content", "Measuring MUAC"],
      ["58", "truefalse", "A red MUAC reading"],
      ["59", "multichoice", "Swollen feet"],
      ["60", "content", "Well done"],
    ]);
    const redReading = lesson.pages[1]!;
    const wrong = lessonAnswerFor(redReading, "71")!;
    const right = lessonAnswerFor(redReading, "72")!;
    expect([wrong.correct, wrong.responseHtml, lessonJump(lesson.pages, "58", wrong.jumpto)]).toEqual([
      false,
      "No: red means refer today.",
      "58",
    ]);
    expect([right.correct, lessonJump(lesson.pages, "58", right.jumpto)]).toEqual([true, "59"]);
    // The content page without buttons continues to the next page; the last page ends the lesson.
    expect(lessonJump(lesson.pages, "57", -1)).toBe("58");
    expect(lessonJump(lesson.pages, "60", -1)).toBe("end");
  });

  it("reads a choice and checks what a phone sends", async () => {
    const choice = await activityOf(v1, "choice_580", "choice");
    expect(choice.form.options.map((o) => o.text)).toEqual([
      "Malaria prevention",
      "Maternal health",
      "Mental health first aid",
      "First aid for burns",
    ]);
    expect([choice.form.allowMultiple, choice.form.allowUpdate]).toEqual([false, true]);
    expect(validateChoice(choice.form, "58")).toEqual({ ok: true, value: ["58"] });
    expect(validateChoice(choice.form, ["57", "58"])).toEqual({
      ok: false,
      errors: { answer: "Choose only one option." },
    });
    expect(validateChoice(choice.form, "99")).toEqual({
      ok: false,
      errors: { answer: 'There is no option "99".' },
    });
  });

  it("reads a questionnaire and checks a submission with Moodle's rules", async () => {
    const feedback = await activityOf(v1, "feedback_585", "feedback");
    expect(feedback.form.items.map((i) => `${i.id}:${i.kind}`)).toEqual([
      "71:label",
      "72:multichoice",
      "73:multichoice",
      "74:numeric",
      "75:textarea",
    ]);
    expect(feedback.form.items[1]).toMatchObject({
      mode: "radio",
      required: true,
      name: "How useful was this course?",
    });
    expect(feedback.form.items[3]).toMatchObject({ min: 0, max: 200 });
    expect(
      validateFeedback(feedback.form, { "72": "2", "73": ["1", "3"], "74": "64", "75": "More on malaria" }),
    ).toEqual({
      ok: true,
      value: { "72": "2", "73": ["1", "3"], "74": 64, "75": "More on malaria" },
    });
    expect(validateFeedback(feedback.form, { "73": ["9"], "74": "250" })).toEqual({
      ok: false,
      errors: {
        "72": "This answer is required.",
        "73": "Choose one of the options.",
        "74": "Enter a number from 0 to 200.",
      },
    });
  });

  it("gives the quiz engine the quiz's slots and where its questions are", async () => {
    const quiz = await activityOf(v1, "quiz_581", "quiz");
    expect(quiz.slots.map((s) => `${s.slot}:${s.page}`).join(" ")).toBe(
      "1:1 2:1 3:2 4:2 5:3 6:3 7:4 8:4 9:5 10:5",
    );
    expect(quiz.slots[0]!.question).toEqual({
      kind: "bank-entry",
      questionBankEntryId: "265",
      version: null,
    });
    const tree = await realpath(await workspace().extract(V1));
    expect(quiz.directory).toBe(`${tree}/activities/quiz_581`);
    expect(quiz.questionsXml).toBe(`${tree}/questions.xml`);
  });

  it("exposes files: a resource, a folder's subfolders, the H5P and SCORM packages", async () => {
    const poster = await activityOf(v1, "resource_571", "resource");
    expect(poster.main).toMatchObject({
      filename: "handwashing-five-times.pdf",
      mimetype: "application/pdf",
      size: 1313,
    });
    const resolved = await v1.resolveFile(poster.main!.key);
    expect((await stat(resolved.path)).size).toBe(1313);
    const folder = await activityOf(v1, "folder_573", "folder");
    expect(folder.files.map((f) => `${f.filepath}${f.filename}`)).toEqual([
      "/latrine-checklist.txt",
      "/notes/household-visit-form.csv",
      "/posters/chlorine-dose.pdf",
      "/posters/water-storage.png",
    ]);
    const h5p = await activityOf(v1, "h5pactivity_574", "h5pactivity");
    expect(h5p.package?.filename).toBe("H5P.DragText.h5p");
    const scorm = await activityOf(v1, "scorm_577", "scorm");
    expect([scorm.package?.filename, scorm.version]).toEqual(["singlesco_scorm12.zip", "SCORM_1.2"]);
    expect((await v1.resolveFile(scorm.package!.key)).size).toBe(scorm.package!.size);
  });

  it("reads an assignment's instructions and submission types", async () => {
    const assign = await activityOf(v1, "assign_584", "assign");
    expect(assign.introHtml).toContain("Draw a simple map of the households you serve.");
    expect(assign.submissionTypes).toEqual(["onlinetext", "file"]);
  });

  it("reads the zip copy of a revision exactly as the tar.gz one", async () => {
    const [tgz, zip] = await Promise.all([
      workspace().course("moodle51/community-health@v2.mbz"),
      workspace().course("moodle51/community-health@v2-zip.mbz"),
    ]);
    expect(zip.sections).toEqual(tgz.sections);
    for (const a of tgz.activities.filter((x) => x.visible && x.type !== "quiz")) {
      expect(await zip.activity(a.id)).toEqual(await tgz.activity(a.id));
    }
  });

  it("keeps an activity's id across revisions: renamed, moved, sections reordered", async () => {
    const [v2, v3, v4] = await Promise.all([
      workspace().course("moodle51/community-health@v2.mbz"),
      workspace().course("moodle51/community-health@v3.mbz"),
      workspace().course("moodle51/community-health@v4.mbz"),
    ]);
    // v2 renamed the glossary: same id, new name.
    expect(v1.activities.find((a) => a.id === "glossary_569")?.name).toBe("Community health glossary");
    expect(v2.activities.find((a) => a.id === "glossary_569")?.name).toBe(
      "Glossary of community health terms",
    );
    // v3 deleted the label "Immunisation note" and added a section.
    expect(v3.activities.some((a) => a.id === "label_578")).toBe(false);
    expect(v3.sections.map((s) => s.name).at(-1)).toBe("Malaria prevention");
    // v4 moved the choice to the end of section 1 and swapped sections 2 and 3.
    const sectionOf = (c: Course<MoodleActivity>, id: string) =>
      c.sections.find((s) => s.items.some((i) => i.kind === "activity" && i.activity.id === id))?.name;
    expect(sectionOf(v3, "choice_580")).toBe("New section");
    expect(sectionOf(v4, "choice_580")).toBe("Understanding community health");
    expect(v4.sections.map((s) => s.name).slice(2, 4)).toEqual([
      "Nutrition and child growth",
      "Water, hygiene and sanitation",
    ]);
    expect((await activityOf(v4, "book_568", "book")).chapters.map((c) => c.id)).toEqual([
      "57",
      "58",
      "59",
      "60",
    ]);
  });
});

// The Moodle reader against the STACK demo course as its project saved it from Moodle 2.3 to 3.0
// (zip and tar.gz): the older backup layouts, "Topic N" names and TeX written for MathJax.
import { describe, expect, it } from "vitest";
import { activityOf, corpusMissing, corpusPresent, listedByType, withWorkspace } from "./helpers.js";

/** Revision → Moodle that wrote it and what its course page lists. */
const REVISIONS: [string, string, Record<string, number>][] = [
  ["STACK-demo@0934172d.mbz", "2.3", { page: 1, quiz: 52, resource: 1 }],
  ["STACK-demo@2887ec43.mbz", "2.5", { page: 1, quiz: 52, resource: 1 }],
  ["STACK-demo@709b94ef.mbz", "2.7", { page: 2, quiz: 55, resource: 1 }],
  ["STACK-demo@0781e3a4.mbz", "2.7", { page: 2, quiz: 67, resource: 1 }],
  ["STACK-demo@8e6dbfe6.mbz", "2.7", { page: 2, quiz: 68, resource: 1 }],
  ["STACK-demo@05f7ebf4.mbz", "3.0 (tar.gz)", { page: 2, quiz: 68, resource: 1 }],
];

describe.skipIf(!corpusPresent)(`STACK demo course, Moodle 2.3 to 3.0${corpusMissing}`, () => {
  const workspace = withWorkspace();

  it.each(REVISIONS)(
    "%s (Moodle %s) lists its activities with no problems",
    async (file, _moodle, counts) => {
      const course = await workspace().course(file);
      expect(course.title).toBe("Demonstrating STACK");
      expect(course.problems).toEqual([]);
      expect(listedByType(course)).toEqual(counts);
    },
  );

  it("names unnamed sections as Moodle 2 did: General, then Topic N", async () => {
    const course = await workspace().course("STACK-demo@0934172d.mbz");
    expect(course.sections.map((s) => s.name)).toEqual([
      "General",
      "Demonstration quizzes",
      "Diagnostic test questions",
      "Calculus refresher",
      "Map of Algebraic Manipulation",
      "Authoring tips",
      "Topic 6",
      "Topic 7",
      "Topic 8",
      "Topic 9",
      "Topic 10",
    ]);
  });

  it("reads quiz slots from the 2.3 layout (question list with page breaks)", async () => {
    const quiz = await activityOf(await workspace().course("STACK-demo@0934172d.mbz"), "quiz_10", "quiz");
    expect(quiz.name).toBe("2. Linearity in diﬀerentiation");
    expect(quiz.slots.slice(0, 3)).toEqual([
      { slot: 1, page: 1, maxMark: 1, question: { kind: "question", questionId: "81" } },
      { slot: 2, page: 2, maxMark: 1, question: { kind: "question", questionId: "82" } },
      { slot: 3, page: 3, maxMark: 1, question: { kind: "question", questionId: "83" } },
    ]);
  });

  it("reads quiz slots from the 2.7–3.x layout (slots with question ids)", async () => {
    const quiz = await activityOf(await workspace().course("STACK-demo@05f7ebf4.mbz"), "quiz_100", "quiz");
    expect(quiz.name).toBe("4. The product rule for diﬀerentiation");
    expect(quiz.slots[0]).toEqual({
      slot: 1,
      page: 1,
      maxMark: 1,
      question: { kind: "question", questionId: "703" },
    });
    expect(quiz.questionsXml?.endsWith("/questions.xml")).toBe(true);
  });

  it("renders the demo page's display and inline TeX as MathML", async () => {
    const page = await activityOf(await workspace().course("STACK-demo@0934172d.mbz"), "page_37", "page");
    expect(page.contentHtml).toContain(
      '<math display="block" class="tml-display" style="display:block math;"><mrow><mrow><munderover><mo movablelimits="false">∑</mo><mrow><mi>n</mi><mo>=</mo><mn>1</mn></mrow><mi>∞</mi></munderover></mrow><mfrac><mn>1</mn><msup><mi>n</mi><mn>2</mn></msup></mfrac><mo>=</mo><mfrac><msup><mi>π</mi><mn>2</mn></msup><mn>6</mn></mfrac><mi>.</mi></mrow></math>',
    );
    expect(page.contentHtml).toContain("Inline mathematics: <math><mrow><msubsup>");
  });

  it("resolves a resource's PDF to its bytes", async () => {
    const course = await workspace().course("STACK-demo@0934172d.mbz");
    const resource = await activityOf(course, "resource_82", "resource");
    expect(resource.main).toMatchObject({
      filename: "Barnard.pdf",
      mimetype: "application/pdf",
      size: 111412,
    });
    expect((await course.resolveFile(resource.main!.key)).size).toBe(111412);
  });
});

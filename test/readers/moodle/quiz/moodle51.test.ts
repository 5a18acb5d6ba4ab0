// The quiz engine against the real Moodle 5.1 backups: every one of the 10 standard types
// gets full marks for a right answer, 0 for a wrong one and Moodle's exact fraction for a
// partial one (fractions worked out by hand from questions.xml), and a whole attempt is
// totalled and scaled to the quiz's grade.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { submitAttempt, summarise } from "../../../../src/readers/moodle/quiz/index.js";
import { MOODLE51_DIR } from "../../../support/corpus.js";
import { answer, attemptOf, fieldsFor, type LoadedBackup, loadBackup, tempDir, texts } from "./helpers.js";

const present = existsSync(join(MOODLE51_DIR, "community-health@v1.mbz"));
if (!present) console.warn(`skipping: no Moodle 5.1 backups at ${MOODLE51_DIR}`);

describe.skipIf(!present)("Moodle 5.1 quizzes", () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let v1: LoadedBackup;
  let v2: LoadedBackup;
  beforeAll(async () => {
    dir = await tempDir("hc-quiz51-");
    v1 = await loadBackup(join(MOODLE51_DIR, "community-health@v1.mbz"), join(dir.path, "v1"));
    v2 = await loadBackup(join(MOODLE51_DIR, "community-health@v2.mbz"), join(dir.path, "v2"));
  });
  afterAll(() => dir?.remove());

  const basics = () => attemptOf(v1, "quiz_581");
  const check = () => attemptOf(v1, "quiz_582");

  it("reads both quizzes: settings, slots in order with their types and marks", () => {
    const quiz = v1.quizzes.get("quiz_581")!;
    expect(quiz.name).toBe("Quiz: community health basics");
    expect(quiz.preferredBehaviour).toBe("deferredfeedback");
    expect([quiz.grade, quiz.sumGrades, quiz.shuffleAnswers, quiz.questionsPerPage]).toEqual([
      100,
      15,
      true,
      2,
    ]);
    expect(basics().slots.map((s) => [s.slot, s.page, s.question.type, s.maxMark])).toEqual([
      [1, 1, "description", 0],
      [2, 1, "multichoice", 1],
      [3, 2, "multichoice", 1],
      [4, 2, "truefalse", 1],
      [5, 3, "shortanswer", 1],
      [6, 3, "numerical", 1],
      [7, 4, "match", 1],
      [8, 4, "gapselect", 1],
      [9, 5, "multianswer", 3],
      [10, 5, "essay", 5],
    ]);
    expect(check().slots.map((s) => s.question.type)).toEqual([
      "multichoice",
      "truefalse",
      "ddwtos",
      "numerical",
      "shortanswer",
    ]);
    expect(v1.quizzes.get("quiz_582")!.preferredBehaviour).toBe("immediatefeedback");
  });

  it("multichoice, one answer: right 1, wrong 0 with Moodle's outcome feedback", () => {
    const right = answer(basics(), 2, { answer: "0" });
    expect([right.state, right.fraction, right.mark, right.response]).toEqual([
      "correct",
      1,
      1,
      "Advise, support and refer households",
    ]);
    expect(right.outcome?.html).toBe("Well done!");
    const wrong = answer(basics(), 2, { answer: "3" });
    expect([wrong.state, wrong.fraction, wrong.outcome?.html]).toEqual([
      "incorrect",
      0,
      "That is not right at all.",
    ]);
    expect(answer(check(), 1, { answer: "0" }).fraction).toBe(1);
  });

  it("multichoice, several answers: sum of fractions, clamped at 0", () => {
    const all = { choice0: "1", choice1: "1", choice2: "1", choice3: "1" };
    expect(answer(basics(), 3, all).fraction).toBe(1);
    const half = answer(basics(), 3, { choice0: "1", choice1: "1" });
    expect([half.state, half.fraction]).toEqual(["partial", 0.5]);
    expect(half.outcome?.html).toBe("Parts, but only parts, of your response are correct.");
    // 0.25 × 3 − 1 (the television) = −0.25 → 0.
    expect(answer(basics(), 3, { choice0: "1", choice1: "1", choice2: "1", choice4: "1" }).fraction).toBe(0);
    expect(answer(basics(), 3, { choice4: "1" }).state).toBe("incorrect");
  });

  it("truefalse: the chosen answer's fraction and feedback", () => {
    const right = answer(basics(), 4, { answer: "1" });
    expect([right.fraction, texts(right.feedback)]).toEqual([1, ["Correct."]]);
    const wrong = answer(basics(), 4, { answer: "0" });
    expect([wrong.fraction, texts(wrong.feedback)]).toEqual([
      0,
      ["Boiling after filtering does make water safe."],
    ]);
    expect(answer(check(), 2, { answer: "0" }).fraction).toBe(1);
  });

  it("shortanswer: first matching answer, case ignored, * catches the rest", () => {
    expect(answer(basics(), 5, { answer: "  Salts " }).fraction).toBe(1);
    const near = answer(basics(), 5, { answer: "salt" });
    expect([near.state, near.fraction, texts(near.feedback)]).toEqual([
      "partial",
      0.8,
      ['Nearly: the full term is "salts".'],
    ]);
    const wrong = answer(basics(), 5, { answer: "sugar" });
    expect([wrong.state, wrong.fraction, texts(wrong.feedback)]).toEqual([
      "incorrect",
      0,
      ['It is "salts".'],
    ]);
    expect(answer(check(), 5, { answer: "EDEMA" }).fraction).toBe(1);
    expect(answer(basics(), 5, { answer: "" }).state).toBe("notanswered");
  });

  it("numerical: tolerance, units ignored, first matching answer's feedback", () => {
    expect(answer(basics(), 6, { answer: "25" }).fraction).toBe(1);
    expect(answer(basics(), 6, { answer: "25 %" }).fraction).toBe(1);
    const off = answer(basics(), 6, { answer: "24" });
    expect([off.fraction, texts(off.feedback)]).toEqual([0, ["Divide 12 by 48, then multiply by 100."]]);
    // Chlorine dose: 4 ± 0.1.
    expect(answer(check(), 4, { answer: "4.1" }).fraction).toBe(1);
    expect(answer(check(), 4, { answer: "4,05 mL" }).fraction).toBe(1);
    expect(answer(check(), 4, { answer: "4.2" }).fraction).toBe(0);
    expect(answer(check(), 4, { answer: "four" }).state).toBe("incorrect");
  });

  it("match: right stems / stems", () => {
    // Choices in backup order: Well nourished, Moderate malnutrition, Severe: refer today, insect.
    expect(answer(basics(), 7, { sub0: "0", sub1: "1", sub2: "2" }).fraction).toBe(1);
    const two = answer(basics(), 7, { sub0: "0", sub1: "1", sub2: "3" });
    expect(two.state).toBe("partial");
    expect(two.fraction).toBeCloseTo(0.6666667, 7);
    expect(two.response).toBe("Green -> Well nourished; Yellow -> Moderate malnutrition; Red -> insect");
    expect(answer(basics(), 7, { sub0: "3", sub1: "2", sub2: "1" }).fraction).toBe(0);
  });

  it("gapselect: right gaps / gaps", () => {
    expect(answer(basics(), 8, { p1: "1", p2: "2" }).fraction).toBe(1);
    const half = answer(basics(), 8, { p1: "1", p2: "4" });
    expect([half.state, half.fraction, half.response]).toEqual(["partial", 0.5, "soap; 5"]);
    expect(answer(basics(), 8, { p1: "3", p2: "4" }).fraction).toBe(0);
  });

  it("ddwtos: right drops / drops", () => {
    expect(answer(check(), 3, { p1: "1", p2: "2", p3: "3" }).fraction).toBe(1);
    expect(answer(check(), 3, { p1: "1", p2: "2", p3: "6" }).fraction).toBeCloseTo(0.6666667, 7);
    expect(answer(check(), 3, { p1: "4", p2: "5", p3: "6" }).fraction).toBe(0);
  });

  it("multianswer (cloze): each sub-question graded, weighted by its mark", () => {
    const right = answer(basics(), 9, { sub1_answer: "1", sub2_answer: "0", sub3_answer: "Lid" });
    expect([right.fraction, right.mark]).toEqual([1, 3]);
    const two = answer(basics(), 9, { sub1_answer: "1", sub2_answer: "0", sub3_answer: "bucket" });
    expect(two.fraction).toBeCloseTo(0.6666667, 7);
    expect(two.mark).toBeCloseTo(2, 7);
    expect(two.parts.map((p) => p.state)).toEqual(["correct", "correct", "incorrect"]);
    expect(texts(two.feedback)).toEqual(["Correct", "Right", "Think about keeping flies out"]);
    const none = answer(basics(), 9, { sub1_answer: "2", sub2_answer: "2", sub3_answer: "x" });
    expect([none.fraction, none.mark]).toEqual([0, 0]);
  });

  it("essay needs grading; description is information only", () => {
    const essay = answer(basics(), 10, { answer: "I visited a family and talked about ORS." });
    expect([essay.state, essay.fraction, essay.mark, essay.maxMark]).toEqual(["needsgrading", null, null, 5]);
    expect(answer(basics(), 10, { answer: " " }).state).toBe("notanswered");
    const info = answer(basics(), 1, {});
    expect([info.state, info.maxMark]).toEqual(["info", 0]);
  });

  it("totals a whole attempt and scales it to the quiz's grade of 100", () => {
    const attempt = basics();
    const body = {
      ...fieldsFor(2, { answer: "0" }),
      ...fieldsFor(3, { choice0: "1", choice1: "1" }),
      ...fieldsFor(4, { answer: "1" }),
      ...fieldsFor(5, { answer: "salt" }),
      ...fieldsFor(6, { answer: "25" }),
      ...fieldsFor(7, { sub0: "0", sub1: "1", sub2: "3" }),
      ...fieldsFor(8, { p1: "1", p2: "2" }),
      ...fieldsFor(9, { sub1_answer: "1", sub2_answer: "0", sub3_answer: "bucket" }),
      ...fieldsFor(10, { answer: "Greeted, checked everyone, gave one message." }),
    };
    const result = submitAttempt(attempt, body);
    // 1 + 0.5 + 1 + 0.8 + 1 + 2/3 + 1 + 2 = 7.9666667 of 15 → 53.111111 of 100.
    expect(result.marks).toBeCloseTo(7.9666667, 6);
    expect(result.grade).toBeCloseTo(53.111111, 5);
    expect([result.sumGrades, result.maxGrade, result.needsGrading]).toEqual([15, 100, true]);
    expect(result.questions.find((q) => q.slot === 9)?.generalFeedback?.html).toBe(
      "One capful, 30 minutes, a container with a lid.",
    );
    const summary = summarise(result);
    expect(summary).toHaveLength(9);
    expect(summary[3]).toEqual({
      questionId: "278",
      bankEntryId: "269",
      slot: 5,
      type: "shortanswer",
      interactionType: "fill-in",
      response: "salt",
      fraction: 0.8,
      mark: 0.8,
      maxMark: 1,
      success: false,
    });
    expect(summary.map((s) => [s.slot, s.interactionType, s.success])).toEqual([
      [2, "choice", true],
      [3, "choice", false],
      [4, "true-false", true],
      [5, "fill-in", false],
      [6, "numeric", true],
      [7, "matching", false],
      [8, "fill-in", true],
      [9, "fill-in", false],
      [10, "long-fill-in", null],
    ]);
  });

  it("an empty submission: every question not answered, grade 0", () => {
    const result = submitAttempt(check(), {});
    expect(result.questions.map((q) => q.state)).toEqual([
      "notanswered",
      "notanswered",
      "notanswered",
      "notanswered",
      "notanswered",
    ]);
    expect([result.marks, result.grade, result.needsGrading]).toEqual([0, 0, false]);
  });

  it("follows question versions: v2's quiz shows the corrected version 2", () => {
    const slot = attemptOf(v2, "quiz_581").slots.find((s) => s.slot === 4)!;
    expect(slot.question.type === "truefalse" && [slot.question.version, slot.question.text.html]).toEqual([
      2,
      "<p>The most effective way to make cloudy water safe is to boil it for one minute after filtering it through a cloth.</p>",
    ]);
  });
});

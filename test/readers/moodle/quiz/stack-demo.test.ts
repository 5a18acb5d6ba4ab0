// Every quiz of the six STACK demo backups (Moodle 2.4 to 3.0, zip and tar.gz): each parses
// and has questions (but one that has none in the backup itself), STACK questions are shown with their inputs and kept for later grading,
// the legacy random slot picks a question, and nothing renders as an empty page.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderQuestion, startAttempt, submitAttempt } from "../../../../src/readers/moodle/quiz/index.js";
import { CORPUS_DIR } from "../../../support/corpus.js";
import { answer, attemptOf, type LoadedBackup, loadBackup, tempDir } from "./helpers.js";

/** Per file: quizzes, slots, questions in the bank, slots by type (counted from the XML with grep). */
const EXPECTED: Record<string, [number, number, number, Record<string, number>]> = {
  "STACK-demo@0934172d.mbz": [52, 444, 454, { stack: 444 }],
  "STACK-demo@2887ec43.mbz": [52, 444, 454, { stack: 444 }],
  "STACK-demo@709b94ef.mbz": [55, 480, 593, { stack: 468, description: 12 }],
  "STACK-demo@0781e3a4.mbz": [67, 576, 593, { stack: 563, description: 12, multichoice: 1 }],
  "STACK-demo@8e6dbfe6.mbz": [68, 585, 603, { stack: 567, description: 17, multichoice: 1 }],
  "STACK-demo@05f7ebf4.mbz": [68, 587, 606, { stack: 569, description: 17, multichoice: 1 }],
};

const present = Object.keys(EXPECTED).every((f) => existsSync(join(CORPUS_DIR, f)));
if (!present) console.warn(`skipping: STACK demo backups not found in ${CORPUS_DIR}`);

describe.skipIf(!present)("STACK demo backups", () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const loading = new Map<string, Promise<LoadedBackup>>();
  // Each backup is extracted by the first test that needs it: one slow hook would hit its timeout.
  const load = (file: string) => {
    let backup = loading.get(file);
    if (!backup) {
      backup = loadBackup(join(CORPUS_DIR, file), join(dir.path, file.replace(".mbz", "")));
      loading.set(file, backup);
    }
    return backup;
  };
  beforeAll(async () => {
    dir = await tempDir("hc-quizstack-");
  });
  afterAll(() => dir?.remove());

  it.each(Object.entries(EXPECTED))(
    "%s: every quiz parses, has questions, renders",
    async (file, expected) => {
      const backup = await load(file);
      const [quizzes, slots, bankSize, byType] = expected;
      expect(backup.bank.error).toBeNull();
      expect(backup.bank.questions.size).toBe(bankSize);
      expect(backup.quizzes.size).toBe(quizzes);
      const counted: Record<string, number> = {};
      let total = 0;
      const empty: string[] = [];
      for (const quiz of backup.quizzes.values()) {
        const attempt = startAttempt(quiz, backup.bank, 5);
        if (attempt.slots.length === 0) empty.push(quiz.name);
        for (const slot of attempt.slots) {
          const q = slot.question;
          expect(q.type, `${quiz.name} slot ${slot.slot}`).not.toBe("broken");
          if (q.type === "broken") continue;
          counted[q.qtype] = (counted[q.qtype] ?? 0) + 1;
          const html = renderQuestion(slot, { resolveFile: () => "/f" });
          // Never a blank page: the question's own words are on it.
          expect(html).toContain('<div class="qtext">');
          expect(html.length).toBeGreaterThan(200);
        }
        total += attempt.slots.length;
      }
      expect(total).toBe(slots);
      // Its <question_instances> is empty in every revision of the course: Moodle shows no questions either.
      expect(empty).toEqual(["2. Factorisation of whole numbers"]);
      expect(counted).toEqual(byType);
    },
  );

  it("a STACK question shows its text and input, and keeps the answer for later grading", async () => {
    const attempt = attemptOf(await load("STACK-demo@0934172d.mbz"), "quiz_10");
    const slot = attempt.slots[0]!;
    expect([slot.question.type, slot.question.type === "ungradable" && slot.question.inputs]).toEqual([
      "ungradable",
      ["ans1"],
    ]);
    const html = renderQuestion(slot, { resolveFile: () => "/f" });
    expect(html).toContain('name="q1:in_ans1"');
    expect(html).not.toContain("[[input:");
    expect(html).not.toContain("[[validation:");
    expect(html).toContain("Your answer is kept and will be graded later.");
    const result = answer(attempt, 1, { in_ans1: "3*x^2" });
    expect([result.state, result.response, result.fraction, result.qtype]).toEqual([
      "needsgrading",
      "ans1: 3*x^2",
      null,
      "stack",
    ]);
    expect(submitAttempt(attempt, {}).needsGrading).toBe(false);
  });

  it("the legacy random slot picks from its category, the same question for the same seed", async () => {
    const backup = await load("STACK-demo@05f7ebf4.mbz");
    const quiz = backup.quizzes.get("quiz_130")!;
    const randomSlot = quiz.slots.find((s) => s.ref.kind === "question" && s.ref.questionId === "1080")!;
    const picks = new Set<string>();
    for (let seed = 1; seed <= 12; seed++) {
      const picked = startAttempt(quiz, backup.bank, seed).slots.find(
        (s) => s.slot === randomSlot.slot,
      )!.question;
      expect(picked.type).toBe("ungradable");
      expect(picked.type !== "broken" && picked.categoryId).toBe(
        backup.bank.questions.get("1080")!.categoryId,
      );
      expect(
        startAttempt(quiz, backup.bank, seed).slots.find((s) => s.slot === randomSlot.slot)!.question.id,
      ).toBe(picked.id);
      picks.add(picked.id);
    }
    expect(picks.size).toBeGreaterThan(1);
  });
});

// Rendering and shuffling on the real Moodle 5.1 quiz: script-free, labelled form fragments
// in the attempt's order, a stable order per seed, the settings that turn shuffling off,
// and the review after submitting.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AttemptSlot,
  renderQuestion,
  startAttempt,
  submitAttempt,
} from "../../../../src/readers/moodle/quiz/index.js";
import { MOODLE51_DIR } from "../../../support/corpus.js";
import { attemptOf, fieldsFor, type LoadedBackup, loadBackup, tempDir } from "./helpers.js";

const present = existsSync(join(MOODLE51_DIR, "community-health@v1.mbz"));
if (!present) console.warn(`skipping: no Moodle 5.1 backups at ${MOODLE51_DIR}`);

const resolveFile = () => "/unused";

/** Every input, select and textarea has a label: wrapping it, or pointing at its id. */
function unlabelled(html: string): string[] {
  const missing: string[] = [];
  for (const m of html.matchAll(/<(input|select|textarea)\b[^>]*>/g)) {
    const tag = m[0];
    const id = /\bid="([^"]+)"/.exec(tag)?.[1];
    const wrapped = html.slice(0, m.index).endsWith('<label class="choice">');
    if (!wrapped && !(id && html.includes(`for="${id}"`))) missing.push(tag);
  }
  return missing;
}

const radioValues = (html: string) =>
  [...html.matchAll(/type="radio" name="q\d+:answer" value="(\d+)"/g)].map((m) => m[1]);

describe.skipIf(!present)("rendering Moodle 5.1 questions", () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let v1: LoadedBackup;
  beforeAll(async () => {
    dir = await tempDir("hc-quizrender-");
    v1 = await loadBackup(join(MOODLE51_DIR, "community-health@v1.mbz"), join(dir.path, "v1"));
  });
  afterAll(() => dir?.remove());

  const slotOf = (seed: number, slot: number, quizDir = "quiz_581"): AttemptSlot =>
    attemptOf(v1, quizDir, seed).slots.find((s) => s.slot === slot)!;

  it("every question of both quizzes renders: no scripts, every field labelled and named q<slot>:…", () => {
    for (const dirName of ["quiz_581", "quiz_582"]) {
      for (const slot of attemptOf(v1, dirName).slots) {
        const html = renderQuestion(slot, { resolveFile });
        expect(html).not.toMatch(/<script|\bon\w+=/i);
        expect(unlabelled(html)).toEqual([]);
        for (const m of html.matchAll(/\bname="([^"]+)"/g))
          expect(m[1]).toMatch(new RegExp(`^q${slot.slot}:\\w+$`));
      }
    }
  });

  it("each type shows the fields the grader reads", () => {
    const names = (slot: number, quiz = "quiz_581") => [
      ...new Set(
        [...renderQuestion(slotOf(1, slot, quiz), { resolveFile }).matchAll(/\bname="([^"]+)"/g)].map(
          (m) => m[1],
        ),
      ),
    ];
    expect(names(1)).toEqual([]);
    expect(names(2)).toEqual(["q2:answer"]);
    expect(names(3).sort()).toEqual(["q3:choice0", "q3:choice1", "q3:choice2", "q3:choice3", "q3:choice4"]);
    expect(names(4)).toEqual(["q4:answer"]);
    expect(names(5)).toEqual(["q5:answer"]);
    expect(names(6)).toEqual(["q6:answer"]);
    expect(names(7).sort()).toEqual(["q7:sub0", "q7:sub1", "q7:sub2"]);
    expect(names(8)).toEqual(["q8:p1", "q8:p2"]);
    expect(names(9)).toEqual(["q9:sub1_answer", "q9:sub2_answer", "q9:sub3_answer"]);
    expect(names(10)).toEqual(["q10:answer"]);
    expect(names(3, "quiz_582")).toEqual(["q3:p1", "q3:p2", "q3:p3"]);
  });

  it("gap and cloze fields sit inside the sentence; cloze multichoice is a dropdown", () => {
    const gap = renderQuestion(slotOf(1, 8), { resolveFile });
    expect(gap).toMatch(
      /^<fieldset class="que gapselect" id="q8">.*Wash hands with <span class="gap">.*<\/span> and water/,
    );
    // Gap 1 offers group 1 only (soap, oil), in backup order: gapselect shuffleanswers is 0.
    expect(/name="q8:p1">(.*?)<\/select>/.exec(gap)?.[1]).toBe(
      '<option value="">Choose…</option><option value="1">soap</option><option value="3">oil</option>',
    );
    const cloze = renderQuestion(slotOf(1, 9), { resolveFile });
    expect(/name="q9:sub2_answer">(.*?)<\/select>/.exec(cloze)?.[1]).toBe(
      '<option value="">Choose…</option><option value="0">30 minutes</option><option value="1">5 minutes</option><option value="2">2 days</option>',
    );
  });

  it("same seed, same order; other seeds give other orders; always a permutation", () => {
    expect(radioValues(renderQuestion(slotOf(7, 2), { resolveFile }))).toEqual(
      radioValues(renderQuestion(slotOf(7, 2), { resolveFile })),
    );
    const orders = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) {
      const values = radioValues(renderQuestion(slotOf(seed, 2), { resolveFile }));
      expect([...values].sort()).toEqual(["0", "1", "2", "3"]);
      expect(slotOf(seed, 2).orders.answers?.map(String)).toEqual(values);
      orders.add(values.join(","));
    }
    expect(orders.size).toBeGreaterThan(5);
    // Match choices are always shuffled in Moodle; stems follow the question's setting (on here).
    const matchOrders = new Set(
      Array.from({ length: 10 }, (_, i) => slotOf(i + 1, 7).orders.choices?.join(",")),
    );
    expect(matchOrders.size).toBeGreaterThan(1);
  });

  it("no shuffling where the question or the quiz says so", () => {
    for (let seed = 1; seed <= 10; seed++) {
      expect(slotOf(seed, 8).orders).toEqual({ group1: [0, 2], group2: [1, 3] });
      expect(slotOf(seed, 9).orders).toEqual({ part2: [0, 1, 2] });
    }
    const quiz = { ...v1.quizzes.get("quiz_581")!, shuffleAnswers: false };
    const unshuffled = startAttempt(quiz, v1.bank, 99).slots.find((s) => s.slot === 3)!;
    expect(unshuffled.orders.answers).toEqual([0, 1, 2, 3, 4]);
  });

  it("shuffles questions inside a section that asks for it, keeping the page layout", () => {
    const base = v1.quizzes.get("quiz_582")!;
    const quiz = { ...base, sections: [{ firstSlot: 1, heading: "", shuffleQuestions: true }] };
    const layouts = new Set<string>();
    for (let seed = 1; seed <= 10; seed++) {
      const slots = startAttempt(quiz, v1.bank, seed).slots;
      expect(slots.map((s) => s.slot).sort()).toEqual([1, 2, 3, 4, 5]);
      expect(slots.map((s) => s.page)).toEqual(base.slots.map((s) => s.page));
      layouts.add(slots.map((s) => s.slot).join(","));
    }
    expect(layouts.size).toBeGreaterThan(1);
  });

  it("the review shows the answer given, the state, the mark and the feedback, all disabled", () => {
    const attempt = attemptOf(v1, "quiz_581", 3);
    const body = fieldsFor(5, { answer: "salt" });
    const result = submitAttempt(attempt, body).questions.find((q) => q.slot === 5)!;
    const html = renderQuestion(attempt.slots.find((s) => s.slot === 5)!, {
      resolveFile,
      review: { body, result },
    });
    expect(html).toContain('class="que shortanswer partial"');
    expect(html).toContain('value="salt" autocomplete="off" spellcheck="false" disabled>');
    expect(html).toContain(
      '<div class="outcome partial"><p class="state">Partially correct <span class="mark">Mark 0.80 out of 1.00</span></p>' +
        '<div class="feedback">Nearly: the full term is "salts".</div><div class="generalfeedback">ORS = oral rehydration salts.</div></div>',
    );
    const mcBody = fieldsFor(3, { choice1: "1" });
    const mc = submitAttempt(attempt, mcBody).questions.find((q) => q.slot === 3)!;
    const mcHtml = renderQuestion(attempt.slots.find((s) => s.slot === 3)!, {
      resolveFile,
      review: { body: mcBody, result: mc },
      strings: { partial: "Sebagian benar" },
    });
    expect(mcHtml).toContain('name="q3:choice1" value="1" checked disabled>');
    expect(mcHtml).toContain('Sebagian benar <span class="mark">Mark 0.25 out of 1.00</span>');
  });
});

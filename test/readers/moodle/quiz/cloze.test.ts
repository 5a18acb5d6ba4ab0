// Cloze sub-questions from Moodle's own syntax (used when a backup's sub-question record has
// no answer data): every variant's type, layout, case and shuffle, escapes, weights, and a
// generated cloze question rendered and graded from the codes alone.
import { describe, expect, it } from "vitest";
import { indexQuestionBank } from "../../../../src/readers/moodle/quiz/bank.js";
import { parseClozeCode } from "../../../../src/readers/moodle/quiz/cloze.js";
import {
  buildQuestion,
  gradeQuestion,
  type Question,
  renderQuestion,
  startAttempt,
} from "../../../../src/readers/moodle/quiz/index.js";
import { parseXml } from "../../../../src/readers/moodle/quiz/xml.js";

const fieldsOf = (fields: Record<string, string>) => (name: string) => fields[name] ?? "";
const grade = (q: Question, fields: Record<string, string>) => gradeQuestion(q, fieldsOf(fields)).fraction;

describe("parseClozeCode", () => {
  it("NUMERICAL: value:tolerance answers with fractions and feedback", () => {
    const part = parseClozeCode("{1:NUMERICAL:=1:0#Correct~%0%2:0#Too much}", "283", "9");
    expect(part.type).toBe("numerical");
    if (part.type !== "numerical") return;
    expect(part.answers.map((a) => [a.text.html, a.tolerance, a.fraction, a.feedback.html])).toEqual([
      ["1", 0, 1, "Correct"],
      ["2", 0, 0, "Too much"],
    ]);
    expect(grade(part, { answer: "1" })).toBe(1);
    expect(
      parseClozeCode("{1:NM:=3.14:0.01}", "1", "9").type === "numerical" && grade(part, { answer: "2" }),
    ).toBe(0);
  });

  it("SHORTANSWER_C is case-sensitive, weights come first, %n% is a partial fraction", () => {
    const part = parseClozeCode("{2:SHORTANSWER_C:=Lid#Yes~%50%lid#Capital L~*#No}", "5", "9");
    expect([part.type, part.type === "shortanswer" && part.caseSensitive, part.defaultMark]).toEqual([
      "shortanswer",
      true,
      2,
    ]);
    expect([
      grade(part, { answer: "Lid" }),
      grade(part, { answer: "lid" }),
      grade(part, { answer: "LID" }),
    ]).toEqual([1, 0.5, 0]);
    const sa = parseClozeCode("{:SA:=lid}", "6", "9");
    expect([sa.defaultMark, grade(sa, { answer: "LID" })]).toEqual([1, 1]);
  });

  it("the choice variants: dropdown, vertical, horizontal, several answers, shuffled", () => {
    const layouts = [
      "MULTICHOICE",
      "MC",
      "MULTICHOICE_V",
      "MCH",
      "MULTIRESPONSE",
      "MRH",
      "MCVS",
      "MULTIRESPONSE_S",
    ].map((name) => {
      const p = parseClozeCode(`{1:${name}:=a~b}`, "7", "9");
      return p.type === "multichoice" ? [name, p.single, p.layout, p.shuffle] : [name];
    });
    expect(layouts).toEqual([
      ["MULTICHOICE", true, 0, false],
      ["MC", true, 0, false],
      ["MULTICHOICE_V", true, 1, false],
      ["MCH", true, 2, false],
      ["MULTIRESPONSE", false, 1, false],
      ["MRH", false, 2, false],
      ["MCVS", true, 1, true],
      ["MULTIRESPONSE_S", false, 1, true],
    ]);
    const mr = parseClozeCode("{1:MR:%50%a~%50%b~%-100%c}", "8", "9");
    expect([grade(mr, { choice0: "1", choice1: "1" }), grade(mr, { choice0: "1", choice2: "1" })]).toEqual([
      1, 0,
    ]);
  });

  it("escaped separators stay in the text; anything else is a typed error", () => {
    const part = parseClozeCode("{1:MULTICHOICE:=a\\~b#fb \\# 1~c\\}d}", "9", "9");
    expect(part.type === "multichoice" && part.answers.map((a) => [a.text.html, a.feedback.html])).toEqual([
      ["a~b", "fb # 1"],
      ["c}d", ""],
    ]);
    expect(() => parseClozeCode("{1:ESSAY:=x}", "10", "9")).toThrow(
      'question 10: "{1:ESSAY:=x}" is not a cloze sub-question',
    );
    expect(() => parseClozeCode("{1:MC:%150%x}", "11", "9")).toThrow(
      "question 11: cloze answer 1 weighs 150%",
    );
    expect(() => parseClozeCode("{1:NM:=abc}", "12", "9")).toThrow(
      'question 12: cloze answer "abc" is not a number',
    );
  });
});

describe("a cloze question whose sub-question records hold only their codes", () => {
  const sub = (id: number, code: string) =>
    `<question id="${id}"><parent>1</parent><name>c</name><questiontext>${code}</questiontext><questiontextformat>0</questiontextformat>` +
    `<defaultmark>1</defaultmark><qtype>multichoice</qtype></question>`;
  const bank = indexQuestionBank(
    parseXml(
      `<question_categories><question_category id="9"><name>C</name><questions>` +
        `<question id="1"><parent>0</parent><name>Cloze</name><questiontext>&lt;p&gt;Pick {#1}. Then {#2}.&lt;/p&gt;</questiontext>` +
        `<questiontextformat>1</questiontextformat><defaultmark>3</defaultmark><qtype>multianswer</qtype>` +
        `<plugin_qtype_multianswer_question><multianswer id="1"><question>1</question><sequence>2,3</sequence></multianswer>` +
        `</plugin_qtype_multianswer_question></question>` +
        sub(2, "{1:MULTIRESPONSE:%50%red~%50%blue~%-100%green}") +
        sub(3, "{2:MULTICHOICE_H:=yes#Right~no#Wrong}") +
        `</questions></question_category></question_categories>`,
      "fixture",
    ),
  );
  const quiz = {
    id: "1",
    name: "Q",
    intro: { html: "", area: { component: "mod_quiz", filearea: "intro", itemid: "0" } },
    preferredBehaviour: "deferredfeedback",
    shuffleAnswers: true,
    grade: 10,
    sumGrades: 3,
    decimalPoints: 2,
    questionsPerPage: 1,
    slots: [{ slot: 1, page: 1, maxMark: 3, ref: { kind: "question" as const, questionId: "1" } }],
    sections: [{ firstSlot: 1, heading: "", shuffleQuestions: false }],
  };

  it("renders checkboxes and horizontal radios inside the sentence", () => {
    const html = renderQuestion(startAttempt(quiz, bank, 1).slots[0]!, { resolveFile: () => "" });
    expect(html).toContain(
      '<p>Pick <span class="answer"><label class="choice"><input type="checkbox" name="q1:sub1_choice0" value="1"> <span>red</span></label>',
    );
    expect(html).toContain(
      'Then <span class="answer horizontal"><label class="choice"><input type="radio" name="q1:sub2_answer" value="0"> <span>yes</span></label>',
    );
  });

  it("grades each part, weighted 1 and 2", () => {
    const q = buildQuestion(bank, "1");
    expect(q.type).toBe("multianswer");
    if (q.type === "broken") return;
    expect(grade(q, { sub1_choice0: "1", sub1_choice1: "1", sub2_answer: "0" })).toBe(1);
    // (1 × 0.5 + 2 × 1) / 3
    expect(grade(q, { sub1_choice0: "1", sub2_answer: "0" })).toBeCloseTo(0.8333333, 7);
    // (1 × 1 + 2 × 0) / 3
    expect(grade(q, { sub1_choice0: "1", sub1_choice1: "1", sub2_answer: "1" })).toBeCloseTo(0.3333333, 7);
    const fb = gradeQuestion(q, fieldsOf({ sub2_answer: "1" })).feedback.map((f) => f.html);
    expect(fb).toEqual(["Wrong"]);
  });
});

// Backup XML as hostile input: a bad fraction, a missing question, a gap naming no choice,
// malformed or entity-laden XML each break only what they touch, with a typed error; the
// rest of the quiz renders and grades. Also Moodle 4.x random slots, @@PLUGINFILE@@ links,
// graded units and other rules checked on generated fixtures.
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { extractArchive } from "../../../../src/archive/index.js";
import { indexQuestionBank } from "../../../../src/readers/moodle/quiz/bank.js";
import {
  buildQuestion,
  gradeQuestion,
  QuizError,
  readQuestionBank,
  readQuiz,
  renderQuestion,
  startAttempt,
  submitAttempt,
  wildcardMatches,
} from "../../../../src/readers/moodle/quiz/index.js";
import { parseXml } from "../../../../src/readers/moodle/quiz/xml.js";
import { MOODLE51_DIR } from "../../../support/corpus.js";
import { fieldsFor, tempDir } from "./helpers.js";

const present = existsSync(join(MOODLE51_DIR, "community-health@v1.mbz"));
if (!present) console.warn(`skipping the real-backup cases: no Moodle 5.1 backups at ${MOODLE51_DIR}`);

let dir: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  dir = await tempDir("hc-quizbad-");
});
afterAll(() => dir?.remove());

const QUIZ = "activities/quiz_581";

describe.skipIf(!present)("a damaged copy of the real 5.1 backup", () => {
  let source: string;
  let questionsXml: string;
  let quizXml: string;
  beforeAll(async () => {
    source = join(dir.path, "v1");
    await extractArchive(join(MOODLE51_DIR, "community-health@v1.mbz"), source);
    questionsXml = await readFile(join(source, "questions.xml"), "utf8");
    quizXml = await readFile(join(source, QUIZ, "quiz.xml"), "utf8");
  });

  /** A tree holding only questions.xml and the quiz, each as given. */
  async function treeWith(name: string, questions: string, quiz = quizXml): Promise<string> {
    const root = join(dir.path, name);
    await mkdir(join(root, QUIZ), { recursive: true });
    await writeFile(join(root, "questions.xml"), questions);
    await writeFile(join(root, QUIZ, "quiz.xml"), quiz);
    return root;
  }

  const states = (root: string, seed = 1) =>
    Promise.all([readQuiz(root, QUIZ), readQuestionBank(root)]).then(([quiz, bank]) =>
      startAttempt(quiz, bank, seed),
    );

  it("a bad fraction, a missing question and a bad gap break only their own slots", async () => {
    const damaged = questionsXml
      .replace(
        /(<answertext>Advise, support and refer households<\/answertext>\s*<answerformat>1<\/answerformat>\s*)<fraction>1.0000000<\/fraction>/,
        "$1<fraction>1,5</fraction>",
      )
      .replace(/<question_bank_entry id="268">[\s\S]*?<\/question_bank_entry>/, "")
      .replace("for at least [[2]] seconds", "for at least [[9]] seconds");
    expect(damaged).not.toBe(questionsXml);
    const attempt = await states(await treeWith("damaged", damaged));
    const broken = attempt.slots.filter((s) => s.question.type === "broken");
    expect(
      broken.map(
        (s) => s.question.type === "broken" && [s.slot, s.question.error.code, s.question.error.message],
      ),
    ).toEqual([
      [2, "bad-fraction", 'question 275: answer 767 has fraction "1,5" (must be -1 to 1)'],
      [4, "missing-question", "question entry 268: not in questions.xml"],
      [8, "bad-structure", "question 281: gap [[9]] names no choice (4 choices)"],
    ]);
    expect(renderQuestion(broken[0]!, { resolveFile: () => "" })).toBe(
      '<div class="que broken" id="q2" role="alert"><p>This question cannot be shown offline (bad-fraction)</p></div>',
    );
    // The other seven still render and grade.
    expect(attempt.slots.filter((s) => s.question.type !== "broken")).toHaveLength(7);
    const result = submitAttempt(attempt, {
      ...fieldsFor(2, { answer: "0" }),
      ...fieldsFor(5, { answer: "salts" }),
    });
    expect(result.questions.map((q) => [q.slot, q.state, q.mark])).toEqual([
      [1, "info", null],
      [2, "unavailable", null],
      [3, "notanswered", null],
      [4, "unavailable", null],
      [5, "correct", 1],
      [6, "notanswered", null],
      [7, "notanswered", null],
      [8, "unavailable", null],
      [9, "notanswered", null],
      [10, "notanswered", null],
    ]);
    expect(result.grade).toBeCloseTo(6.6666667, 6);
  });

  it("a truncated questions.xml: every slot says why, nothing throws", async () => {
    const root = await treeWith("truncated", questionsXml.slice(0, 20_000));
    const bank = await readQuestionBank(root);
    expect(bank.error?.code).toBe("malformed-xml");
    expect(bank.error?.message).toMatch(/^questions\.xml is not well-formed XML: /);
    const attempt = await states(root);
    expect(attempt.slots.map((s) => s.question.type === "broken" && s.question.error.code)).toEqual(
      Array(10).fill("malformed-xml"),
    );
    for (const slot of attempt.slots)
      expect(renderQuestion(slot, { resolveFile: () => "" })).toContain('role="alert"');
    expect(submitAttempt(attempt, {}).grade).toBe(0);
  });

  it("entity declarations (XML bombs) are refused before parsing", async () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE q [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><question_categories>&b;</question_categories>`;
    const bank = await readQuestionBank(await treeWith("bomb", bomb));
    expect([bank.error?.code, bank.error?.message]).toEqual([
      "malformed-xml",
      "questions.xml: DTDs are not allowed",
    ]);
  });

  it("a broken or missing quiz.xml is a QuizError for the activity", async () => {
    const root = await treeWith("badquiz", questionsXml, quizXml.slice(0, 3000));
    await expect(readQuiz(root, QUIZ)).rejects.toMatchObject({ name: "QuizError", code: "malformed-xml" });
    await expect(readQuiz(root, "activities/../../etc")).rejects.toMatchObject({ code: "bad-structure" });
    await expect(readQuiz(root, "activities/quiz_999")).rejects.toThrow(
      new QuizError("missing-file", "activities/quiz_999/quiz.xml is missing"),
    );
  });

  it("Moodle 4.x random slots pick from their category, skipping questions already in the attempt", async () => {
    const randomSlot = (slot: number, filter: string) =>
      `<question_instance id="9${slot}"><slot>${slot}</slot><page>${slot}</page><maxmark>2.0000000</maxmark>` +
      `<question_set_reference id="9${slot}"><usingcontextid>718</usingcontextid><questionscontextid>720</questionscontextid>` +
      `<filtercondition>${filter}</filtercondition></question_set_reference></question_instance>`;
    const quiz = quizXml.replace(
      "</question_instances>",
      randomSlot(11, '{"questioncategoryid":"123","includingsubcategories":"0"}') +
        randomSlot(
          12,
          "{&quot;filter&quot;:{&quot;category&quot;:{&quot;jointype&quot;:1,&quot;values&quot;:[&quot;122&quot;],&quot;filteroptions&quot;:{&quot;includesubcategories&quot;:true}}}}",
        ) +
        randomSlot(13, '{"questioncategoryid":"121","includingsubcategories":"0"}') +
        "</question_instances>",
    );
    const root = await treeWith("random", questionsXml, quiz);
    // Category 123 ("Shared: water and nutrition", under 122) holds questions 287–291.
    const shared = ["287", "288", "289", "290", "291"];
    const picks = new Set<string>();
    for (let seed = 1; seed <= 10; seed++) {
      const slots = (await states(root, seed)).slots;
      const [a, b, c] = [11, 12, 13].map((n) => slots.find((s) => s.slot === n)!);
      expect(shared).toContain(a!.question.id);
      expect(shared).toContain(b!.question.id);
      expect(a!.question.id).not.toBe(b!.question.id);
      expect([a!.maxMark, c!.question.type === "broken" && c!.question.error.code]).toEqual([
        2,
        "empty-category",
      ]);
      picks.add(a!.question.id);
    }
    expect(picks.size).toBeGreaterThan(1);
  });
});

/** A Moodle 2.x questions.xml with the questions below in category 7. */
const bankXml = (questions: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><question_categories><question_category id="7"><name>Fixtures</name>` +
  `<parent>0</parent><questions>${questions}</questions></question_category></question_categories>`;

const question = (id: number, qtype: string, text: string, plugin: string) =>
  `<question id="${id}"><parent>0</parent><name>Q${id}</name><questiontext>${text}</questiontext>` +
  `<questiontextformat>1</questiontextformat><generalfeedback></generalfeedback><defaultmark>1.0000000</defaultmark>` +
  `<qtype>${qtype}</qtype><hidden>0</hidden><plugin_qtype_${qtype}_question>${plugin}</plugin_qtype_${qtype}_question></question>`;

const ans = (id: number, text: string, fraction: string) =>
  `<answer id="${id}"><answertext>${text}</answertext><answerformat>0</answerformat><fraction>${fraction}</fraction>` +
  `<feedback>fb${id}</feedback><feedbackformat>1</feedbackformat></answer>`;

describe("generated questions", () => {
  const bank = indexQuestionBank(
    parseXml(
      bankXml(
        question(
          1,
          "numerical",
          "How long is it?",
          `<answers>${ans(11, "1.5", "1.0000000")}${ans(12, "1.5", "0.5000000")}</answers>` +
            "<numerical_units><numerical_unit id='1'><multiplier>1</multiplier><unit>m</unit></numerical_unit>" +
            "<numerical_unit id='2'><multiplier>100</multiplier><unit>cm</unit></numerical_unit></numerical_units>" +
            "<numerical_options><numerical_option id='1'><showunits>0</showunits><unitsleft>0</unitsleft>" +
            "<unitgradingtype>1</unitgradingtype><unitpenalty>0.1000000</unitpenalty></numerical_option></numerical_options>" +
            "<numerical_records><numerical_record id='1'><answer>11</answer><tolerance>0.05</tolerance></numerical_record>" +
            "<numerical_record id='2'><answer>12</answer><tolerance>0.5</tolerance></numerical_record></numerical_records>",
        ) +
          question(
            2,
            "shortanswer",
            "Name it",
            `<answers>${ans(21, "Mal*ia", "1.0000000")}${ans(22, "2\\*3", "0.5000000")}</answers><shortanswer id="1"><usecase>1</usecase></shortanswer>`,
          ) +
          question(
            3,
            "coderunner",
            "&lt;p&gt;Write a function &lt;img src=&quot;@@PLUGINFILE@@/chart%201.png&quot;&gt;&lt;/p&gt;",
            "<coderunner_options><template>lots</template></coderunner_options>",
          ),
      ),
      "fixture",
    ),
  );
  const grade = (id: string, fields: Record<string, string>) => {
    const q = buildQuestion(bank, id);
    if (q.type === "broken") throw q.error;
    return gradeQuestion(q, (name) => fields[name] ?? "").fraction;
  };

  it("numerical with graded units: right unit full, missing unit penalised by 10% of the mark", () => {
    expect(grade("1", { answer: "1.5 m" })).toBe(1);
    expect(grade("1", { answer: "150 cm" })).toBe(1);
    expect(grade("1", { answer: "1.5e0 m" })).toBe(1);
    expect(grade("1", { answer: "1.5" })).toBeCloseTo(0.9, 10);
    expect(grade("1", { answer: "1.8 m" })).toBe(0.5);
    expect(grade("1", { answer: "1.8" })).toBeCloseTo(0.45, 10);
    expect(grade("1", { answer: "3 m" })).toBe(0);
  });

  it("shortanswer: * in the middle, an escaped \\*, case-sensitive", () => {
    expect(grade("2", { answer: "Malaria" })).toBe(1);
    expect(grade("2", { answer: "malaria" })).toBe(0);
    expect(grade("2", { answer: "2*3" })).toBe(0.5);
    expect(grade("2", { answer: "2x3" })).toBe(0);
    expect(wildcardMatches("a.b", "a.b", false)).toBe(true);
    expect(wildcardMatches("axb", "a.b", false)).toBe(false);
  });

  it("another plugin type is shown with a free-text box; @@PLUGINFILE@@ goes to the resolver", () => {
    const attempt = startAttempt(
      {
        id: "1",
        name: "Fixture",
        intro: { html: "", area: { component: "mod_quiz", filearea: "intro", itemid: "0" } },
        preferredBehaviour: "deferredfeedback",
        shuffleAnswers: true,
        grade: 10,
        sumGrades: 1,
        decimalPoints: 2,
        questionsPerPage: 1,
        slots: [{ slot: 1, page: 1, maxMark: 1, ref: { kind: "question", questionId: "3" } }],
        sections: [{ firstSlot: 1, heading: "", shuffleQuestions: false }],
      },
      bank,
      1,
    );
    const asked: unknown[] = [];
    const html = renderQuestion(attempt.slots[0]!, {
      resolveFile: (file) => {
        asked.push(file);
        return `/files/${file.itemid}${file.path}?a&b`;
      },
    });
    expect(asked).toEqual([
      { component: "question", filearea: "questiontext", itemid: "3", path: "/chart%201.png" },
    ]);
    expect(html).toContain('<img src="/files/3/chart%201.png?a&#38;b">');
    expect(html).toContain('<textarea id="q1-answer" name="q1:answer" rows="5"></textarea>');
    const result = submitAttempt(attempt, { "q1:answer": "def f(): pass" });
    expect([result.questions[0]!.state, result.questions[0]!.qtype, result.needsGrading]).toEqual([
      "needsgrading",
      "coderunner",
      true,
    ]);
  });
});

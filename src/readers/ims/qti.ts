// QTI 1.2 assessments of a Common Cartridge as questions of the offline quiz engine
// (../moodle/quiz): the cartridge profiles map onto Moodle's types and are graded with its rules.
//   cc.multiple_choice, cc.true_false  → multichoice (one answer; the package's own labels)
//   cc.multiple_response               → multichoice (several answers: right ones share 1, wrong ones take it back)
//   cc.fib, cc.pattern_match           → shortanswer (pattern_match: the text contains the answer)
//   cc.essay                           → essay (kept for a teacher)
//   anything else                      → ungradable: its text and a free-text box, kept for later
import type { Attempt, AttemptSlot } from "../moodle/quiz/attempt.js";
import type { Answer, FileArea, Question, Quiz, RichText } from "../moodle/quiz/model.js";
import { permutation, seededRandom } from "../moodle/quiz/shuffle.js";
import { escapeHtml } from "../moodle/quiz/text.js";
import { child, list, obj, parseXml, text, values, type XmlNode } from "../xml.js";

/** Question texts arrive with their links rewritten already: nothing is left for the engine to resolve. */
const AREA: FileArea = { component: "ims", filearea: "qti", itemid: "0" };
const rich = (html: string): RichText => ({ html, area: AREA });
const none = rich("");

export interface QtiAssessment {
  title: string;
  questions: Question[];
  /** Answers shuffled where the package allows it. */
  shuffle: Map<string, boolean>;
}

/** Every element with local name `name` below `node`, depth first (QTI nests conditions freely). */
function descendants(node: unknown, name: string, depth = 0): XmlNode[] {
  if (depth > 30 || node === null || typeof node !== "object") return [];
  const found: XmlNode[] = [];
  for (const [key, value] of Object.entries(node as XmlNode)) {
    if (key.startsWith("@") || key === "#text") continue;
    const local = key.slice(key.indexOf(":") + 1);
    for (const v of Array.isArray(value) ? value : [value]) {
      if (local === name) found.push(obj(v));
      found.push(...descendants(v, name, depth + 1));
    }
  }
  return found;
}

/** A <material>'s text as HTML (plain mattext is escaped). */
function material(node: XmlNode, html: (s: string) => string): string {
  return list(child(node, "material"))
    .flatMap((m) => values(child(m, "mattext")))
    .map((t) => {
      const value = text(t);
      return /html/i.test(text(obj(t)["@texttype"])) ? html(value) : escapeHtml(value).replace(/\n/g, "<br>");
    })
    .join("");
}

function metadata(item: XmlNode): Map<string, string> {
  const fields = new Map<string, string>();
  for (const f of descendants(child(item, "itemmetadata"), "qtimetadatafield"))
    fields.set(text(child(f, "fieldlabel")).trim(), text(child(f, "fieldentry")).trim());
  return fields;
}

/** Response idents that earn marks: varequal in a condition that sets a positive score, not under <not>. */
function rightIdents(item: XmlNode): Set<string> {
  const right = new Set<string>();
  for (const cond of descendants(child(item, "resprocessing"), "respcondition")) {
    const scores = list(child(cond, "setvar")).map((s) => Number(text(s)));
    if (!scores.some((s) => s > 0)) continue;
    const vars = obj(child(cond, "conditionvar"));
    const negated = new Set(
      descendants(vars, "not").flatMap((n) => descendants(n, "varequal").map((v) => text(v).trim())),
    );
    for (const v of descendants(vars, "varequal"))
      if (!negated.has(text(v).trim())) right.add(text(v).trim());
    for (const v of descendants(vars, "varsubstring")) right.add(`*${text(v).trim()}*`);
  }
  return right;
}

/** Feedback texts by ident (<itemfeedback ident="…">), and which ident each response shows. */
function feedback(item: XmlNode, html: (s: string) => string) {
  const byIdent = new Map<string, string>();
  for (const f of list(child(item, "itemfeedback"))) {
    const inner = obj(child(f, "flow_mat"));
    byIdent.set(text(f["@ident"]), material(Object.keys(inner).length ? inner : f, html));
  }
  const forResponse = new Map<string, string>();
  for (const cond of descendants(child(item, "resprocessing"), "respcondition")) {
    const shown = list(child(cond, "displayfeedback")).map((d) => byIdent.get(text(d["@linkrefid"])) ?? "");
    const vars = descendants(child(cond, "conditionvar"), "varequal");
    if (vars.length === 1 && shown[0]) forResponse.set(text(vars[0]).trim(), shown[0]);
  }
  return { general: byIdent.get("general_fb") ?? "", forResponse };
}

function answerOf(id: string, html: string, fraction: number, fb: string): Answer {
  return { id, text: rich(html), fraction, feedback: rich(fb) };
}

function question(item: XmlNode, index: number, html: (s: string) => string): Question {
  const meta = metadata(item);
  const profile = (meta.get("cc_profile") ?? meta.get("question_type") ?? "").replace(/\.v\d+p\d+$/, "");
  const presentation = obj(child(item, "presentation"));
  const fb = feedback(item, html);
  const common = {
    id: text(item["@ident"]) || `item${index + 1}`,
    bankEntryId: null,
    version: null,
    categoryId: "",
    name: text(item["@title"]),
    qtype: profile || "unknown",
    text: rich(material(presentation, html)),
    generalFeedback: rich(fb.general),
    defaultMark: Number(meta.get("cc_weighting")) > 0 ? Number(meta.get("cc_weighting")) : 1,
  };
  const right = rightIdents(item);
  const combined = { correct: null, partial: null, incorrect: null };
  if (["cc.multiple_choice", "cc.true_false", "cc.multiple_response"].includes(profile)) {
    const lid = descendants(presentation, "response_lid")[0] ?? {};
    const labels = descendants(lid, "response_label");
    const single = profile !== "cc.multiple_response";
    const rightCount = Math.max(1, labels.filter((l) => right.has(text(l["@ident"]))).length);
    const answers = labels.map((l) => {
      const ident = text(l["@ident"]);
      const isRight = right.has(ident);
      const fraction = isRight ? (single ? 1 : 1 / rightCount) : single ? 0 : -1 / rightCount;
      return answerOf(ident, material(l, html), fraction, fb.forResponse.get(ident) ?? "");
    });
    const shuffle = /^yes$/i.test(text(obj(child(lid, "render_choice"))["@shuffle"]));
    return { ...common, type: "multichoice", single, shuffle, layout: 1, answers, combined };
  }
  if (profile === "cc.fib" || profile === "cc.pattern_match") {
    const caseSensitive = descendants(child(item, "resprocessing"), "varequal").some((v) =>
      /^yes$/i.test(text(v["@case"])),
    );
    // Patterns are literal except pattern_match's own "contains" stars.
    const answers = [...right].map((r, i) =>
      answerOf(`a${i}`, escapeHtml(r.startsWith("*") ? r : r.replace(/\*/g, "\\*")), 1, ""),
    );
    return { ...common, type: "shortanswer", caseSensitive, answers };
  }
  if (profile === "cc.essay") return { ...common, type: "essay", lines: 10, template: "" };
  return { ...common, type: "ungradable", inputs: [] };
}

/** Parse a cartridge's QTI file; `html` rewrites a text's links (relative to the file's folder). */
export function parseAssessment(xml: string, file: string, html: (s: string) => string): QtiAssessment {
  const doc = parseXml(xml, file);
  const assessment = obj(child(obj(child(doc, "questestinterop")), "assessment"));
  const items = descendants(assessment, "item");
  const questions = items.map((item, i) => question(item, i, html));
  const shuffle = new Map(questions.map((q) => [q.id, q.type === "multichoice" && q.shuffle]));
  return { title: text(assessment["@title"]), questions, shuffle };
}

/** One attempt at the assessment: every question on one page, answers shuffled from the seed. */
export function assessmentAttempt(id: string, a: QtiAssessment, seed: number): Attempt {
  const sum = a.questions.reduce((s, q) => s + (q.type === "description" ? 0 : q.defaultMark), 0);
  const quiz: Quiz = {
    id,
    name: a.title,
    intro: none,
    preferredBehaviour: "deferredfeedback",
    shuffleAnswers: true,
    grade: sum,
    sumGrades: sum,
    decimalPoints: 2,
    questionsPerPage: 0,
    slots: [],
    sections: [],
  };
  const slots = a.questions.map((q, i): AttemptSlot => {
    const random = seededRandom(seed, i + 1, q.id, "answers");
    const orders: Record<string, number[]> =
      q.type === "multichoice"
        ? { answers: permutation(q.answers.length, a.shuffle.get(q.id) ?? false, random) }
        : {};
    return { slot: i + 1, page: 0, number: i + 1, maxMark: q.defaultMark, question: q, orders };
  });
  return { seed, quiz, slots };
}

// Builds model questions from the raw <question> elements of a question bank, one qtype at
// a time, checking what grading relies on (fractions, tolerances, gap numbers). A question
// that fails a check becomes a BrokenQuestion with a typed error; types the Pi cannot grade
// become "ungradable" questions that still show their text.
import type { BankQuestion, QuestionBank } from "./bank.js";
import { parseClozeCode } from "./cloze.js";
import { QuestionError } from "./errors.js";
import type {
  Answer,
  BrokenQuestion,
  ClozePart,
  CombinedFeedback,
  FileArea,
  GapChoice,
  NumericalAnswer,
  NumericalUnit,
  Question,
} from "./model.js";
import { plainRich, plainText, richText } from "./text.js";
import { children, flagOf, node, numberOf, textOf, type XmlNode } from "./xml.js";

/** Fields every question type shares. */
type Common = Omit<Extract<Question, { type: "description" }>, "type">;

const area = (filearea: string, itemid: string, component = "question"): FileArea => ({
  component,
  filearea,
  itemid,
});

/** Build the question with id `id`, or say why it cannot be used. Cached per bank. */
export function buildQuestion(bank: QuestionBank, id: string): Question | BrokenQuestion {
  const cache = builtCache(bank);
  const cached = cache.get(id);
  if (cached) return cached;
  const raw = bank.questions.get(id);
  let built: Question | BrokenQuestion;
  try {
    if (bank.error) throw new QuestionError(bank.error.code, id, bank.error.message);
    if (!raw) throw new QuestionError("missing-question", id, "not in questions.xml");
    built = buildFrom(bank, raw);
  } catch (err) {
    if (!(err instanceof QuestionError)) throw err;
    built = { type: "broken", id, qtype: raw?.qtype ?? "", error: err };
  }
  cache.set(id, built);
  return built;
}

const caches = new WeakMap<QuestionBank, Map<string, Question | BrokenQuestion>>();
function builtCache(bank: QuestionBank): Map<string, Question | BrokenQuestion> {
  let cache = caches.get(bank);
  if (!cache) {
    cache = new Map();
    caches.set(bank, cache);
  }
  return cache;
}

function buildFrom(bank: QuestionBank, raw: BankQuestion): Question {
  const q = raw.element;
  const common: Common = {
    id: raw.id,
    bankEntryId: raw.entryId,
    version: raw.version,
    categoryId: raw.categoryId,
    name: textOf(q, "name"),
    qtype: raw.qtype,
    text: richText(q, "questiontext", area("questiontext", raw.id)),
    generalFeedback: richText(q, "generalfeedback", area("generalfeedback", raw.id)),
    defaultMark: checkedNumber(raw.id, numberOf(q, "defaultmark", 1), "defaultmark", 0),
  };
  const plugin = node(q[`plugin_qtype_${raw.qtype}_question`]);
  switch (raw.qtype) {
    case "multichoice":
      return multichoice(common, plugin);
    case "truefalse":
      return truefalse(common, plugin);
    case "shortanswer":
      return { ...common, type: "shortanswer", ...shortanswerParts(common, plugin) };
    case "numerical":
      return numerical(common, plugin);
    case "match":
      return match(common, plugin);
    case "gapselect":
    case "ddwtos":
      return gaps(common, plugin, raw.qtype);
    case "multianswer":
      return multianswer(bank, common, plugin);
    case "essay": {
      const essay = node(plugin.essay);
      const lines = numberOf(essay, "responsefieldlines", 15);
      return {
        ...common,
        type: "essay",
        lines: Number.isInteger(lines) && lines > 0 && lines <= 40 ? lines : 15,
        template: textOf(essay, "responsetemplate"),
      };
    }
    case "description":
      return { ...common, type: "description" };
    default:
      return { ...common, type: "ungradable", inputs: namedInputs(common.text.html) };
  }
}

/** STACK-style answer fields in the text: [[input:name]], each name once. */
function namedInputs(html: string): string[] {
  const names = [...html.matchAll(/\[\[input:([A-Za-z][A-Za-z0-9_]{0,63})\]\]/g)].map((m) => m[1]!);
  return [...new Set(names)];
}

function checkedNumber(id: string, value: number, what: string, min: number): number {
  if (!Number.isFinite(value) || value < min) {
    throw new QuestionError("bad-number", id, `${what} is not a number ≥ ${min}`);
  }
  return value;
}

function answersOf(common: Common, plugin: XmlNode, textIsHtml: boolean): Answer[] {
  return children(plugin.answers, "answer").map((a) => {
    const id = textOf(a, "@id");
    const fraction = numberOf(a, "fraction", Number.NaN);
    if (!Number.isFinite(fraction) || fraction < -1 || fraction > 1) {
      throw new QuestionError(
        "bad-fraction",
        common.id,
        `answer ${id || "?"} has fraction "${textOf(a, "fraction")}" (must be -1 to 1)`,
      );
    }
    const answerArea = area("answer", id);
    return {
      id,
      text: textIsHtml
        ? richText(a, "answertext", answerArea)
        : plainRich(textOf(a, "answertext"), answerArea),
      fraction,
      feedback: richText(a, "feedback", area("answerfeedback", id)),
    };
  });
}

function requireAnswers<T>(common: Common, answers: T[]): T[] {
  if (answers.length === 0)
    throw new QuestionError("bad-structure", common.id, `${common.qtype} has no answers`);
  return answers;
}

function combinedFeedback(id: string, options: XmlNode): CombinedFeedback {
  const one = (field: string) => {
    const text = richText(options, field, area(field, id));
    return text.html.trim() === "" ? null : text;
  };
  return {
    correct: one("correctfeedback"),
    partial: one("partiallycorrectfeedback"),
    incorrect: one("incorrectfeedback"),
  };
}

function multichoice(common: Common, plugin: XmlNode): Question & { type: "multichoice" } {
  const options = node(plugin.multichoice);
  const layout = numberOf(options, "layout", 1);
  return {
    ...common,
    type: "multichoice",
    single: flagOf(options, "single", true),
    shuffle: flagOf(options, "shuffleanswers", true),
    layout: layout === 0 || layout === 2 ? layout : 1,
    answers: requireAnswers(common, answersOf(common, plugin, true)),
    combined: combinedFeedback(common.id, options),
  };
}

function truefalse(common: Common, plugin: XmlNode): Question & { type: "truefalse" } {
  const answers = answersOf(common, plugin, true);
  const options = node(plugin.truefalse);
  const byId = (field: string) => answers.find((a) => a.id === textOf(options, field));
  // Old backups may lack the ids: Moodle writes True first, False second.
  const trueAnswer = byId("trueanswer") ?? answers[0];
  const falseAnswer = byId("falseanswer") ?? answers[1];
  if (!trueAnswer || !falseAnswer || trueAnswer === falseAnswer) {
    throw new QuestionError("bad-structure", common.id, "truefalse needs a true and a false answer");
  }
  return { ...common, type: "truefalse", trueAnswer, falseAnswer };
}

function shortanswerParts(common: Common, plugin: XmlNode): { caseSensitive: boolean; answers: Answer[] } {
  return {
    caseSensitive: flagOf(node(plugin.shortanswer), "usecase", false),
    answers: requireAnswers(common, answersOf(common, plugin, false)),
  };
}

function numerical(common: Common, plugin: XmlNode): Question & { type: "numerical" } {
  const tolerances = new Map<string, number>();
  for (const r of children(plugin.numerical_records, "numerical_record")) {
    tolerances.set(textOf(r, "answer"), numberOf(r, "tolerance", 0));
  }
  const answers: NumericalAnswer[] = answersOf(common, plugin, false).map((a) => {
    const raw = plainText(a.text.html);
    if (raw !== "*" && !Number.isFinite(Number(raw))) {
      throw new QuestionError("bad-number", common.id, `numerical answer ${a.id} "${raw}" is not a number`);
    }
    const tolerance = Math.abs(tolerances.get(a.id) ?? 0);
    if (!Number.isFinite(tolerance)) {
      throw new QuestionError("bad-number", common.id, `answer ${a.id} has a tolerance that is not a number`);
    }
    return { ...a, tolerance };
  });
  const units: NumericalUnit[] = children(plugin.numerical_units, "numerical_unit")
    .map((u) => ({ unit: textOf(u, "unit").trim(), multiplier: numberOf(u, "multiplier", 1) }))
    .filter((u) => u.unit !== "" && Number.isFinite(u.multiplier) && u.multiplier !== 0);
  const options = node(node(plugin.numerical_options).numerical_option);
  const penalty = numberOf(options, "unitpenalty", 0);
  return {
    ...common,
    type: "numerical",
    answers: requireAnswers(common, answers),
    units,
    unitDisplay: numberOf(options, "showunits", 3),
    unitGrading: numberOf(options, "unitgradingtype", 0),
    unitPenalty: Number.isFinite(penalty) ? Math.min(Math.max(penalty, 0), 1) : 0,
  };
}

function match(common: Common, plugin: XmlNode): Question & { type: "match" } {
  const options = node(plugin.matchoptions);
  const choices: string[] = [];
  const stems: { text: ReturnType<typeof richText>; choice: number }[] = [];
  for (const m of children(plugin.matches, "match")) {
    const answer = plainText(textOf(m, "answertext"));
    // Moodle merges identical answer texts into one choice.
    let choice = choices.indexOf(answer);
    if (choice < 0) choice = choices.push(answer) - 1;
    const stem = richText(m, "questiontext", area("subquestion", textOf(m, "@id"), "qtype_match"));
    if (stem.html.trim() !== "") stems.push({ text: stem, choice });
  }
  if (stems.length === 0) throw new QuestionError("bad-structure", common.id, "match has no stems");
  return {
    ...common,
    type: "match",
    shuffle: flagOf(options, "shuffleanswers", true),
    stems,
    choices,
    combined: combinedFeedback(common.id, options),
  };
}

/** gapselect keeps the group in the feedback field; ddwtos a serialised PHP object there. */
function gapGroup(feedback: string): number {
  const serialised = /"draggroup";(?:s:\d+:"(\d+)"|i:(\d+))/.exec(feedback);
  const group = Number(serialised ? (serialised[1] ?? serialised[2]) : feedback.trim());
  return Number.isInteger(group) && group > 0 ? group : 1;
}

function gaps(
  common: Common,
  plugin: XmlNode,
  qtype: "gapselect" | "ddwtos",
): Question & { type: typeof qtype } {
  const choices: GapChoice[] = children(plugin.answers, "answer").map((a) => ({
    text: plainText(textOf(a, "answertext")),
    group: gapGroup(textOf(a, "feedback")),
  }));
  const places = [...common.text.html.matchAll(/\[\[(\d+)\]\]/g)].map((m) => Number(m[1]));
  if (places.length === 0) throw new QuestionError("bad-structure", common.id, `${qtype} has no [[n]] gaps`);
  const bad = places.find((n) => n < 1 || n > choices.length);
  if (bad !== undefined) {
    throw new QuestionError(
      "bad-structure",
      common.id,
      `gap [[${bad}]] names no choice (${choices.length} choices)`,
    );
  }
  const options = node(plugin[qtype]);
  return {
    ...common,
    type: qtype,
    shuffle: flagOf(options, "shuffleanswers", true),
    choices,
    places,
    combined: combinedFeedback(common.id, options),
  };
}

function multianswer(
  bank: QuestionBank,
  common: Common,
  plugin: XmlNode,
): Question & { type: "multianswer" } {
  const sequence = textOf(node(plugin.multianswer), "sequence")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (sequence.length === 0)
    throw new QuestionError("bad-structure", common.id, "cloze has no sub-questions");
  const parts = sequence.map((subId): ClozePart | null => {
    const sub = bank.questions.get(subId);
    if (!sub) return null;
    const built = ["multichoice", "shortanswer", "numerical"].includes(sub.qtype)
      ? buildQuestion(bank, subId)
      : null;
    if (built && built.type !== "broken") return built as ClozePart;
    if (built?.type === "broken" && built.error.code !== "bad-structure") throw built.error;
    // The record has no usable answer data: rebuild the part from the cloze code in its text.
    return parseClozeCode(textOf(sub.element, "questiontext"), subId, sub.categoryId);
  });
  return { ...common, type: "multianswer", parts };
}

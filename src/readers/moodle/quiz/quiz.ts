// Reads a quiz activity (activities/quiz_N/quiz.xml): settings and slots in the three
// layouts Moodle has written — 2.4–2.6 (a "questions" list with 0 as page breaks), 2.7–3.x
// (slots with a question id) and 4.x/5.x (question references by bank entry and version,
// random slots as question set references with a category filter).
import { QuizError } from "./errors.js";
import type { Quiz, QuizSection, QuizSlot, SlotReference } from "./model.js";
import { richText } from "./text.js";
import { children, flagOf, node, numberOf, readXmlFile, textOf, type XmlNode } from "./xml.js";

/** Read the quiz in `directory` (relative, e.g. "activities/quiz_581") of an extracted backup. */
export async function readQuiz(treePath: string, directory: string): Promise<Quiz> {
  // The directory comes from moodle_backup.xml: plain segments only, never out of the tree.
  if (!/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/.test(directory)) {
    throw new QuizError(
      "bad-structure",
      `quiz directory "${directory}" is not a plain path inside the backup`,
    );
  }
  const doc = await readXmlFile(treePath, `${directory}/quiz.xml`);
  return quizFromXml(doc);
}

/** Build the quiz model from a parsed quiz.xml. */
export function quizFromXml(doc: XmlNode): Quiz {
  const quiz = node(node(doc.activity).quiz);
  const id = textOf(quiz, "@id");
  if (!id) throw new QuizError("bad-structure", "quiz.xml has no <activity><quiz id=…>");
  const slots = readSlots(quiz);
  const grade = numberOf(quiz, "grade", 10);
  const decimals = numberOf(quiz, "decimalpoints", 2);
  const perPage = numberOf(quiz, "questionsperpage", 1);
  return {
    id,
    name: textOf(quiz, "name"),
    intro: richText(quiz, "intro", { component: "mod_quiz", filearea: "intro", itemid: "0" }),
    preferredBehaviour: textOf(quiz, "preferredbehaviour") || "deferredfeedback",
    shuffleAnswers: flagOf(quiz, "shuffleanswers", true),
    grade: Number.isFinite(grade) && grade >= 0 ? grade : 10,
    sumGrades: sumGrades(quiz, slots),
    decimalPoints: Number.isInteger(decimals) && decimals >= 0 && decimals <= 5 ? decimals : 2,
    questionsPerPage: Number.isInteger(perPage) && perPage >= 0 ? perPage : 1,
    slots,
    sections: readSections(quiz),
  };
}

/** Moodle's stored sum of marks; recomputed from the slots when missing or nonsense. */
function sumGrades(quiz: XmlNode, slots: QuizSlot[]): number {
  const stored = numberOf(quiz, "sumgrades", Number.NaN);
  if (Number.isFinite(stored) && stored > 0) return stored;
  return slots.reduce((sum, s) => sum + (s.maxMark ?? 0), 0);
}

function readSections(quiz: XmlNode): QuizSection[] {
  const sections = children(quiz.sections, "section")
    .map((s) => ({
      firstSlot: numberOf(s, "firstslot", Number.NaN),
      heading: textOf(s, "heading"),
      shuffleQuestions: flagOf(s, "shufflequestions", false),
    }))
    .filter((s) => Number.isInteger(s.firstSlot) && s.firstSlot >= 1)
    .sort((a, b) => a.firstSlot - b.firstSlot);
  if (sections.length > 0) return sections;
  // Before Moodle 2.9 shuffling was one quiz-wide setting.
  return [{ firstSlot: 1, heading: "", shuffleQuestions: flagOf(quiz, "shufflequestions", false) }];
}

function readSlots(quiz: XmlNode): QuizSlot[] {
  const instances = children(quiz.question_instances, "question_instance");
  const legacyList = textOf(quiz, "questions");
  const slots =
    legacyList !== "" && instances.every((i) => textOf(i, "slot") === "")
      ? legacySlots(legacyList, instances)
      : instances.map(slotFromInstance).filter((s): s is QuizSlot => s !== null);
  // Duplicate slot numbers in hostile data: keep the first of each.
  const seen = new Set<number>();
  return slots.filter((s) => !seen.has(s.slot) && seen.add(s.slot)).sort((a, b) => a.slot - b.slot);
}

/** A mark from the backup; null (use the question's default) when it is not a usable number. */
function markOf(element: XmlNode, field: string): number | null {
  const mark = numberOf(element, field, Number.NaN);
  return Number.isFinite(mark) && mark >= 0 ? mark : null;
}

function slotFromInstance(instance: XmlNode): QuizSlot | null {
  const slot = numberOf(instance, "slot", Number.NaN);
  if (!Number.isInteger(slot) || slot < 1) return null;
  const page = numberOf(instance, "page", slot);
  const ref = referenceOf(instance);
  if (!ref) return null;
  return {
    slot,
    page: Number.isInteger(page) && page >= 1 ? page : slot,
    maxMark: markOf(instance, "maxmark"),
    ref,
  };
}

function referenceOf(instance: XmlNode): SlotReference | null {
  const qref = node(instance.question_reference);
  const entryId = textOf(qref, "questionbankentryid");
  if (entryId) {
    const version = numberOf(qref, "version", Number.NaN);
    return { kind: "entry", entryId, version: Number.isInteger(version) ? version : null };
  }
  const setRef = node(instance.question_set_reference);
  if (Object.keys(setRef).length > 0) return randomReference(textOf(setRef, "filtercondition"));
  const questionId = textOf(instance, "questionid") || textOf(instance, "question");
  return questionId ? { kind: "question", questionId } : null;
}

/** Moodle 4.0–4.2 {"questioncategoryid", "includingsubcategories"}; 4.3+ {"filter": {"category": …}}. */
export function randomReference(filterJson: string): SlotReference | null {
  let filter: unknown;
  try {
    filter = JSON.parse(filterJson);
  } catch {
    return null;
  }
  const f = node(filter);
  const category = node(node(f.filter).category);
  const values = Array.isArray(category.values) ? category.values : [];
  const categoryId = String(values[0] ?? f.questioncategoryid ?? "");
  if (!/^\d+$/.test(categoryId)) return null;
  const options = node(category.filteroptions);
  const sub = options.includesubcategories ?? f.includingsubcategories;
  return { kind: "random", categoryId, includeSubcategories: sub === true || sub === 1 || sub === "1" };
}

/** Moodle 2.4–2.6: "81,0,82,0" (0 ends a page) and instances {question, grade}. */
function legacySlots(list: string, instances: XmlNode[]): QuizSlot[] {
  const marks = new Map(instances.map((i) => [textOf(i, "question"), markOf(i, "grade")]));
  const slots: QuizSlot[] = [];
  let page = 1;
  for (const item of list.split(",").map((s) => s.trim())) {
    if (item === "0") page++;
    else if (/^\d+$/.test(item)) {
      slots.push({
        slot: slots.length + 1,
        page,
        maxMark: marks.get(item) ?? null,
        ref: { kind: "question", questionId: item },
      });
    }
  }
  return slots;
}

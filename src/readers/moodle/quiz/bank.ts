// The course's question bank (questions.xml) indexed for a quiz: questions by id, Moodle 4+
// bank entries with their versions, and categories (for random slots). Both layouts:
// Moodle 2.x/3.x (question_categories → questions) and 4.x/5.x (→ question_bank_entries →
// question_versions → questions). Questions are built into the model only when a quiz asks.
import { QuizError } from "./errors.js";
import { children, numberOf, readXmlFile, textOf, type XmlNode } from "./xml.js";

export interface BankQuestion {
  id: string;
  /** The raw <question> element, built into a model question on demand. */
  element: XmlNode;
  categoryId: string;
  entryId: string | null;
  version: number | null;
  /** Hidden in the bank (2.x flag) or a hidden/draft version (4.x status). */
  hidden: boolean;
  /** "0" for a top-level question; cloze sub-questions name their parent. */
  parent: string;
  qtype: string;
}

export interface BankVersion {
  version: number;
  status: string;
  questionId: string;
}

export interface BankEntry {
  id: string;
  categoryId: string;
  /** Oldest first. */
  versions: BankVersion[];
}

export interface BankCategory {
  id: string;
  parent: string;
  name: string;
}

export interface QuestionBank {
  questions: Map<string, BankQuestion>;
  entries: Map<string, BankEntry>;
  categories: Map<string, BankCategory>;
  /** Set when questions.xml itself could not be read: every slot reports it. */
  error: QuizError | null;
}

/** An empty bank carrying the reason it is empty. */
function failedBank(error: QuizError): QuestionBank {
  return { questions: new Map(), entries: new Map(), categories: new Map(), error };
}

/** Read questions.xml of an extracted backup. Never throws: a broken file gives a bank with `error`. */
export async function readQuestionBank(treePath: string): Promise<QuestionBank> {
  try {
    return indexQuestionBank(await readXmlFile(treePath, "questions.xml"));
  } catch (err) {
    if (err instanceof QuizError) return failedBank(err);
    throw err;
  }
}

/** Index a parsed questions.xml document. */
export function indexQuestionBank(doc: XmlNode): QuestionBank {
  const bank: QuestionBank = { questions: new Map(), entries: new Map(), categories: new Map(), error: null };
  for (const category of children(doc.question_categories, "question_category")) {
    const categoryId = textOf(category, "@id");
    if (!categoryId) continue;
    bank.categories.set(categoryId, {
      id: categoryId,
      parent: textOf(category, "parent"),
      name: textOf(category, "name"),
    });
    for (const q of children(category.questions, "question")) addQuestion(bank, q, categoryId, null);
    for (const entryElement of children(category.question_bank_entries, "question_bank_entry")) {
      addEntry(bank, entryElement, categoryId);
    }
  }
  return bank;
}

function addEntry(bank: QuestionBank, element: XmlNode, categoryId: string): void {
  const entry: BankEntry = { id: textOf(element, "@id"), categoryId, versions: [] };
  if (!entry.id) return;
  for (const v of children(element.question_version, "question_versions")) {
    const version = numberOf(v, "version", Number.NaN);
    const status = textOf(v, "status") || "ready";
    for (const q of children(v.questions, "question")) {
      const added = addQuestion(bank, q, categoryId, { entryId: entry.id, version, status });
      if (added && Number.isInteger(version)) entry.versions.push({ version, status, questionId: added.id });
    }
  }
  entry.versions.sort((a, b) => a.version - b.version);
  bank.entries.set(entry.id, entry);
}

function addQuestion(
  bank: QuestionBank,
  element: XmlNode,
  categoryId: string,
  versioned: { entryId: string; version: number; status: string } | null,
): BankQuestion | null {
  const id = textOf(element, "@id");
  if (!id || bank.questions.has(id)) return null;
  const question: BankQuestion = {
    id,
    element,
    categoryId,
    entryId: versioned?.entryId ?? null,
    version: versioned && Number.isInteger(versioned.version) ? versioned.version : null,
    hidden: versioned ? versioned.status !== "ready" : textOf(element, "hidden") === "1",
    parent: textOf(element, "parent") || "0",
    qtype: textOf(element, "qtype"),
  };
  bank.questions.set(id, question);
  return question;
}

/** The question a Moodle 4+ reference means: that version, or the latest usable one when null. */
export function resolveEntry(
  bank: QuestionBank,
  entryId: string,
  version: number | null,
): BankQuestion | null {
  const entry = bank.entries.get(entryId);
  if (!entry || entry.versions.length === 0) return null;
  const chosen =
    version !== null
      ? entry.versions.find((v) => v.version === version)
      : ([...entry.versions].reverse().find((v) => v.status !== "draft") ?? entry.versions.at(-1));
  return chosen ? (bank.questions.get(chosen.questionId) ?? null) : null;
}

/** Types a random slot never picks (Moodle's is_usable_by_random is false for them). */
const NOT_FOR_RANDOM = new Set(["random", "description", "randomsamatch"]);

/** The questions a random slot may pick from, in a stable order (by numeric id). */
export function randomCandidates(
  bank: QuestionBank,
  categoryId: string,
  includeSubcategories: boolean,
): string[] {
  const categories = new Set([categoryId]);
  if (includeSubcategories) {
    // Walk down the tree until no category is added (a cycle in hostile data also ends).
    let grew = true;
    while (grew) {
      grew = false;
      for (const c of bank.categories.values()) {
        if (categories.has(c.parent) && !categories.has(c.id)) {
          categories.add(c.id);
          grew = true;
        }
      }
    }
  }
  const latestOfEntry = new Map<string, BankQuestion>();
  const picked: BankQuestion[] = [];
  for (const q of bank.questions.values()) {
    if (!categories.has(q.categoryId) || q.parent !== "0" || q.hidden || NOT_FOR_RANDOM.has(q.qtype))
      continue;
    if (q.entryId === null) picked.push(q);
    else {
      const seen = latestOfEntry.get(q.entryId);
      if (!seen || (q.version ?? 0) > (seen.version ?? 0)) latestOfEntry.set(q.entryId, q);
    }
  }
  picked.push(...latestOfEntry.values());
  return picked.map((q) => q.id).sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
}

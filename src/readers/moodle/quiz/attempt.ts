// Starting an attempt: random slots pick their question, questions (where the section says
// so) and answers (where question and quiz say so) are shuffled, all from one seed. The
// attempt is fully determined by (quiz, bank, seed): keep the seed and it can be rebuilt.
import { type QuestionBank, randomCandidates, resolveEntry } from "./bank.js";
import { buildQuestion } from "./build.js";
import { QuestionError } from "./errors.js";
import type { BrokenQuestion, Question, Quiz, QuizSlot } from "./model.js";
import { permutation, seededRandom } from "./shuffle.js";
import { textOf } from "./xml.js";

/** Display orders by part: "answers", "stems", "choices", "group<n>", "part<n>" (cloze). */
export type Orders = Record<string, number[]>;

export interface AttemptSlot {
  slot: number;
  page: number;
  /** 1, 2, … for questions; null for descriptions (Moodle numbers them "i"). */
  number: number | null;
  maxMark: number;
  question: Question | BrokenQuestion;
  orders: Orders;
}

export interface Attempt {
  seed: number;
  quiz: Quiz;
  /** In display order. */
  slots: AttemptSlot[];
}

/** Start (or rebuild) the attempt with this seed. */
export function startAttempt(quiz: Quiz, bank: QuestionBank, seed: number): Attempt {
  const used = new Set<string>();
  const fixed = quiz.slots.map((s) => (s.ref.kind === "random" ? null : fixedQuestion(bank, s)));
  for (const q of fixed) if (q) used.add(q.id);
  const questions = quiz.slots.map((s, i) => fixed[i] ?? randomQuestion(bank, s, seed, used));
  let number = 0;
  const slots = displayOrder(quiz, seed).map((index, position): AttemptSlot => {
    const slot = quiz.slots[index]!;
    const question = resolveRandomLegacy(bank, slot, questions[index]!, seed, used);
    const isInfo = question.type === "description";
    return {
      slot: slot.slot,
      page: quiz.slots[position]!.page,
      number: isInfo ? null : ++number,
      maxMark: isInfo ? 0 : (slot.maxMark ?? (question.type === "broken" ? 1 : question.defaultMark)),
      question,
      orders: question.type === "broken" ? {} : ordersFor(question, quiz.shuffleAnswers, seed, slot.slot),
    };
  });
  return { seed, quiz, slots };
}

function fixedQuestion(bank: QuestionBank, slot: QuizSlot): Question | BrokenQuestion {
  const ref = slot.ref;
  if (ref.kind === "question") return buildQuestion(bank, ref.questionId);
  if (ref.kind === "entry") {
    const q = resolveEntry(bank, ref.entryId, ref.version);
    if (q) return buildQuestion(bank, q.id);
    const error =
      bank.error ?? new QuestionError("missing-question", `entry ${ref.entryId}`, "not in questions.xml");
    return {
      type: "broken",
      id: `entry ${ref.entryId}`,
      qtype: "",
      error: asQuestionError(error, ref.entryId),
    };
  }
  throw new Error("random slots are resolved by randomQuestion");
}

function asQuestionError(error: Error, id: string): QuestionError {
  return error instanceof QuestionError
    ? error
    : new QuestionError(
        (error as { code?: QuestionError["code"] }).code ?? "missing-question",
        id,
        error.message,
      );
}

/** Pick for a random slot: deterministic from the seed and the slot, never a question already in the attempt. */
function pickRandom(
  bank: QuestionBank,
  slot: number,
  categoryId: string,
  includeSubcategories: boolean,
  seed: number,
  used: Set<string>,
): Question | BrokenQuestion {
  const candidates = randomCandidates(bank, categoryId, includeSubcategories).filter((id) => !used.has(id));
  if (candidates.length === 0) {
    const id = `random in category ${categoryId}`;
    const error = bank.error
      ? asQuestionError(bank.error, id)
      : new QuestionError("empty-category", id, "no unused question to pick");
    return { type: "broken", id, qtype: "random", error };
  }
  const chosen = candidates[Math.floor(seededRandom(seed, "random", slot)() * candidates.length)]!;
  used.add(chosen);
  return buildQuestion(bank, chosen);
}

function randomQuestion(bank: QuestionBank, slot: QuizSlot, seed: number, used: Set<string>) {
  const ref = slot.ref;
  if (ref.kind !== "random") throw new Error("not a random slot");
  return pickRandom(bank, slot.slot, ref.categoryId, ref.includeSubcategories, seed, used);
}

/** Moodle 2.x/3.x random slots point at a question of qtype "random" in the category to pick from. */
function resolveRandomLegacy(
  bank: QuestionBank,
  slot: QuizSlot,
  question: Question | BrokenQuestion,
  seed: number,
  used: Set<string>,
): Question | BrokenQuestion {
  if (question.type !== "ungradable" || question.qtype !== "random") return question;
  const raw = bank.questions.get(question.id);
  const includeSub = textOf(raw?.element, "questiontext").trim() === "1";
  return pickRandom(bank, slot.slot, question.categoryId, includeSub, seed, used);
}

/** Slot indexes in display order: each section that asks for it is shuffled on its own. */
function displayOrder(quiz: Quiz, seed: number): number[] {
  const order: number[] = [];
  quiz.sections.forEach((section, i) => {
    const next = quiz.sections[i + 1]?.firstSlot ?? Number.POSITIVE_INFINITY;
    const members = quiz.slots
      .map((s, index) => ({ s, index }))
      .filter(({ s }) => s.slot >= section.firstSlot && s.slot < next)
      .map(({ index }) => index);
    const perm = permutation(members.length, section.shuffleQuestions, seededRandom(seed, "section", i));
    order.push(...perm.map((p) => members[p]!));
  });
  // Slots before the first section (hostile data) still show, at the start.
  const placed = new Set(order);
  return [...quiz.slots.map((_, i) => i).filter((i) => !placed.has(i)), ...order];
}

function ordersFor(question: Question, quizShuffles: boolean, seed: number, slot: number): Orders {
  const random = (part: string) => seededRandom(seed, slot, question.id, part);
  switch (question.type) {
    case "multichoice":
      return {
        answers: permutation(question.answers.length, quizShuffles && question.shuffle, random("answers")),
      };
    case "match":
      // Moodle always shuffles the choices of a match; the setting shuffles the stems.
      return {
        stems: permutation(question.stems.length, quizShuffles && question.shuffle, random("stems")),
        choices: permutation(question.choices.length, true, random("choices")),
      };
    case "gapselect":
    case "ddwtos": {
      const orders: Orders = {};
      for (const group of new Set(question.choices.map((c) => c.group))) {
        const members = question.choices.map((c, i) => (c.group === group ? i : -1)).filter((i) => i >= 0);
        const perm = permutation(members.length, quizShuffles && question.shuffle, random(`group${group}`));
        orders[`group${group}`] = perm.map((p) => members[p]!);
      }
      return orders;
    }
    case "multianswer": {
      const orders: Orders = {};
      question.parts.forEach((part, i) => {
        if (part?.type === "multichoice") {
          orders[`part${i + 1}`] = permutation(
            part.answers.length,
            quizShuffles && part.shuffle,
            random(`part${i + 1}`),
          );
        }
      });
      return orders;
    }
    default:
      return {};
  }
}

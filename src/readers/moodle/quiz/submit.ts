// Submitting an attempt (deferred feedback: one submit, then everything is shown): every
// slot is graded from the form body, marks are fraction × the slot's mark, and the total is
// scaled to the quiz's grade. No penalties: deferred feedback gives one try.
import type { Attempt, AttemptSlot } from "./attempt.js";
import { type Fields, type Graded, gradeQuestion } from "./grade.js";
import type { RichText } from "./model.js";

/** A parsed form body (urlencoded): a repeated name gives a list, the last value counts. */
export type FormBody = Record<string, string | string[] | undefined>;

export interface QuestionResult extends Graded {
  slot: number;
  number: number | null;
  questionId: string;
  bankEntryId: string | null;
  /** Moodle's qtype ("stack" for an ungradable STACK question). */
  qtype: string;
  maxMark: number;
  /** fraction × maxMark; null when not graded (not answered counts as 0 in the total). */
  mark: number | null;
  generalFeedback: RichText | null;
  /** Why the question could not be used, when it is "unavailable". */
  error: string | null;
}

export interface AttemptResult {
  seed: number;
  questions: QuestionResult[];
  /** Sum of the marks obtained. */
  marks: number;
  /** What `marks` is out of (the quiz's sumgrades). */
  sumGrades: number;
  /** The quiz's grade: the maximum of `grade`. */
  maxGrade: number;
  /** marks scaled to maxGrade. Provisional while `needsGrading`. */
  grade: number;
  /** Some answers wait for a teacher (essays, STACK and other ungradable types). */
  needsGrading: boolean;
}

/** The fields of one slot: `q<slot>:<name>` in the body. */
export function slotFields(body: FormBody, slot: number): Fields {
  return (name) => {
    const value = body[`q${slot}:${name}`];
    const last = Array.isArray(value) ? value.at(-1) : value;
    return typeof last === "string" ? last : "";
  };
}

function gradeSlot(slot: AttemptSlot, body: FormBody): QuestionResult {
  const q = slot.question;
  const base = { slot: slot.slot, number: slot.number, maxMark: slot.maxMark };
  if (q.type === "broken") {
    return {
      ...base,
      state: "unavailable",
      fraction: null,
      response: "",
      feedback: [],
      outcome: null,
      parts: [],
      questionId: q.id,
      bankEntryId: null,
      qtype: q.qtype,
      mark: null,
      generalFeedback: null,
      error: q.error.message,
    };
  }
  const result = gradeQuestion(q, slotFields(body, slot.slot));
  return {
    ...base,
    ...result,
    questionId: q.id,
    bankEntryId: q.bankEntryId,
    qtype: q.qtype,
    mark: result.fraction === null ? null : result.fraction * slot.maxMark,
    generalFeedback: q.generalFeedback.html.trim() ? q.generalFeedback : null,
    error: null,
  };
}

/** Grade the whole attempt from the submitted form. */
export function submitAttempt(attempt: Attempt, body: FormBody): AttemptResult {
  const questions = attempt.slots.map((slot) => gradeSlot(slot, body));
  const marks = questions.reduce((sum, q) => sum + (q.mark ?? 0), 0);
  const { sumGrades, grade: maxGrade } = attempt.quiz;
  return {
    seed: attempt.seed,
    questions,
    marks,
    sumGrades,
    maxGrade,
    grade: sumGrades > 0 ? (marks * maxGrade) / sumGrades : 0,
    needsGrading: questions.some((q) => q.state === "needsgrading"),
  };
}

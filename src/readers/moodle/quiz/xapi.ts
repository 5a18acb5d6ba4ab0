// A small per-question summary of a graded attempt, shaped for xAPI 1.0.3 "answered"
// statements (interactionType, response as text, scaled score = fraction, max = the mark).
import type { AttemptResult } from "./submit.js";

export type InteractionType =
  | "choice"
  | "true-false"
  | "fill-in"
  | "long-fill-in"
  | "numeric"
  | "matching"
  | "other";

export interface QuestionSummary {
  questionId: string;
  /** Moodle 4+ bank entry: the same across versions of the question. */
  bankEntryId: string | null;
  slot: number;
  /** Moodle's qtype. */
  type: string;
  interactionType: InteractionType;
  response: string;
  /** -1..1 as Moodle grades it; null until a teacher grades it (or when unavailable). */
  fraction: number | null;
  mark: number | null;
  maxMark: number;
  /** True when fully right, false when graded and not fully right, null when not graded. */
  success: boolean | null;
}

const INTERACTIONS: Record<string, InteractionType> = {
  multichoice: "choice",
  truefalse: "true-false",
  shortanswer: "fill-in",
  numerical: "numeric",
  match: "matching",
  gapselect: "fill-in",
  ddwtos: "fill-in",
  multianswer: "fill-in",
  essay: "long-fill-in",
};

/** One summary per answerable question (descriptions are left out). */
export function summarise(result: AttemptResult): QuestionSummary[] {
  return result.questions
    .filter((q) => q.state !== "info")
    .map((q) => ({
      questionId: q.questionId,
      bankEntryId: q.bankEntryId,
      slot: q.slot,
      type: q.qtype,
      interactionType: INTERACTIONS[q.qtype] ?? "long-fill-in",
      response: q.response,
      fraction: q.fraction,
      mark: q.mark,
      maxMark: q.maxMark,
      success: q.fraction === null ? null : q.state === "correct",
    }));
}

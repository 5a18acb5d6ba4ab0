// Typed errors for one question or one quiz: a broken part of a backup is reported by
// what was wrong and where, and the rest of the quiz still renders.

/** Why a question (or the whole bank) could not be used. */
export type QuizErrorCode =
  | "malformed-xml"
  | "missing-file"
  | "too-large"
  | "missing-question"
  | "bad-fraction"
  | "bad-number"
  | "bad-structure"
  | "empty-category";

export class QuizError extends Error {
  constructor(
    readonly code: QuizErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "QuizError";
  }
}

/** A question that could not be built: carries the reason and what it was meant to be. */
export class QuestionError extends QuizError {
  constructor(
    code: QuizErrorCode,
    readonly questionId: string,
    message: string,
  ) {
    super(code, `question ${questionId}: ${message}`);
    this.name = "QuestionError";
  }
}

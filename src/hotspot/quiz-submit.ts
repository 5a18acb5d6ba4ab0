// Submitting a quiz attempt, whichever course format the quiz came from: the question fields of
// the form graded with the offline quiz engine, and the attempt kept durably before the review
// page says it is graded and kept.
import { type Attempt, type FormBody, submitAttempt } from "../readers/moodle/quiz/index.js";
import type { AnswerStore, QuizAttemptRecord } from "./attempts.js";

export type AttemptResult = ReturnType<typeof submitAttempt>;

/**
 * Grade and keep a submitted attempt (a second submit changes nothing). `keepFirst`, when
 * given, keeps what the attempt produced elsewhere (the learner's records) before the attempt
 * counts as submitted; when it returns false the attempt is not saved and false is returned.
 */
export async function submitAndKeep(
  store: AnswerStore,
  record: QuizAttemptRecord,
  attempt: Attempt,
  body: FormBody,
  keepFirst?: (result: AttemptResult, submittedAt: string) => Promise<boolean>,
): Promise<boolean> {
  if (record.answers) return true;
  const answersGiven = Object.fromEntries(
    Object.entries(body).filter(
      (e): e is [string, string | string[]] => /^q\d+:/.test(e[0]) && e[1] !== undefined,
    ),
  );
  const result = submitAttempt(attempt, answersGiven);
  const submittedAt = new Date().toISOString();
  if (keepFirst && !(await keepFirst(result, submittedAt))) return false;
  await store.saveAttempt({
    ...record,
    answers: answersGiven,
    submittedAt,
    grade: result.grade,
    maxGrade: result.maxGrade,
    needsGrading: result.needsGrading,
  });
  return true;
}

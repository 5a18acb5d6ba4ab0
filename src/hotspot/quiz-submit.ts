// Submitting a quiz attempt, whichever course format the quiz came from: the question fields of
// the form graded with the offline quiz engine, and the attempt kept durably before the review
// page says it is graded and kept.
import { type Attempt, type FormBody, submitAttempt } from "../readers/moodle/quiz/index.js";
import type { AnswerStore, QuizAttemptRecord } from "./attempts.js";

export async function submitAndKeep(
  store: AnswerStore,
  record: QuizAttemptRecord,
  attempt: Attempt,
  body: FormBody,
): Promise<void> {
  if (record.answers) return;
  const answersGiven = Object.fromEntries(
    Object.entries(body).filter(
      (e): e is [string, string | string[]] => /^q\d+:/.test(e[0]) && e[1] !== undefined,
    ),
  );
  const result = submitAttempt(attempt, answersGiven);
  await store.saveAttempt({
    ...record,
    answers: answersGiven,
    submittedAt: new Date().toISOString(),
    grade: result.grade,
    maxGrade: result.maxGrade,
    needsGrading: result.needsGrading,
  });
}

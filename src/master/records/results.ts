// The results of one course, tabulated from its statements: each learner's standing in each
// activity (best score, completion, success) and, from the quiz answer statements, each
// question's answers (how many, which responses, the share correct). Only these totals are
// held, never the statements: a course's results cost memory by learners × activities.
import type { Activity, Statement } from "../../records/statement.js";
import { scorePercent } from "./export.js";
import { firstLanguage, statementFacts } from "./facts.js";
import type { StoredRecord } from "./store.js";

const INTERACTION = "http://adlnet.gov/expapi/activities/cmi.interaction";
const ANSWERED = "http://adlnet.gov/expapi/verbs/answered";
/** Verbs that mean "this activity is done" even without result.completion. */
const DONE_VERBS = new Set(
  ["completed", "passed", "failed", "mastered"].map((v) => `http://adlnet.gov/expapi/verbs/${v}`),
);

export interface Cell {
  /** Best score seen, in percent. */
  best?: number;
  completed: boolean;
  /** True once passed; false when only failed; undefined when never judged. */
  success?: boolean;
  /** Statements about the activity itself, and quiz answers counted towards it. */
  statements: number;
  answers: number;
}

export interface LearnerRow {
  key: string;
  name: string;
  classCode: string;
  cells: Map<string, Cell>;
}

export interface QuestionStats {
  id: string;
  name: string;
  /** The quiz it belongs to (its parent activity's IRI, "" when none is given). */
  quiz: string;
  answers: number;
  /** Answers whose result says success true / false (others are not judged). */
  correct: number;
  judged: number;
  responses: Map<string, number>;
}

export interface CourseResults {
  course: string;
  statements: number;
  learners: LearnerRow[];
  /** Activity IRI → name, in the order they first appeared. */
  activities: Map<string, string>;
  questions: QuestionStats[];
}

const isAnswer = (s: Statement) =>
  s.verb?.id === ANSWERED || (s.object as Activity)?.definition?.type === INTERACTION;

export async function courseResults(
  course: string,
  records: AsyncIterable<StoredRecord>,
): Promise<CourseResults> {
  const learners = new Map<string, LearnerRow>();
  const activities = new Map<string, string>();
  const questions = new Map<string, QuestionStats>();
  let statements = 0;
  for await (const r of records) {
    statements++;
    const s = r.statement;
    const f = statementFacts(s);
    const answer = isAnswer(s);
    const parent = s.context?.contextActivities?.parent?.[0];
    if (answer) countAnswer(questions, s, f.activity, f.activityName, parent?.id ?? "");
    // An answer counts towards its quiz's cell (as attempted); its own score is the question's.
    const activity = answer ? parent?.id : f.activity;
    const name = answer ? firstLanguage(parent?.definition?.name) : f.activityName;
    if (!activity) continue;
    if (!activities.get(activity)) activities.set(activity, name);
    let row = learners.get(f.learner);
    if (!row) {
      row = { key: f.learner, name: f.learnerName, classCode: f.classCode, cells: new Map() };
      learners.set(f.learner, row);
    }
    addToCell(row, activity, answer ? undefined : s);
  }
  // Activities only seen as the parent of answers still get a column: name them by IRI at worst.
  for (const [id, name] of activities) if (!name) activities.set(id, id);
  return {
    course,
    statements,
    learners: [...learners.values()].sort(
      (a, b) => a.classCode.localeCompare(b.classCode) || a.name.localeCompare(b.name),
    ),
    activities,
    questions: [...questions.values()],
  };
}

/** Count a quiz answer (no `s`) or a statement in a learner's cell, taking its score, completion, success. */
function addToCell(row: LearnerRow, activity: string, s: Statement | undefined): void {
  const cell = row.cells.get(activity) ?? { completed: false, statements: 0, answers: 0 };
  row.cells.set(activity, cell);
  if (!s) {
    cell.answers++;
    return;
  }
  cell.statements++;
  const score = scorePercent(s.result?.score);
  if (typeof score === "number") cell.best = Math.max(cell.best ?? score, score);
  if (s.result?.completion === true || DONE_VERBS.has(s.verb?.id)) cell.completed = true;
  const success = s.result?.success ?? (s.verb?.id.endsWith("/passed") ? true : undefined);
  if (success !== undefined) cell.success = cell.success === true || success;
}

function countAnswer(
  questions: Map<string, QuestionStats>,
  s: Statement,
  id: string,
  name: string,
  quiz: string,
): void {
  const q = questions.get(id) ?? { id, name, quiz, answers: 0, correct: 0, judged: 0, responses: new Map() };
  q.answers++;
  if (typeof s.result?.success === "boolean") {
    q.judged++;
    if (s.result.success) q.correct++;
  }
  const response = typeof s.result?.response === "string" ? s.result.response : "";
  q.responses.set(response, (q.responses.get(response) ?? 0) + 1);
  questions.set(id, q);
}

// Shared pieces for the quiz tests: a real backup extracted with the archive module into a
// temp dir, its quizzes and bank read, and a form body built the way a browser posts it.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { extractArchive } from "../../../../src/archive/index.js";
import {
  type Attempt,
  type FormBody,
  type QuestionBank,
  type Quiz,
  readQuestionBank,
  readQuiz,
  startAttempt,
  submitAttempt,
} from "../../../../src/readers/moodle/quiz/index.js";

export interface LoadedBackup {
  tree: string;
  bank: QuestionBank;
  /** By activity directory name, e.g. "quiz_581". */
  quizzes: Map<string, Quiz>;
}

export async function tempDir(prefix: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Extract `archive` into `dest` and read every quiz in it. */
export async function loadBackup(archive: string, dest: string): Promise<LoadedBackup> {
  await extractArchive(archive, dest);
  return readTree(dest);
}

export async function readTree(tree: string): Promise<LoadedBackup> {
  const bank = await readQuestionBank(tree);
  const quizzes = new Map<string, Quiz>();
  const dirs = (await readdir(join(tree, "activities"))).filter((d) => d.startsWith("quiz_")).sort();
  for (const dir of dirs) quizzes.set(dir, await readQuiz(tree, `activities/${dir}`));
  return { tree, bank, quizzes };
}

/** Form fields of one slot ("answer" → "q<slot>:answer"). */
export function fieldsFor(slot: number, fields: Record<string, string>): FormBody {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [`q${slot}:${k}`, v]));
}

/** Submit only `fields` for `slot` and return that slot's result. */
export function answer(attempt: Attempt, slot: number, fields: Record<string, string>) {
  const result = submitAttempt(attempt, fieldsFor(slot, fields));
  const q = result.questions.find((r) => r.slot === slot);
  if (!q) throw new Error(`no slot ${slot}`);
  return q;
}

export function attemptOf(backup: LoadedBackup, dir: string, seed = 1): Attempt {
  const quiz = backup.quizzes.get(dir);
  if (!quiz) throw new Error(`no ${dir}`);
  return startAttempt(quiz, backup.bank, seed);
}

/** Plain text of feedback HTML, for comparing with the backup's words. */
export const texts = (list: { html: string }[]) => list.map((t) => t.html);

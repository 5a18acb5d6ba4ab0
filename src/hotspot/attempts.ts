// What learners answer on the hotspot, kept in the agent's LevelDB: quiz attempts (the seed
// that rebuilds the attempt, the answers, the grade), choice and questionnaire answers. Every
// write that a page reports as saved is durable (fsync) first: a power cut must not lose it.
import { randomBytes } from "node:crypto";
import { relative } from "node:path";
import type { MoodleActivity } from "../readers/moodle/model.js";
import { type Attempt, readQuestionBank, readQuiz, startAttempt } from "../readers/moodle/quiz/index.js";
import type { Store, Table } from "../store/index.js";
import type { Learner } from "./frame.js";
import type { ServedCourse } from "./types.js";

/** The attempt a seed gives: the same questions in the same order every time. */
export async function rebuildAttempt(
  course: ServedCourse,
  quiz: Extract<MoodleActivity, { type: "quiz" }>,
  seed: number,
): Promise<Attempt> {
  const bank = await readQuestionBank(course.treePath);
  return startAttempt(await readQuiz(course.treePath, relative(course.treePath, quiz.directory)), bank, seed);
}

/** Where an answer was given: the course, its version, the activity (ids stable across versions). */
export interface AnswerPlace {
  courseId: string;
  contentHash: string;
  activityId: string;
}

export interface QuizAttemptRecord extends AnswerPlace {
  id: string;
  seed: number;
  learner: Learner | null;
  startedAt: string;
  /** Set on submit, with the form as posted and the result. */
  submittedAt: string | null;
  answers: Record<string, string | string[]> | null;
  grade: number | null;
  maxGrade: number | null;
  /** Essays, STACK and other types kept for a teacher. */
  needsGrading: boolean;
}

export interface ResponseRecord extends AnswerPlace {
  id: string;
  kind: "choice" | "feedback";
  learner: Learner | null;
  at: string;
  answer: unknown;
}

export class AnswerStore {
  private readonly attempts: Table<QuizAttemptRecord>;
  private readonly responses: Table<ResponseRecord>;

  constructor(store: Store) {
    this.attempts = store.table("quiz-attempts");
    this.responses = store.table("responses");
  }

  static newId(): string {
    return randomBytes(9).toString("base64url");
  }

  async startAttempt(place: AnswerPlace, learner: Learner | null): Promise<QuizAttemptRecord> {
    const record: QuizAttemptRecord = {
      ...place,
      id: AnswerStore.newId(),
      seed: randomBytes(4).readUInt32BE() >>> 1,
      learner,
      startedAt: new Date().toISOString(),
      submittedAt: null,
      answers: null,
      grade: null,
      maxGrade: null,
      needsGrading: false,
    };
    await this.attempts.put(record.id, record, true);
    return record;
  }

  attempt(id: string): Promise<QuizAttemptRecord | undefined> {
    return this.attempts.get(id);
  }

  async saveAttempt(record: QuizAttemptRecord): Promise<void> {
    await this.attempts.put(record.id, record, true);
  }

  async addResponse(record: Omit<ResponseRecord, "id" | "at">): Promise<ResponseRecord> {
    const full: ResponseRecord = { ...record, id: AnswerStore.newId(), at: new Date().toISOString() };
    await this.responses.put(`${record.courseId}\0${record.activityId}\0${full.id}`, full, true);
    return full;
  }

  /** Everything answered, for the teacher (and for carrying work back later). */
  async allResponses(): Promise<ResponseRecord[]> {
    return (await this.responses.entries()).map(([, v]) => v);
  }

  async allAttempts(): Promise<QuizAttemptRecord[]> {
    return (await this.attempts.entries()).map(([, v]) => v);
  }
}

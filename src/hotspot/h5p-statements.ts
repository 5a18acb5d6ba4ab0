// The xAPI statements H5P content emits while a learner plays it, kept in the agent's LevelDB as
// H5P made them, with the learner (from the launch, never from the statement) and the time. Each
// write is on disk (fsync) before the package is told it is kept. The records pipeline reads them
// with `list()` to carry them back to the master.
import { z } from "zod";
import type { Store, Table } from "../store/index.js";
import { describeIssues } from "../util/issues.js";
import { type AnswerPlace, AnswerStore } from "./attempts.js";
import type { Learner } from "./frame.js";

/** The IRI the player page gives H5P for its content; the records map it to the master's IRI. */
export function h5pObjectIri(courseId: string, activityId: string): string {
  return `urn:handcarry:${encodeURIComponent(courseId)}:${encodeURIComponent(activityId)}`;
}

/** One statement as H5P emitted it, plus who and when. */
export interface H5pStatementRecord extends AnswerPlace {
  id: string;
  learner: Learner | null;
  /** When the Pi received it (ISO 8601). */
  at: string;
  statement: Record<string, unknown>;
}

/** The least a statement must have to be worth keeping: a verb and an object, each with an id. */
const statementSchema = z.looseObject({
  verb: z.looseObject({ id: z.string().min(1).max(2048) }),
  object: z.looseObject({ id: z.string().min(1).max(2048) }),
});

/** A statement checked, or the reason it is refused (for a 400 naming the field). */
export function checkStatement(
  value: unknown,
): { ok: true; statement: Record<string, unknown> } | { ok: false; error: string } {
  const checked = statementSchema.safeParse(value);
  if (checked.success) return { ok: true, statement: checked.data };
  return { ok: false, error: `not an xAPI statement: ${describeIssues(checked.error, "(statement)")}` };
}

export class H5pStatementStore {
  private readonly table: Table<H5pStatementRecord>;

  constructor(store: Store) {
    this.table = store.table("h5p-statements");
  }

  /** Keep one statement, durably; resolves once it is on disk. */
  async add(place: AnswerPlace, learner: Learner | null, statement: Record<string, unknown>) {
    const record: H5pStatementRecord = {
      ...place,
      id: AnswerStore.newId(),
      learner,
      at: new Date().toISOString(),
      statement,
    };
    // Keyed by time first, so list() gives the statements in the order they came.
    await this.table.put(`${record.at}\0${record.id}`, record, true);
    return record;
  }

  /** Every statement kept, oldest first. */
  async list(): Promise<H5pStatementRecord[]> {
    return (await this.table.entries()).map(([, v]) => v);
  }
}

// Learners' statements waiting on the Pi to go up to the master, in the agent's LevelDB.
// One save (a quiz attempt's answers and total, a questionnaire, a player's statement) is one
// envelope written with one synced put before the page says "saved": a power cut after it
// loses nothing. Storage is bounded by a cap per learner per day and a total cap; over one,
// nothing is kept and the caller says so, and nothing already kept is ever dropped. A
// statement leaves only when the master has acknowledged it (acknowledge()), or moves to the
// set-aside table when the master refused it (setAside()), with the master's reason: it no
// longer holds up the others, and it stays on the Pi for someone to look at.
import { randomBytes, randomUUID } from "node:crypto";
import type { Learner } from "../../hotspot/frame.js";
import type { LearnerRecords } from "../../hotspot/types.js";
import {
  actorFor,
  EXTENSIONS,
  InvalidStatementError,
  type RecordPlace,
  RecordsFullError,
  type Statement,
  statementProblems,
} from "../../records/index.js";
import type { BatchOp, Store, Table } from "../../store/index.js";

/** The largest statement taken from a browser: a batch of 1 MiB must always hold one. */
export const MAX_STATEMENT_BYTES = 256 << 10;
/** At this share of the total cap the status says the store is nearly full. */
export const NEARLY_FULL_SHARE = 0.9;

interface Envelope {
  learner: string;
  /** UTC day it was kept: the per-learner cap counts per day. */
  day: string;
  statements: Statement[];
}

export interface LastUpload {
  at: string;
  ok: boolean;
  sent: number;
  error?: string;
}

interface UploadTally {
  sent: number;
  lastUpload?: LastUpload;
}

export interface RecordsCounts {
  pending: number;
  /** Statements the master refused, kept apart on the Pi (they count against the total cap). */
  setAside: number;
  /** Statements the master acknowledged, over the life of this Pi. */
  sent: number;
  lastUpload: LastUpload | null;
  cap: number;
  nearlyFull: boolean;
  full: boolean;
}

/** A statement on its way, with the envelope it is kept in. */
export interface PendingStatement {
  key: string;
  statement: Statement;
}

/** A statement the master refused, as kept apart: who it belongs to, and why. */
export interface SetAsideStatement {
  learner: string;
  day: string;
  statement: Statement;
  /** The master's HTTP status and its reason for this statement. */
  status: number;
  reason: string;
  /** When it was set aside. */
  at: string;
}

/** A pending statement the master refused, with its answer. */
export interface Refusal {
  pending: PendingStatement;
  status: number;
  reason: string;
}

export interface OutboxOptions {
  deviceId: string;
  masterUrl(): string;
  maxPending: number;
  maxPerLearnerPerDay: number;
  now?: () => Date;
}

export class Outbox implements LearnerRecords {
  private pendingCount = 0;
  private setAsideCount = 0;
  private readonly perLearnerDay = new Map<string, number>();
  private tally: UploadTally = { sent: 0 };
  /** Saves are applied one at a time, so two phones cannot both pass a cap's last place. */
  private writes: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly store: Store,
    private readonly envelopes: Table<Envelope>,
    private readonly meta: Table<UploadTally>,
    private readonly refused: Table<SetAsideStatement>,
    private readonly o: OutboxOptions,
  ) {}

  static async open(store: Store, o: OutboxOptions): Promise<Outbox> {
    const box = new Outbox(
      store,
      store.table("records-outbox"),
      store.table("records-meta"),
      store.table("records-set-aside"),
      o,
    );
    for await (const [, env] of box.envelopes.between()) box.count(env, env.statements.length);
    for await (const _ of box.refused.between()) box.setAsideCount++;
    box.tally = (await box.meta.get("upload")) ?? { sent: 0 };
    return box;
  }

  /** Statements on the Pi: pending and set aside. */
  private stored(): number {
    return this.pendingCount + this.setAsideCount;
  }

  private now(): Date {
    return this.o.now?.() ?? new Date();
  }

  private count(env: Pick<Envelope, "learner" | "day">, n: number): void {
    this.pendingCount += n;
    const k = `${env.learner}\0${env.day}`;
    const left = (this.perLearnerDay.get(k) ?? 0) + n;
    if (left > 0) this.perLearnerDay.set(k, left);
    else this.perLearnerDay.delete(k);
  }

  origin(): Pick<RecordPlace, "masterUrl" | "deviceId"> {
    return { masterUrl: this.o.masterUrl(), deviceId: this.o.deviceId };
  }

  keep(learner: Learner | null, statements: Statement[]): Promise<void> {
    const run = this.writes.then(() => this.keepNow(learner, statements));
    this.writes = run.catch(() => {});
    return run;
  }

  private async keepNow(learner: Learner | null, statements: Statement[]): Promise<void> {
    if (statements.length === 0) return;
    const env: Envelope = {
      learner: learner?.id ?? "anonymous",
      day: this.now().toISOString().slice(0, 10),
      statements,
    };
    if (this.stored() + statements.length > this.o.maxPending) throw new RecordsFullError("total");
    const today = this.perLearnerDay.get(`${env.learner}\0${env.day}`) ?? 0;
    if (today + statements.length > this.o.maxPerLearnerPerDay) throw new RecordsFullError("learner-day");
    // Keys sort by time of saving: the oldest go up first.
    const key = `${this.now().getTime().toString(36).padStart(10, "0")}.${randomBytes(4).toString("hex")}`;
    await this.envelopes.put(key, env, true);
    this.count(env, statements.length);
  }

  async recordStatement(
    learner: Learner | null,
    raw: unknown,
    place?: Pick<RecordPlace, "courseId" | "contentHash">,
  ): Promise<Statement> {
    const size = Buffer.byteLength(JSON.stringify(raw) ?? "");
    if (size > MAX_STATEMENT_BYTES)
      throw new InvalidStatementError([`statement: ${size} bytes, more than ${MAX_STATEMENT_BYTES}`]);
    // A player may leave the id to the LRS: here it is made on the Pi, as for every statement.
    const withId =
      typeof raw === "object" && raw !== null && !("id" in raw) ? { ...raw, id: randomUUID() } : raw;
    const problems = statementProblems(withId);
    if (problems.length > 0) throw new InvalidStatementError(problems);
    const given = withId as Statement;
    const { masterUrl, deviceId } = this.origin();
    const statement: Statement = {
      ...given,
      timestamp: given.timestamp ?? this.now().toISOString(),
      // The phone says who is learning, never the page's script: no statement for someone else.
      actor: actorFor(learner, deviceId, masterUrl),
      context: {
        ...given.context,
        extensions: {
          ...given.context?.extensions,
          [EXTENSIONS.device]: deviceId,
          ...(place ? { [EXTENSIONS.contentHash]: place.contentHash } : {}),
          ...(learner?.classCode ? { [EXTENSIONS.classCode]: learner.classCode } : {}),
        },
      },
    };
    await this.keep(learner, [statement]);
    return statement;
  }

  /** The oldest pending statements: at most `max`, and at most `maxBytes` of JSON together. */
  async batch(max: number, maxBytes: number): Promise<PendingStatement[]> {
    const out: PendingStatement[] = [];
    let bytes = 0;
    for await (const [key, env] of this.envelopes.between()) {
      for (const statement of env.statements) {
        const size = Buffer.byteLength(JSON.stringify(statement)) + 1;
        if (out.length >= max || (out.length > 0 && bytes + size > maxBytes)) return out;
        out.push({ key, statement });
        bytes += size;
      }
    }
    return out;
  }

  /**
   * The master kept these: remove them, with the tally of sent statements, in one synced
   * batch. A crash before it only means re-sending statements the master keeps once anyway.
   */
  acknowledge(sent: readonly PendingStatement[], acknowledged: ReadonlySet<string>): Promise<number> {
    const run = this.writes.then(() => this.acknowledgeNow(sent, acknowledged));
    this.writes = run.catch(() => {});
    return run;
  }

  private async acknowledgeNow(
    sent: readonly PendingStatement[],
    acknowledged: ReadonlySet<string>,
  ): Promise<number> {
    const { ops, counted, removed } = await this.removal(sent, acknowledged);
    const tally = { ...this.tally, sent: this.tally.sent + removed };
    ops.push(this.meta.putOp("upload", tally));
    await this.store.write(ops, true);
    this.tally = tally;
    for (const [env, gone] of counted) this.count(env, -gone);
    return removed;
  }

  /**
   * The master refused these: each moves from its envelope to the set-aside table, with the
   * master's reason, in one synced batch (a crash before it leaves them pending, as before).
   */
  setAside(refusals: readonly Refusal[]): Promise<number> {
    const run = this.writes.then(() => this.setAsideNow(refusals));
    this.writes = run.catch(() => {});
    return run;
  }

  private async setAsideNow(refusals: readonly Refusal[]): Promise<number> {
    const ids = new Set(refusals.map((r) => r.pending.statement.id));
    const { ops, counted, removed } = await this.removal(
      refusals.map((r) => r.pending),
      ids,
    );
    const at = this.now().toISOString();
    const envelopeOf = new Map(counted.map(([env, , key]) => [key, env]));
    let added = 0;
    for (const r of refusals) {
      const env = envelopeOf.get(r.pending.key);
      // Already gone (acknowledged, or set aside by another run): nothing to keep apart.
      if (!env?.statements.some((s) => s.id === r.pending.statement.id)) continue;
      const { statement, key } = r.pending;
      const entry: SetAsideStatement = {
        learner: env.learner,
        day: env.day,
        statement,
        status: r.status,
        reason: r.reason,
        at,
      };
      ops.push(this.refused.putOp(`${key}.${statement.id}`, entry));
      added++;
    }
    await this.store.write(ops, true);
    for (const [env, gone] of counted) this.count(env, -gone);
    this.setAsideCount += added;
    return removed;
  }

  /** The statements the master refused, oldest first, with its reasons. */
  async *setAsideStatements(): AsyncGenerator<SetAsideStatement> {
    for await (const [, entry] of this.refused.between()) yield entry;
  }

  /** The batch ops that take the statements with these ids out of their envelopes. */
  private async removal(pending: readonly PendingStatement[], ids: ReadonlySet<string>) {
    const keys = [...new Set(pending.filter((p) => ids.has(p.statement.id)).map((p) => p.key))];
    let removed = 0;
    const ops: BatchOp[] = [];
    const counted: Array<[Envelope, number, string]> = [];
    for (const key of keys) {
      const env = await this.envelopes.get(key);
      if (!env) continue;
      const left = env.statements.filter((s) => !ids.has(s.id));
      const gone = env.statements.length - left.length;
      ops.push(
        left.length === 0
          ? this.envelopes.delOp(key)
          : this.envelopes.putOp(key, { ...env, statements: left }),
      );
      counted.push([env, gone, key]);
      removed += gone;
    }
    return { ops, counted, removed };
  }

  /** The outcome of an upload, for the status. */
  async noteUpload(last: LastUpload): Promise<void> {
    this.tally = { ...this.tally, lastUpload: last };
    // Not synced: a lost note only shows an older "last upload" after a power cut.
    await this.meta.put("upload", this.tally, false);
  }

  counts(): RecordsCounts {
    return {
      pending: this.pendingCount,
      setAside: this.setAsideCount,
      sent: this.tally.sent,
      lastUpload: this.tally.lastUpload ?? null,
      cap: this.o.maxPending,
      nearlyFull: this.stored() >= this.o.maxPending * NEARLY_FULL_SHARE,
      full: this.stored() >= this.o.maxPending,
    };
  }
}

/**
 * The master's record store: every statement an agent uploaded, once, in LevelDB.
 *
 * Tables (all written in one synced batch per upload, so a crash keeps a whole batch or none):
 *   records.seq        <seq>                  → StoredRecord   (arrival order; export, forwarding)
 *   records.id         <statement id>         → { seq, digest } (idempotency)
 *   records.conflicts  <id>\0<digest>         → ConflictRecord (same id, other content: kept apart)
 *   records.by-<key>   <value>\0<seq>         → 1   for course, activity, learner, device, time
 *   records.meta       next                   → the next arrival sequence number
 * A conflict never replaces the original; re-sending the same conflicting content stores
 * nothing new.
 */
import { createHash } from "node:crypto";
import type { Statement } from "../../records/statement.js";
import type { BatchOp, Store, Table } from "../../store/index.js";
import { freeBytes } from "../../util/space.js";
import { statementFacts } from "./facts.js";

export interface StoredRecord {
  seq: number;
  id: string;
  /** The device that uploaded it (from the batch). */
  device: string;
  /** When the master stored it (ISO 8601, never earlier than the record before it). */
  stored: string;
  course: string;
  activity: string;
  learner: string;
  statement: Statement;
}

export interface ConflictRecord {
  id: string;
  device: string;
  stored: string;
  /** Arrival sequence of the original this one conflicts with. */
  original: number;
  statement: Statement;
}

export interface IngestResult {
  acknowledged: string[];
  stored: number;
  duplicates: number;
  conflicts: string[];
}

export interface RecordFilter {
  course?: string;
  activity?: string;
  learner?: string;
  device?: string;
  /** Only records the master stored after this instant (ISO 8601, exclusive), as xAPI's `since`. */
  since?: string;
}

/** The store cannot take a batch now; the same batch may succeed after `retryAfter` seconds. */
export class RecordsUnavailable extends Error {
  constructor(
    message: string,
    readonly retryAfter: number,
  ) {
    super(message);
    this.name = "RecordsUnavailable";
  }
}

export interface RecordStoreOptions {
  /** Directory whose filesystem holds the database, to refuse batches before the disk is full. */
  dataDir?: string;
  /** Free bytes below which batches are refused with a retry (default 64 MiB). */
  minFreeBytes?: number;
  /** Batches waiting for their turn beyond which new ones are refused with a retry (default 32). */
  maxWaiting?: number;
}

const INDEXED = ["course", "activity", "learner", "device"] as const;
type IndexName = (typeof INDEXED)[number] | "time";

/** Sequence numbers as fixed-width keys, so key order is arrival order. */
export const seqKey = (seq: number) => String(seq).padStart(15, "0");

/** The same JSON value, whatever its key order: what "identical content" means. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v);
}

export const contentDigest = (s: Statement) => createHash("sha256").update(canonical(s)).digest("base64url");

export class RecordStore {
  private readonly bySeq: Table<StoredRecord>;
  private readonly byId: Table<{ seq: number; digest: string }>;
  private readonly conflictTable: Table<ConflictRecord>;
  private readonly indexes: Record<IndexName, Table<1>>;
  private readonly meta: Table<number | string>;
  private nextSeq = 1;
  private lastStored = "";
  /** Batches are written one after another: ids are checked against everything before them. */
  private queue: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly store: Store,
    private readonly opts: RecordStoreOptions = {},
  ) {
    this.bySeq = store.table("records.seq");
    this.byId = store.table("records.id");
    this.conflictTable = store.table("records.conflicts");
    this.meta = store.table("records.meta");
    this.indexes = Object.fromEntries(
      [...INDEXED, "time"].map((n) => [n, store.table<1>(`records.by-${n}`)]),
    ) as Record<IndexName, Table<1>>;
  }

  /** Read where the sequence stands. */
  async open(): Promise<this> {
    this.nextSeq = ((await this.meta.get("next")) as number | undefined) ?? 1;
    this.lastStored = ((await this.meta.get("last-stored")) as string | undefined) ?? "";
    return this;
  }

  /** Highest arrival sequence stored so far (0 when empty). */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /**
   * Keep `statements` (already validated) from `device`, durably, before resolving. Every id
   * of the batch ends up acknowledged: stored, an identical re-send, or a kept conflict.
   */
  ingest(device: string, statements: Statement[]): Promise<IngestResult> {
    const limit = this.opts.maxWaiting ?? 32;
    if (this.waiting >= limit)
      return Promise.reject(new RecordsUnavailable(`${this.waiting} uploads are waiting to be stored`, 1));
    this.waiting++;
    const run = this.queue.then(() => this.write(device, statements));
    this.queue = run.catch(() => {});
    return run.finally(() => this.waiting--);
  }

  private async write(device: string, statements: Statement[]): Promise<IngestResult> {
    await this.checkSpace();
    const result: IngestResult = { acknowledged: [], stored: 0, duplicates: 0, conflicts: [] };
    const ops: BatchOp[] = [];
    const inBatch = new Map<string, { seq: number; digest: string }>();
    const conflictsSeen = new Set<string>();
    let seq = this.nextSeq;
    const stored = this.storedNow();
    const before = await this.byId.getMany(statements.map((st) => st.id));
    for (const [i, statement] of statements.entries()) {
      const digest = contentDigest(statement);
      const known = inBatch.get(statement.id) ?? before[i];
      result.acknowledged.push(statement.id);
      if (known?.digest === digest) {
        result.duplicates++;
      } else if (known) {
        result.conflicts.push(statement.id);
        const key = `${statement.id}\x00${digest}`;
        if (!conflictsSeen.has(key) && !(await this.conflictTable.get(key)))
          ops.push(
            this.conflictTable.putOp(key, {
              id: statement.id,
              device,
              stored,
              original: known.seq,
              statement,
            }),
          );
        conflictsSeen.add(key);
      } else {
        const record = this.recordOf(seq++, device, stored, statement);
        inBatch.set(statement.id, { seq: record.seq, digest });
        ops.push(...this.recordOps(record, digest));
        result.stored++;
      }
    }
    if (ops.length > 0) {
      ops.push(this.meta.putOp("next", seq), this.meta.putOp("last-stored", stored));
      await this.store.write(ops, true);
      this.nextSeq = seq;
      this.lastStored = stored;
      if (result.stored > 0) for (const listener of this.listeners) listener();
    }
    return result;
  }

  /** Call `listener` after each batch that stored new statements; returns the unsubscribe. */
  onStored(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Now, but never before the last stored record: `since` must not skip one. */
  private storedNow(): string {
    const now = new Date().toISOString();
    return now > this.lastStored ? now : this.lastStored;
  }

  private recordOf(seq: number, device: string, stored: string, statement: Statement): StoredRecord {
    const f = statementFacts(statement);
    return {
      seq,
      id: statement.id,
      device,
      stored,
      course: f.course,
      activity: f.activity,
      learner: f.learner,
      statement,
    };
  }

  private recordOps(r: StoredRecord, digest: string): BatchOp[] {
    const k = seqKey(r.seq);
    const ops = [this.bySeq.putOp(k, r), this.byId.putOp(r.id, { seq: r.seq, digest })];
    for (const name of INDEXED) if (r[name]) ops.push(this.indexes[name].putOp(`${r[name]}\x00${k}`, 1));
    ops.push(this.indexes.time.putOp(`${r.stored}\x00${k}`, 1));
    return ops;
  }

  private async checkSpace(): Promise<void> {
    if (!this.opts.dataDir) return;
    const floor = this.opts.minFreeBytes ?? 64 << 20;
    const free = await freeBytes(this.opts.dataDir);
    if (free < floor)
      throw new RecordsUnavailable(`the master's disk is nearly full (${free} bytes free): retry later`, 300);
  }

  /** The stored record of a statement id (the original, never a conflict). */
  async get(id: string): Promise<StoredRecord | undefined> {
    const entry = await this.byId.get(id);
    return entry && this.bySeq.get(seqKey(entry.seq));
  }

  /** Records in arrival order after sequence `afterSeq`: what the forwarder sends next. */
  async *after(afterSeq: number): AsyncGenerator<StoredRecord> {
    for await (const [, r] of this.bySeq.between(seqKey(afterSeq))) yield r;
  }

  /**
   * Records matching `filter`, in arrival order, read as they are consumed. One index drives
   * the walk (the narrowest the filter names); the other conditions are checked per record.
   */
  async *records(filter: RecordFilter = {}): AsyncGenerator<StoredRecord> {
    const driver = (["learner", "device", "activity", "course"] as const).find(
      (n) => filter[n] !== undefined,
    );
    const matches = (r: StoredRecord) =>
      INDEXED.every((n) => filter[n] === undefined || r[n] === filter[n]) &&
      (filter.since === undefined || r.stored > filter.since);
    if (driver === undefined && filter.since === undefined) {
      yield* this.after(0);
      return;
    }
    const [index, after, before] =
      driver !== undefined
        ? [this.indexes[driver], `${filter[driver]}\x00`, `${filter[driver]}\x01`]
        : [this.indexes.time, `${filter.since}\x01`, undefined];
    for await (const [key] of index.between(after, before)) {
      const r = await this.bySeq.get(key.slice(key.lastIndexOf("\x00") + 1));
      if (r && matches(r)) yield r;
    }
  }

  /** Every kept conflict, grouped by statement id. */
  async *conflicts(): AsyncGenerator<ConflictRecord> {
    for await (const [, c] of this.conflictTable.between()) yield c;
  }

  /** A small durable value of the records subsystem (the forwarder's cursor). */
  async getMeta(key: string): Promise<number | string | undefined> {
    return this.meta.get(key);
  }

  async setMeta(key: string, value: number | string): Promise<void> {
    await this.meta.put(key, value, true);
  }
}

/**
 * Forwarding to an xAPI 1.0.3 LRS: every stored statement, in arrival order, in batches
 * (`POST <lrs>/statements`), with a durable cursor: the arrival sequence of the last one the
 * LRS accepted. The cursor moves only after a 200/204 (or a 409 for a statement the LRS
 * already holds), so an LRS that is down loses nothing, and a statement it accepted is not
 * sent again — except the last batch once more after a power cut between its answer and the
 * cursor write, which an LRS takes as the same statement ids again.
 *
 * A batch the LRS refuses as a whole (409: one id it already holds; 400: one statement it does
 * not take; 413: too large) is sent again one statement at a time, so one statement cannot
 * hold back the others. A single statement refused with a 4xx is skipped, counted and logged:
 * the master still keeps it, and export still has it.
 */
import { backoffMs, request, sleep } from "../../transfer/index.js";
import type { RecordStore, StoredRecord } from "./store.js";

export interface LrsOptions {
  /** The LRS endpoint (statements go to `<url>/statements`). */
  url: string;
  username?: string;
  password?: string;
  /** Statements per request (default 50). */
  batchSize?: number;
  /** Back-off after a failure: first wait and longest wait (defaults 1 s and 5 min). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** An LRS that gives no answer within this is given up for this try (default 30 s). */
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface ForwardingStatus {
  url: string;
  /** Arrival sequence of the last statement the LRS accepted. */
  cursor: number;
  /** Stored statements not yet accepted by the LRS. */
  pending: number;
  /** Statements the LRS refused on their own (4xx), skipped. */
  refused: number;
  lastError?: string;
  lastSentAt?: string;
}

/** How an LRS answered one request. */
type Outcome =
  | { kind: "accepted" }
  | { kind: "refused"; status: number; text: string }
  | { kind: "retry"; why: string; waitMs?: number };

export class LrsForwarder {
  private readonly cursorKey: string;
  private readonly stopping = new AbortController();
  private wake: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private cursor = 0;
  private refused = 0;
  private failures = 0;
  private lastError: string | undefined;
  private lastSentAt: string | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly records: RecordStore,
    private readonly o: LrsOptions,
  ) {
    // One cursor per LRS: pointing the master at another one sends it everything.
    this.cursorKey = `lrs-cursor ${o.url}`;
  }

  async start(): Promise<void> {
    this.cursor = Number((await this.records.getMeta(this.cursorKey)) ?? 0);
    this.refused = Number((await this.records.getMeta(`lrs-refused ${this.o.url}`)) ?? 0);
    this.unsubscribe = this.records.onStored(() => this.wake?.());
    this.running = this.loop().catch((e) => {
      if (!this.stopping.signal.aborted) this.log(`forwarding stopped: ${(e as Error).message}`);
    });
  }

  /** Stop after the request in flight is answered: a batch the LRS accepted is recorded. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.stopping.abort(new Error("the master is stopping"));
    this.wake?.();
    await this.running;
  }

  status(): ForwardingStatus {
    return {
      url: this.o.url,
      cursor: this.cursor,
      pending: Math.max(0, this.records.lastSeq - this.cursor),
      refused: this.refused,
      ...(this.lastError !== undefined && { lastError: this.lastError }),
      ...(this.lastSentAt !== undefined && { lastSentAt: this.lastSentAt }),
    };
  }

  private log(line: string) {
    this.o.log?.(`lrs ${this.o.url}: ${line}`);
  }

  private async loop(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      const batch = await this.nextBatch();
      if (batch.length === 0) {
        await this.idle();
        continue;
      }
      const outcome = await this.send(batch);
      if (outcome.kind === "accepted") await this.accepted(batch.at(-1)!.seq);
      else if (outcome.kind === "refused") await this.oneByOne(batch);
      else await this.failed(outcome);
    }
  }

  private async nextBatch(): Promise<StoredRecord[]> {
    const batch: StoredRecord[] = [];
    for await (const r of this.records.after(this.cursor)) {
      batch.push(r);
      if (batch.length >= (this.o.batchSize ?? 50)) break;
    }
    return batch;
  }

  /** Wait for a new statement (or stop). */
  private idle(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = () => {
        this.wake = undefined;
        resolve();
      };
      if (this.stopping.signal.aborted || this.records.lastSeq > this.cursor) this.wake();
    });
  }

  /** The batch the LRS refused whole, one statement at a time, until one needs a retry. */
  private async oneByOne(batch: StoredRecord[]): Promise<void> {
    for (const r of batch) {
      if (this.stopping.signal.aborted) return;
      const outcome = await this.send([r]);
      if (outcome.kind === "retry") return this.failed(outcome);
      if (outcome.kind === "refused") {
        this.refused++;
        this.log(`statement ${r.id} refused with ${outcome.status}: ${outcome.text}; skipped`);
        await this.records.setMeta(`lrs-refused ${this.o.url}`, this.refused);
      }
      await this.accepted(r.seq);
    }
  }

  private async accepted(seq: number): Promise<void> {
    await this.records.setMeta(this.cursorKey, seq);
    this.cursor = seq;
    this.failures = 0;
    this.lastError = undefined;
    this.lastSentAt = new Date().toISOString();
  }

  private async failed(outcome: Extract<Outcome, { kind: "retry" }>): Promise<void> {
    this.lastError = outcome.why;
    const wait =
      outcome.waitMs ?? backoffMs(this.failures, this.o.retryBaseMs ?? 1000, this.o.retryMaxMs ?? 300_000);
    if (this.failures === 0) this.log(`${outcome.why}; retrying with back-off`);
    this.failures++;
    await sleep(wait, this.stopping.signal).catch(() => {});
  }

  private async send(batch: StoredRecord[]): Promise<Outcome> {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "x-experience-api-version": "1.0.3",
    };
    if (this.o.username !== undefined || this.o.password !== undefined)
      headers.authorization = `Basic ${Buffer.from(`${this.o.username ?? ""}:${this.o.password ?? ""}`).toString("base64")}`;
    const body = JSON.stringify(batch.map((r) => r.statement));
    try {
      // Not the stop signal: a request in flight is finished, so an accepted batch is recorded.
      const { res, body: answer } = await request(
        { baseUrl: this.o.url, timeoutMs: this.o.timeoutMs ?? 30_000, deadlineMs: 5 * 60_000 },
        "/statements",
        { method: "POST", headers, body },
      );
      let text = "";
      for await (const c of answer) if (text.length < 2000) text += Buffer.from(c).toString("utf8");
      return this.outcomeOf(res.status, text.slice(0, 500), batch.length, res.headers["retry-after"]);
    } catch (e) {
      return { kind: "retry", why: (e as Error).message };
    }
  }

  private outcomeOf(status: number, text: string, size: number, retryAfter?: string | string[]): Outcome {
    if (status === 200 || status === 204) return { kind: "accepted" };
    // 409 for one statement: the LRS holds that id already, which is what we wanted.
    if (status === 409 && size === 1) return { kind: "accepted" };
    if (status === 400 || status === 409 || status === 413 || status === 422)
      return { kind: "refused", status, text };
    const wait = Number(retryAfter);
    return {
      kind: "retry",
      why: `${status} from ${this.o.url}/statements: ${text}`,
      ...(Number.isFinite(wait) && wait > 0 && { waitMs: Math.min(wait, 3600) * 1000 }),
    };
  }
}

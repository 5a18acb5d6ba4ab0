// The "records up" step: pending statements go to the master in batches (POST /v1/records,
// at most 200 statements and 1 MiB each) through the transfer layer's request helper
// (timeouts, deadline, 503 Retry-After, back-off with jitter). A statement leaves the Pi only
// once the master has acknowledged it, and re-sending one is harmless (the master keeps each
// id once), so a cut link or a kill -9 at any moment costs at most one re-sent batch.
//
// A statement the master refuses must not hold up the ones behind it. The master checks a
// whole batch first and answers 400 naming every statement it refuses (by its place in the
// batch, with the problems); those are set aside on the Pi with the master's reason and the
// rest go on. A 400 that names no statement is about the request, not a statement: the run
// stops, as for any other failure. A single statement too large for the master (413) is set
// aside the same way.
import { z } from "zod";
import {
  BadAnswerError,
  backoffMs,
  type ClientOptions,
  HttpError,
  requestJson,
  retryWhenNotReady,
  sleep,
} from "../../transfer/index.js";
import type { Outbox, PendingStatement, Refusal } from "./outbox.js";

/** What the master takes in one request. */
export const MAX_BATCH_STATEMENTS = 200;
export const MAX_BATCH_BYTES = 1 << 20;
/** Room for {"device":"…","statements":[…]} around the statements. */
const ENVELOPE_BYTES = 256;

/** The master's answer to a batch. */
const recordsAck = z
  .object({
    acknowledged: z.array(z.string()),
    stored: z.number().int().min(0),
    duplicates: z.number().int().min(0),
    conflicts: z.array(z.string()),
  })
  .describe("records acknowledgement");

/** The master's 400 for a batch with statements it refuses: which ones, and why. */
const refusedAnswer = z.object({
  invalid: z
    .array(
      z.object({
        index: z.number().int().min(0),
        id: z.string().optional(),
        problems: z.array(z.string()).min(1),
      }),
    )
    .min(1),
});

/** How much of a statement's id the master repeats in its refusal. */
const REFUSED_ID_CHARS = 64;

export interface UploadRecordsOptions
  extends Pick<ClientOptions, "token" | "signal" | "timeoutMs" | "deadlineMs"> {
  outbox: Outbox;
  masterUrl: string;
  deviceId: string;
  batchSize?: number;
  /** Tries of one batch on a failed link or a 5xx before the step gives up until the next cycle. */
  attempts?: number;
  onProgress?: (p: { sent: number; pending: number }) => void;
}

export interface UploadOutcome {
  ok: boolean;
  /** Statements the master acknowledged in this run. */
  sent: number;
  /** Statements the master kept as conflicts (same id, other content) for review. */
  conflicts: number;
  /** Statements the master refused in this run, now set aside on the Pi. */
  setAside: number;
  /** Request bodies sent, in bytes (what the statements cost on the wire, before HTTP headers). */
  bodyBytes: number;
  requests: number;
  error?: string;
}

/** Send every pending statement; failures end the run with `error`, the rest waits for the next. */
export async function uploadRecords(o: UploadRecordsOptions): Promise<UploadOutcome> {
  const out: UploadOutcome = { ok: true, sent: 0, conflicts: 0, setAside: 0, bodyBytes: 0, requests: 0 };
  let size = Math.min(o.batchSize ?? MAX_BATCH_STATEMENTS, MAX_BATCH_STATEMENTS);
  try {
    for (;;) {
      const batch = await o.outbox.batch(size, MAX_BATCH_BYTES - ENVELOPE_BYTES);
      if (batch.length === 0) break;
      const body = JSON.stringify({ device: o.deviceId, statements: batch.map((p) => p.statement) });
      let ack: z.infer<typeof recordsAck>;
      try {
        ack = await sendBatch(o, body);
      } catch (err) {
        // Too big for this master's limit: smaller batches, down to one statement.
        if (err instanceof HttpError && err.status === 413 && size > 1) {
          size = Math.max(1, Math.floor(batch.length / 2));
          continue;
        }
        const refusals = refusalsOf(err, batch);
        if (!refusals) throw err;
        out.requests++;
        out.bodyBytes += Buffer.byteLength(body);
        const moved = await o.outbox.setAside(refusals);
        // Nothing moved means the same batch would be refused again: stop rather than spin.
        if (moved === 0) throw err;
        out.setAside += moved;
        o.onProgress?.({ sent: out.sent, pending: o.outbox.counts().pending });
        continue;
      }
      out.requests++;
      out.bodyBytes += Buffer.byteLength(body);
      const ids = new Set(batch.map((p) => p.statement.id));
      const kept = new Set(ack.acknowledged.filter((id) => ids.has(id)));
      if (kept.size === 0) throw new BadAnswerError("the master acknowledged none of the batch it was sent");
      out.sent += await o.outbox.acknowledge(batch, kept);
      out.conflicts += ack.conflicts.length;
      o.onProgress?.({ sent: out.sent, pending: o.outbox.counts().pending });
    }
  } catch (err) {
    out.ok = false;
    out.error = (err as Error).message;
  }
  await o.outbox.noteUpload({
    at: new Date().toISOString(),
    ok: out.ok,
    sent: out.sent,
    ...(out.error ? { error: out.error } : {}),
  });
  return out;
}

/**
 * The statements of `batch` the master refused, when its answer names them (every one must be
 * in the batch, or the answer is not trusted), or a lone statement too large for it; else
 * undefined.
 */
function refusalsOf(err: unknown, batch: readonly PendingStatement[]): Refusal[] | undefined {
  if (!(err instanceof HttpError)) return undefined;
  if (err.status === 413 && batch.length === 1)
    return [{ pending: batch[0]!, status: 413, reason: err.message }];
  if (err.status !== 400) return undefined;
  const named = refusedAnswer.safeParse(err.answer);
  if (!named.success) return undefined;
  const refusals: Refusal[] = [];
  for (const { index, id, problems } of named.data.invalid) {
    const pending = batch[index];
    if (!pending || (id !== undefined && pending.statement.id.slice(0, REFUSED_ID_CHARS) !== id))
      return undefined;
    refusals.push({ pending, status: 400, reason: problems.join("; ") });
  }
  return refusals;
}

/** One batch, retried on a failed link or a 5xx with back-off; 503 waits as the master asks. */
async function sendBatch(o: UploadRecordsOptions, body: string) {
  const attempts = o.attempts ?? 4;
  const client: ClientOptions = {
    baseUrl: o.masterUrl,
    token: o.token,
    signal: o.signal,
    timeoutMs: o.timeoutMs,
    deadlineMs: o.deadlineMs,
    maxJsonBytes: 1 << 20,
  };
  const post = () =>
    requestJson(
      client,
      "/v1/records",
      { method: "POST", headers: { "content-type": "application/json" }, body },
      recordsAck,
    );
  for (let attempt = 0; ; attempt++) {
    try {
      return await retryWhenNotReady(post, o.signal, 5 * 60_000);
    } catch (err) {
      const permanent = (err instanceof HttpError && err.permanent) || err instanceof BadAnswerError;
      if (permanent || o.signal?.aborted || attempt + 1 >= attempts) throw err;
      await sleep(backoffMs(attempt), o.signal);
    }
  }
}

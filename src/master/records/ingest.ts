// POST /v1/records: a batch of statements from an agent, kept durably before the answer.
// The whole batch is checked first; one bad statement refuses it all (400 naming each one),
// so what an agent sees acknowledged is exactly what the master holds.
import type { Context } from "koa";
import { rawBody } from "../../http/body.js";
import type { Statement } from "../../records/statement.js";
import { validateStatement } from "../../records/xapi.js";
import { HttpProblem } from "../problem.js";
import { type IngestResult, type RecordStore, RecordsUnavailable } from "./store.js";

export const MAX_BATCH_STATEMENTS = 200;
export const MAX_BATCH_BYTES = 1 << 20;

const DEVICE_ID = /^[\w.:-]{1,128}$/;

export interface InvalidStatement {
  index: number;
  id?: string;
  problems: string[];
}

/** A refused batch: the message names the first bad statements, `invalid` lists them all. */
class InvalidBatch extends HttpProblem {
  constructor(readonly invalid: InvalidStatement[]) {
    const shown = invalid
      .slice(0, 3)
      .map((s) => `statement ${s.index}${s.id ? ` (${s.id})` : ""}: ${s.problems.slice(0, 3).join("; ")}`);
    const more = invalid.length > 3 ? `; and ${invalid.length - 3} more invalid statements` : "";
    super(400, shown.join("; ") + more);
  }
}

/** The batch in a request body, or the reason it is not one. */
export function parseBatch(body: Buffer): { device: string; statements: Statement[] } {
  let data: unknown;
  try {
    data = JSON.parse(body.toString("utf8"));
  } catch (e) {
    throw new HttpProblem(400, `body is not JSON: ${(e as Error).message}`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data))
    throw new HttpProblem(400, 'body must be an object {"device": …, "statements": […]}');
  const { device, statements } = data as { device?: unknown; statements?: unknown };
  if (typeof device !== "string" || !DEVICE_ID.test(device))
    throw new HttpProblem(400, "device: must be the device id (1-128 letters, digits, . _ : -)");
  if (!Array.isArray(statements)) throw new HttpProblem(400, "statements: must be an array");
  if (statements.length > MAX_BATCH_STATEMENTS)
    throw new HttpProblem(
      413,
      `statements: ${statements.length} in one batch, at most ${MAX_BATCH_STATEMENTS} are accepted`,
    );
  const invalid: InvalidStatement[] = [];
  statements.forEach((s, index) => {
    const problems = validateStatement(s);
    if (problems.length === 0) return;
    const id = (s as { id?: unknown } | null)?.id;
    invalid.push({ index, ...(typeof id === "string" && { id: id.slice(0, 64) }), problems });
  });
  if (invalid.length > 0) throw new InvalidBatch(invalid);
  return { device, statements: statements as Statement[] };
}

export async function ingestBatch(ctx: Context, records: RecordStore): Promise<void> {
  if (!ctx.is("application/json")) throw new HttpProblem(415, "send the batch as application/json");
  const body = await rawBody(ctx, MAX_BATCH_BYTES);
  let batch: ReturnType<typeof parseBatch>;
  try {
    batch = parseBatch(body);
  } catch (e) {
    if (!(e instanceof InvalidBatch)) throw e;
    ctx.status = 400;
    ctx.body = { error: e.message, invalid: e.invalid };
    return;
  }
  let result: IngestResult;
  try {
    result = await records.ingest(batch.device, batch.statements);
  } catch (e) {
    if (e instanceof RecordsUnavailable) throw new HttpProblem(503, e.message, e.retryAfter);
    throw e;
  }
  ctx.body = result;
}

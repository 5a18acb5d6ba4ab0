// GET /v1/records: the stored statements, streamed as they are read from the store. JSON
// lines (one xAPI statement per line, with the master's `stored` time) by default; CSV for a
// spreadsheet with `Accept: text/csv` or `?format=csv`.
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { stringify } from "csv-stringify";
import type { Context } from "koa";
import { HttpProblem } from "../problem.js";
import { statementFacts } from "./facts.js";
import type { RecordFilter, RecordStore, StoredRecord } from "./store.js";

/** The CSV header, in column order: what a teacher sees in the first row. */
export const CSV_COLUMNS = [
  "time",
  "learner",
  "learner id",
  "class",
  "device",
  "course",
  "activity",
  "activity id",
  "verb",
  "score %",
  "raw score",
  "max score",
  "success",
  "completion",
  "response",
  "statement id",
  "stored",
] as const;

/**
 * A text cell a spreadsheet would run as a formula (= + - @, tab, CR first) is prefixed with
 * an apostrophe: names and answers come from phones, and must stay text.
 */
export const cellText = (s: string) => (/^[=+\-@\t\r]/.test(s) ? `'${s}` : s);

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : "");
const bool = (v: unknown) => (typeof v === "boolean" ? String(v) : "");

/** The score as a percentage: scaled, else raw within min..max. */
export function scorePercent(
  score: { scaled?: number; raw?: number; min?: number; max?: number } | undefined,
) {
  if (!score) return "";
  if (typeof score.scaled === "number") return Math.round(score.scaled * 1000) / 10;
  const { raw, min = 0, max } = score;
  if (typeof raw === "number" && typeof max === "number" && max > min)
    return Math.round(((raw - min) / (max - min)) * 1000) / 10;
  return "";
}

export function csvRow(r: StoredRecord): Array<string | number> {
  const s = r.statement;
  const f = statementFacts(s);
  const result = s.result ?? {};
  return [
    typeof s.timestamp === "string" ? s.timestamp : "",
    cellText(f.learnerName),
    cellText(f.learner),
    cellText(f.classCode),
    r.device,
    r.course,
    cellText(f.activityName),
    f.activity,
    cellText(f.verb),
    scorePercent(result.score),
    num(result.score?.raw),
    num(result.score?.max),
    bool(result.success),
    bool(result.completion),
    cellText(typeof result.response === "string" ? result.response : ""),
    r.id,
    r.stored,
  ];
}

/** The filter of a query: course, activity, learner, device, since (ISO 8601). */
export function filterOf(query: Context["query"]): RecordFilter {
  const filter: RecordFilter = {};
  for (const key of ["course", "activity", "learner", "device", "since"] as const) {
    const v = query[key];
    if (v === undefined) continue;
    if (typeof v !== "string" || v === "") throw new HttpProblem(400, `${key}: give it once, not empty`);
    filter[key] = v;
  }
  if (filter.since !== undefined) {
    const t = new Date(filter.since);
    if (Number.isNaN(t.getTime()))
      throw new HttpProblem(400, `since: ${JSON.stringify(filter.since)} is not a date (ISO 8601)`);
    filter.since = t.toISOString();
  }
  return filter;
}

async function* jsonLines(records: AsyncIterable<StoredRecord>): AsyncGenerator<string> {
  for await (const r of records) yield `${JSON.stringify({ ...r.statement, stored: r.stored })}\n`;
}

async function* csvRows(records: AsyncIterable<StoredRecord>) {
  for await (const r of records) yield csvRow(r);
}

function wantsCsv(ctx: Context): boolean {
  const format = ctx.query.format;
  if (format !== undefined && format !== "csv" && format !== "jsonl")
    throw new HttpProblem(400, "format: csv or jsonl");
  if (format !== undefined) return format === "csv";
  return ctx.accepts("application/x-ndjson", "application/json", "text/csv") === "text/csv";
}

export function exportRecords(ctx: Context, records: RecordStore): void {
  const filter = filterOf(ctx.query);
  const source = records.records(filter);
  ctx.set("Cache-Control", "no-store");
  if (wantsCsv(ctx)) {
    ctx.type = "text/csv; charset=utf-8";
    const name = filter.course ? `records-${filter.course}.csv` : "records.csv";
    ctx.set("Content-Disposition", `attachment; filename="${name}"`);
    // With a BOM, spreadsheets read the file as UTF-8 (learners' names are not ASCII).
    const csv = stringify({ header: true, columns: [...CSV_COLUMNS], bom: true });
    // pipeline, not pipe: a read error ends the answer, and a client gone stops the reading.
    pipeline(Readable.from(csvRows(source)), csv).catch(() => {});
    ctx.body = csv;
    return;
  }
  ctx.type = "application/x-ndjson; charset=utf-8";
  ctx.body = Readable.from(jsonLines(source));
}

/** GET /v1/records/conflicts: every statement kept apart for an id already stored otherwise. */
export function exportConflicts(ctx: Context, records: RecordStore): void {
  ctx.set("Cache-Control", "no-store");
  ctx.type = "application/x-ndjson; charset=utf-8";
  ctx.body = Readable.from(conflictLines(records));
}

async function* conflictLines(records: RecordStore): AsyncGenerator<string> {
  for await (const c of records.conflicts()) yield `${JSON.stringify(c)}\n`;
}

// GET /v1/records on a real master: JSON lines or CSV (read back with a real CSV parser),
// filtered, streamed, and behind its own records token.
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLOSED_MESSAGE } from "../../src/master/records/access.js";
import {
  answerStatement,
  answers,
  READ_TOKEN,
  RECORDS_TOKEN,
  recordsMaster,
  upload,
  uuidFor,
} from "./records-helpers.js";

let m: Awaited<ReturnType<typeof recordsMaster>>;

/** A name a spreadsheet must show as typed: accents, a comma, quotes, a line break. */
const AWKWARD = 'Zoë "Zee", de\nla Cruz';

beforeAll(async () => {
  m = await recordsMaster({ recordsToken: RECORDS_TOKEN });
  await upload(m.url, "pi-1", answers(3, 1));
  await upload(m.url, "pi-2", [
    answerStatement({ n: 0, series: 2, course: "biology", learner: "Ben", response: "=1+2", success: false }),
    answerStatement({ n: 1, series: 2, course: "biology", learner: AWKWARD, classCode: "5A" }),
  ]);
  await upload(m.url, "pi-1", [
    {
      ...answerStatement({ n: 0, series: 3, course: "biology", learner: "Ben" }),
      result: { score: { raw: 7, min: 0, max: 10 }, completion: true },
    },
  ]);
});
afterAll(async () => {
  await m?.close();
});

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${m.url}${path}`, { headers: { authorization: `Bearer ${RECORDS_TOKEN}`, ...headers } });

const lines = async (path: string) =>
  (await (await get(path)).text())
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { id: string; stored: string });

const ids = async (path: string) => (await lines(path)).map((s) => s.id);

describe("GET /v1/records", () => {
  it("streams JSON lines of every statement in arrival order, each with its stored time", async () => {
    const res = await get("/v1/records");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson; charset=utf-8");
    expect(res.headers.get("transfer-encoding")).toBe("chunked");
    const all = (await res.text())
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(all.map((s) => s.id)).toEqual([
      uuidFor(0, 1),
      uuidFor(1, 1),
      uuidFor(2, 1),
      uuidFor(0, 2),
      uuidFor(1, 2),
      uuidFor(0, 3),
    ]);
    const { stored, ...statement } = all[1]!;
    expect(statement).toEqual(answers(3, 1)[1]);
    expect(typeof stored === "string" && !Number.isNaN(Date.parse(stored))).toBe(true);
  });

  it.each([
    ["course", "?course=biology", [uuidFor(0, 2), uuidFor(1, 2), uuidFor(0, 3)]],
    ["device", "?device=pi-2", [uuidFor(0, 2), uuidFor(1, 2)]],
    ["learner", "?learner=4B%2Fben", [uuidFor(0, 2), uuidFor(0, 3)]],
    ["course and device", "?course=biology&device=pi-1", [uuidFor(0, 3)]],
    ["a course with none", "?course=chemistry", []],
  ])("filters by %s", async (_, query, expected) => {
    expect(await ids(`/v1/records${query}`)).toEqual(expected);
  });

  it("filters by since: statements stored after that instant", async () => {
    const all = await lines("/v1/records");
    const since = all[4]!.stored;
    const after = all.filter((s) => s.stored > since).map((s) => s.id);
    expect(await ids(`/v1/records?since=${encodeURIComponent(since)}`)).toEqual(after);
    expect(await ids("/v1/records?since=2000-01-01")).toHaveLength(6);
    expect(await ids("/v1/records?since=2999-01-01T00:00:00Z")).toEqual([]);
  });

  it.each([
    ["?since=yesterday", 'since: "yesterday" is not a date (ISO 8601)'],
    ["?course=a&course=b", "course: give it once, not empty"],
    ["?format=xlsx", "format: csv or jsonl"],
  ])("refuses %s", async (query, message) => {
    const res = await get(`/v1/records${query}`);
    expect([res.status, ((await res.json()) as { error: string }).error]).toEqual([400, message]);
  });

  it.each([
    ["Accept: text/csv", "/v1/records", { accept: "text/csv" }],
    ["?format=csv", "/v1/records?format=csv", {}],
  ])("gives a CSV a spreadsheet opens as a table, asked with %s", async (_, path, headers) => {
    const res = await get(path, headers);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="records.csv"');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parse(bytes, { bom: true }) as string[][];
    expect(bytes.subarray(3, bytes.indexOf(10)).toString()).toBe(
      "time,learner,learner id,class,device,course,activity,activity id,verb," +
        "score %,raw score,max score,success,completion,response,statement id,stored",
    );
    expect(rows).toHaveLength(7);
    const byId = new Map(rows.slice(1).map((r) => [r[15], r]));
    expect(byId.get(uuidFor(1, 2))!.slice(0, 16)).toEqual([
      "2026-11-20T09:00:01.000Z",
      AWKWARD,
      `5A/${AWKWARD.toLowerCase()}`,
      "5A",
      "pi-2",
      "biology",
      "Question q1",
      "https://master.handcarry.test/courses/biology/activities/quiz-1/questions/q1",
      "answered",
      "",
      "",
      "",
      "true",
      "",
      "b",
      uuidFor(1, 2),
    ]);
    // A response that looks like a formula stays text.
    expect(byId.get(uuidFor(0, 2))![14]).toBe("'=1+2");
    expect(byId.get(uuidFor(0, 3))!.slice(9, 14)).toEqual(["70", "7", "10", "", "true"]);
  });

  it("names the course in the CSV's file name", async () => {
    const res = await get("/v1/records?course=biology&format=csv");
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="records-biology.csv"');
    expect((parse(await res.text(), { bom: true }) as string[][]).length).toBe(4);
  });

  it("lists kept conflicts", async () => {
    await upload(m.url, "pi-3", [answerStatement({ n: 2, series: 1, response: "z" })]);
    const res = await get("/v1/records/conflicts");
    const conflicts = (await res.text())
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { id: string; device: string; original: number });
    expect(conflicts.map((c) => [c.id, c.device, c.original])).toEqual([[uuidFor(2, 1), "pi-3", 3]]);
  });

  it("says when the master forwards to no LRS", async () => {
    const res = await get("/v1/records/forwarding");
    expect([res.status, await res.json()]).toEqual([
      404,
      { error: "this master forwards to no LRS (see --lrs-url)" },
    ]);
  });

  it("asks for the records token, not the agents' one", async () => {
    const none = await fetch(`${m.url}/v1/records`);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe('Bearer realm="handcarry-records"');
    const agents = await get("/v1/records", { authorization: `Bearer ${READ_TOKEN}` });
    expect([agents.status, await agents.json()]).toEqual([403, { error: "wrong token" }]);
  });
});

describe("a master without a records token", () => {
  it("keeps records closed, saying how to open them", async () => {
    const closed = await recordsMaster();
    try {
      expect((await upload(closed.url, "pi-1", answers(1, 4))).status).toBe(200);
      const res = await fetch(`${closed.url}/v1/records`, {
        headers: { authorization: "Bearer anything-at-all" },
      });
      expect([res.status, await res.json()]).toEqual([403, { error: CLOSED_MESSAGE }]);
      expect(CLOSED_MESSAGE).toBe(
        "records are closed on this master: start it with --records-token (or HANDCARRY_RECORDS_TOKEN) to read them",
      );
    } finally {
      await closed.close();
    }
  });
});

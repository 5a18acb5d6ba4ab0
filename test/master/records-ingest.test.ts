// POST /v1/records on a real master (loopback HTTP, LevelDB in a temp dir): every statement
// kept once by id, conflicts kept beside the original, bad batches refused whole.
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RecordStore, RecordsUnavailable } from "../../src/master/records/store.js";
import { Store } from "../../src/store/index.js";
import { makeTempDir } from "../support/procs.js";
import { waitFor, waitForEvent } from "../support/wait.js";
import {
  answerStatement,
  answers,
  collect,
  READ_TOKEN,
  recordsMaster,
  seriesPrefix,
  upload,
  uuidFor,
} from "./records-helpers.js";

let m: Awaited<ReturnType<typeof recordsMaster>>;
beforeAll(async () => {
  m = await recordsMaster();
});
afterAll(async () => {
  await m?.close();
});

/** The answer to an upload, as the wire protocol has it. */
const ingestAnswer = (
  acknowledged: string[],
  stored: number,
  duplicates: number,
  conflicts: string[] = [],
) => ({
  acknowledged,
  stored,
  duplicates,
  conflicts,
});

const seqsOf = async (series: number) =>
  (await collect(m.records.records())).filter((r) => r.id.startsWith(seriesPrefix(series)));

describe("POST /v1/records", () => {
  it("stores a batch and acknowledges every id", async () => {
    const batch = answers(3, 1);
    const r = await upload(m.url, "pi-1", batch);
    expect(r.status).toBe(200);
    expect(r.body).toEqual(ingestAnswer([uuidFor(0, 1), uuidFor(1, 1), uuidFor(2, 1)], 3, 0, []));
    const kept = await m.records.get(uuidFor(1, 1));
    expect(kept?.device).toBe("pi-1");
    expect(kept?.course).toBe("algebra");
    expect(kept?.learner).toBe("4B/ana");
    expect(kept?.statement).toEqual(batch[1]);
  });

  it("takes the same batch again as a no-op", async () => {
    const batch = answers(3, 2);
    expect((await upload(m.url, "pi-1", batch)).body.stored).toBe(3);
    const again = await upload(m.url, "pi-1", batch);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(ingestAnswer([uuidFor(0, 2), uuidFor(1, 2), uuidFor(2, 2)], 0, 3, []));
    expect((await seqsOf(2)).length).toBe(3);
  });

  it("keeps the same id with other content as a conflict, the original unchanged", async () => {
    const original = answerStatement({ n: 0, series: 3, response: "a", success: false });
    const other = answerStatement({ n: 0, series: 3, response: "c", success: true });
    expect((await upload(m.url, "pi-1", [original])).body.stored).toBe(1);
    const r = await upload(m.url, "pi-2", [other, answerStatement({ n: 1, series: 3 })]);
    expect(r.body).toEqual(ingestAnswer([uuidFor(0, 3), uuidFor(1, 3)], 1, 0, [uuidFor(0, 3)]));
    // Sent once more, the conflict is reported again and kept once.
    expect((await upload(m.url, "pi-2", [other])).body.conflicts).toEqual([uuidFor(0, 3)]);
    expect((await m.records.get(uuidFor(0, 3)))?.statement.result).toEqual({ response: "a", success: false });
    const conflicts = (await collect(m.records.conflicts())).filter((c) => c.id === uuidFor(0, 3));
    expect(conflicts.map((c) => [c.device, c.statement.result?.response])).toEqual([["pi-2", "c"]]);
  });

  it("takes a repeated id inside one batch once", async () => {
    const s = answerStatement({ n: 0, series: 4 });
    const r = await upload(m.url, "pi-1", [s, s]);
    expect(r.body).toEqual(ingestAnswer([uuidFor(0, 4), uuidFor(0, 4)], 1, 1, []));
  });

  it("refuses a batch with a malformed statement, naming it, and stores none of it", async () => {
    const bad = { ...answerStatement({ n: 1, series: 5 }), verb: { id: "answered" } };
    const r = await upload(m.url, "pi-1", [answerStatement({ n: 0, series: 5 }), bad]);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe(
      `statement 1 (${uuidFor(1, 5)}): verb.id: is not a valid Internationalized Resource Identifier (IRI)`,
    );
    expect(r.body.invalid).toEqual([
      {
        index: 1,
        id: uuidFor(1, 5),
        problems: ["verb.id: is not a valid Internationalized Resource Identifier (IRI)"],
      },
    ]);
    expect(await seqsOf(5)).toEqual([]);
  });

  it.each([
    [
      "no id",
      { ...answerStatement({ n: 0 }), id: undefined },
      "statement 0: id: is required (a UUID made where the statement was recorded)",
    ],
    [
      "a bad score",
      { ...answerStatement({ n: 0 }), result: { score: { scaled: 3 } } },
      `statement 0 (${uuidFor(0)}): result.score.scaled: is not a valid scaled score (a number from -1 to 1)`,
    ],
    ["not an object", "hello", "statement 0: statement: is not an object"],
  ])("names the field of a statement with %s", async (_, statement, message) => {
    const r = await upload(m.url, "pi-1", [statement]);
    expect([r.status, r.body.error]).toEqual([400, message]);
  });

  it.each([
    ["not JSON", "{", 400, "body is not JSON: "],
    ["no device", JSON.stringify({ statements: [] }), 400, "device: must be the device id"],
    ["no statements", JSON.stringify({ device: "pi-1" }), 400, "statements: must be an array"],
    [
      "201 statements",
      JSON.stringify({ device: "pi-1", statements: answers(201, 6) }),
      413,
      "statements: 201 in one batch, at most 200 are accepted",
    ],
    [
      "more than 1 MiB",
      JSON.stringify({ device: "pi-1", statements: [], pad: "x".repeat(1 << 20) }),
      413,
      "body of 1048",
    ],
  ])("refuses a body with %s", async (_, body, status, message) => {
    const res = await fetch(`${m.url}/v1/records`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${READ_TOKEN}` },
      body,
    });
    const answer = (await res.json()) as { error: string };
    expect(res.status).toBe(status);
    expect(answer.error.startsWith(message)).toBe(true);
    expect(await seqsOf(6)).toEqual([]);
  });

  it("asks for the agents' token", async () => {
    const none = await upload(m.url, "pi-1", answers(1, 7), null);
    const wrong = await upload(m.url, "pi-1", answers(1, 7), "not-the-token");
    expect([none.status, none.body.error]).toEqual([401, "a bearer token is required"]);
    expect([wrong.status, wrong.body.error]).toEqual([403, "wrong token"]);
    expect(await seqsOf(7)).toEqual([]);
  });

  it("stores nothing of a batch whose connection is cut mid-body", async () => {
    const body = JSON.stringify({ device: "pi-1", statements: answers(50, 8) });
    const serverSide = waitForEvent<Socket>(m.master.server, "connection", "the upload's connection");
    const socket = connect(Number(new URL(m.url).port), "127.0.0.1");
    const held = await serverSide;
    const closed = waitForEvent(held, "close", "the master to drop the cut connection");
    socket.write(
      `POST /v1/records HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${READ_TOKEN}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
    );
    socket.write(body.slice(0, Math.floor(body.length * 0.9)));
    await waitFor(() => held.bytesRead > body.length / 2, "the master to read most of the body");
    socket.destroy();
    await closed;
    expect(await seqsOf(8)).toEqual([]);
    // The same batch, sent whole, is then stored whole.
    expect((await upload(m.url, "pi-1", answers(50, 8))).body.stored).toBe(50);
  });
});

describe("a record store that cannot take a batch now", () => {
  it("answers 503 with Retry-After when the disk is nearly full", async () => {
    const full = await recordsMaster({ records: { minFreeBytes: Number.MAX_SAFE_INTEGER } });
    try {
      const r = await upload(full.url, "pi-1", answers(2, 9));
      expect(r.status).toBe(503);
      expect(r.headers.get("retry-after")).toBe("300");
      expect(String(r.body.error).startsWith("the master's disk is nearly full")).toBe(true);
      expect(await collect(full.records.records())).toEqual([]);
    } finally {
      await full.close();
    }
  });

  it("refuses a batch beyond those already waiting, with a retry in 1 s", async () => {
    const dir = await makeTempDir("hc-records-busy-");
    const store = await Store.open(dir.path);
    try {
      const records = await new RecordStore(store, { maxWaiting: 1 }).open();
      const first = records.ingest("pi-1", answers(1, 10));
      const second = records.ingest("pi-1", answers(1, 10, 1));
      await expect(second).rejects.toEqual(new RecordsUnavailable("1 uploads are waiting to be stored", 1));
      expect((await first).stored).toBe(1);
      expect((await records.ingest("pi-1", answers(1, 10, 1))).stored).toBe(1);
    } finally {
      await store.close();
      await dir.cleanup();
    }
  });
});

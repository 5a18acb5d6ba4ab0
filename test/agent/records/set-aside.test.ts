// A statement the master refuses does not hold up the others: against the real master on
// loopback, the uploader sets each refused statement aside in the agent's real LevelDB, with
// the master's reason, and sends the rest. The set-aside count shows in /api/status, on the
// status page and in `handcarry sync --json`; set-aside statements stay on the Pi across a
// restart and count against the total cap. A 400 that names no statement sets nothing aside.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent } from "../../../src/agent/agent.js";
import { Outbox, type OutboxOptions } from "../../../src/agent/records/outbox.js";
import { uploadRecords } from "../../../src/agent/records/upload.js";
import { type RunningMaster, startMaster } from "../../../src/master/server.js";
import { choiceStatement, RecordsFullError, type Statement } from "../../../src/records/index.js";
import { Store } from "../../../src/store/index.js";
import { startCli } from "../../support/procs.js";
import { agentConfig, FakeLink, simulatedDevice, tempDir } from "../helpers.js";

const DEVICE = "k3v9q2m8x1c4z7b0";
const LEARNER = { id: "l-ana", name: "Ana", classCode: "4B" };
const BAD_VERB = "verb.id: is not a valid Internationalized Resource Identifier (IRI)";
const RECORDS_TOKEN = "records-secret-set-aside";
const BAD_SCALED = "result.score.scaled: is not a valid scaled score (a number from -1 to 1)";

let dir: Awaited<ReturnType<typeof tempDir>>;
let master: RunningMaster;
beforeAll(async () => {
  dir = await tempDir("hc-set-aside-");
  master = await startMaster({
    dataDir: join(dir.path, "master"),
    host: "127.0.0.1",
    port: 0,
    publishToken: "publish-secret-set-aside",
    recordsToken: RECORDS_TOKEN,
  });
});
afterAll(async () => {
  await master?.close();
  await dir?.remove();
});

let n = 0;
/** A choice answer as the hotspot records it: valid for the agent and the master. */
function good(): Statement {
  const place = { masterUrl: master.url, deviceId: DEVICE, courseId: "health", contentHash: "hc1:v1" };
  return choiceStatement({ ...place, activityId: `choice_${++n}` }, LEARNER, "2026-12-01T09:00:00.000Z", [
    "1",
  ]);
}
/** Statements the master refuses (an agent of another version might have kept such). */
const badVerb = (): Statement => ({ ...good(), verb: { id: "answered" } });
const badScore = (): Statement => ({ ...good(), result: { score: { scaled: 2 } } });

const options = (maxPending = 1000): OutboxOptions => ({
  deviceId: DEVICE,
  masterUrl: () => master.url,
  maxPending,
  maxPerLearnerPerDay: 1000,
});

async function masterIds(): Promise<string[]> {
  const res = await fetch(`${master.url}/v1/records?device=${DEVICE}`, {
    headers: { authorization: `Bearer ${RECORDS_TOKEN}` },
  });
  expect(res.status).toBe(200);
  const text = await res.text();
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { id: string }).id);
}

describe("statements the master refuses", () => {
  it("are set aside with the master's reason; the rest go up; they stay after a restart", async () => {
    const db = join(dir.path, "uploader-db");
    let store = await Store.open(db);
    let outbox = await Outbox.open(store, options(8));
    const [g1, b1, g2, g3, b2, g4] = [good(), badVerb(), good(), good(), badScore(), good()];
    // A quiz-like save of three, then one, then two.
    await outbox.keep(LEARNER, [g1!, b1!, g2!]);
    await outbox.keep(LEARNER, [g3!]);
    await outbox.keep(LEARNER, [b2!, g4!]);
    const upload = (o: Outbox, deviceId = DEVICE) =>
      uploadRecords({
        outbox: o,
        masterUrl: master.url,
        deviceId,
        batchSize: 2,
        timeoutMs: 30_000,
        deadlineMs: 60_000,
      });

    const r = await upload(outbox);
    // [g1 b1] refused for b1, [g1 g2] sent, [g3 b2] refused for b2, [g3 g4] sent.
    expect(r).toMatchObject({ ok: true, sent: 4, setAside: 2, requests: 4 });
    expect(outbox.counts()).toMatchObject({ pending: 0, setAside: 2, sent: 4 });
    expect((await masterIds()).sort()).toEqual([g1!.id, g2!.id, g3!.id, g4!.id].sort());
    const kept = [];
    for await (const s of outbox.setAsideStatements()) kept.push(s);
    expect(kept.map((s) => [s.statement.id, s.status, s.reason, s.learner])).toEqual([
      [b1!.id, 400, BAD_VERB, "l-ana"],
      [b2!.id, 400, BAD_SCALED, "l-ana"],
    ]);
    expect(kept[0]!.statement).toEqual(b1);

    // Kept across a restart, never sent again, and counted against the total cap (8).
    await store.close();
    store = await Store.open(db);
    outbox = await Outbox.open(store, options(8));
    expect(outbox.counts()).toMatchObject({ pending: 0, setAside: 2, sent: 4 });
    expect(await upload(outbox)).toMatchObject({ ok: true, sent: 0, setAside: 0, requests: 0 });
    await outbox.keep(LEARNER, [good(), good(), good(), good(), good()]);
    expect(outbox.counts()).toMatchObject({ pending: 5, setAside: 2, nearlyFull: false, full: false });
    await expect(outbox.keep(LEARNER, [good(), good()])).rejects.toThrow(RecordsFullError);

    // A 400 about the request itself (here a device id the master does not take) names no
    // statement: the run stops with it and sets nothing aside.
    const refusedRequest = await upload(outbox, "not a device id");
    expect(refusedRequest).toMatchObject({
      ok: false,
      sent: 0,
      setAside: 0,
      error: "400 from /v1/records: device: must be the device id (1-128 letters, digits, . _ : -)",
    });
    expect(outbox.counts()).toMatchObject({ pending: 5, setAside: 2 });
    await store.close();
  });

  it("show in the agent's /api/status, its status page and `handcarry sync --json`", async () => {
    const link = await FakeLink.create(join(dir.path, "link"));
    const dataDir = join(dir.path, "agent");
    const device = await simulatedDevice(link, dataDir);
    const agent = await startAgent({
      config: agentConfig({ dataDir, masterUrl: master.url }),
      device,
      manualConnectivity: true,
    });
    try {
      await agent.outbox.keep(LEARNER, [good(), badVerb(), good()]);
      await agent.syncNow("test");
      const status = (await (await fetch(`${agent.url}/api/status`)).json()) as {
        records: { pending: number; sent: number; setAside: number };
      };
      expect(status.records).toMatchObject({ pending: 0, sent: 2, setAside: 1 });
      const page = await (await fetch(`${agent.url}/status`)).text();
      expect(page).toContain(
        '0 waiting to go to the master, 2 sent <span class="err">1 refused by the master: kept apart on this device, the others go on</span>',
      );
    } finally {
      await agent.close();
      device.close();
    }

    // The agent is stopped: the one-shot sync carries what waits and reports what is set aside.
    const store = await Store.open(join(dataDir, "agent-db"));
    const outbox = await Outbox.open(store, options());
    await outbox.keep(LEARNER, [badScore(), good()]);
    await store.close();
    const sync = startCli(["sync", "--data", dataDir, "--master", master.url, "--json"]);
    expect((await sync.waitForExit()).code).toBe(0);
    const records = sync
      .stdoutLines()
      .map((l) => JSON.parse(l) as { type: string })
      .find((e) => e.type === "records");
    expect(records).toMatchObject({ type: "records", ok: true, sent: 1, pending: 0, setAside: 2 });
  });
});

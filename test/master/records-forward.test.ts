// Forwarding to an xAPI LRS on loopback that validates every statement it receives and is
// taken down and brought back mid-run: each statement arrives exactly once.
import { afterEach, describe, expect, it } from "vitest";
import { LRS_PASSWORD, LRS_USER, startTestLrs, type TestLrs } from "../support/lrs.js";
import { Cleanups, makeTempDir } from "../support/procs.js";
import { waitFor } from "../support/wait.js";
import { startMasterProcess } from "./helpers.js";
import { answers, READ_TOKEN, RECORDS_TOKEN, recordsMaster, upload, uuidFor } from "./records-helpers.js";

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

/** Fast back-off: the test waits on conditions, these only make the retries come soon. */
const lrsOptions = (lrs: TestLrs, batchSize = 25) => ({
  recordsToken: RECORDS_TOKEN,
  lrs: {
    url: lrs.url,
    username: LRS_USER,
    password: LRS_PASSWORD,
    batchSize,
    retryBaseMs: 20,
    retryMaxMs: 200,
  },
});

async function setup(batchSize = 25, dataDir?: string) {
  const lrs = await startTestLrs();
  cleanups.add("lrs", () => lrs.close());
  const m = await recordsMaster(lrsOptions(lrs, batchSize), dataDir);
  cleanups.add("master", () => m.close());
  return { lrs, m };
}

const arrived = (lrs: TestLrs, n: number) =>
  waitFor(
    () => lrs.statements.size >= n,
    () => `${n} statements at the LRS (has ${lrs.statements.size})`,
  );

/** Every one of `ids` accepted exactly once, and nothing else arrived. */
function expectOnce(lrs: TestLrs, ids: string[]) {
  expect(lrs.invalid).toEqual([]);
  expect(lrs.statements.size).toBe(ids.length);
  expect(ids.filter((id) => lrs.accepted.get(id) !== 1)).toEqual([]);
}

const seriesIds = (series: number, count: number) =>
  Array.from({ length: count }, (_, i) => uuidFor(i, series));

describe("forwarding to an LRS", () => {
  it("sends each statement exactly once through an LRS that goes down and comes back", async () => {
    const { lrs, m } = await setup();
    let wentDown = false;
    lrs.afterAccept = (total) => {
      if (total >= 100 && !wentDown) {
        wentDown = true;
        void lrs.down();
      }
    };
    for (let b = 0; b < 6; b++)
      expect((await upload(m.url, "pi-1", answers(40, 1, b * 40))).status).toBe(200);
    await waitFor(
      () => wentDown && m.master.forwarder!.status().lastError,
      "a failed send while the LRS is down",
    );
    const held = lrs.statements.size;
    // Uploads go on while the LRS is away.
    for (let b = 6; b < 10; b++) await upload(m.url, "pi-2", answers(40, 1, b * 40));
    expect(lrs.statements.size).toBe(held);
    expect(m.master.forwarder!.status().pending).toBe(400 - held);
    await lrs.up();
    await arrived(lrs, 400);
    expectOnce(lrs, seriesIds(1, 400));
    await waitFor(() => m.master.forwarder!.status().pending === 0, "the cursor at the end");
    const status = await fetch(`${m.url}/v1/records/forwarding`, {
      headers: { authorization: `Bearer ${RECORDS_TOKEN}` },
    });
    expect(await status.json()).toMatchObject({ url: lrs.url, cursor: 400, pending: 0, refused: 0 });
  });

  it("takes a 409 for a statement the LRS already holds as accepted", async () => {
    const { lrs, m } = await setup(10);
    // As after a power cut between the LRS's answer and the cursor write.
    const batch = answers(10, 2);
    lrs.statements.set(batch[3]!.id, batch[3]);
    await upload(m.url, "pi-1", batch);
    await arrived(lrs, 10);
    await waitFor(() => m.master.forwarder!.status().pending === 0, "the cursor at the end");
    expect(lrs.answers.get(409)).toBe(2); // the batch, then that statement alone
    expect(lrs.answers.get(200)).toBe(9);
    expect(seriesIds(2, 10).map((id) => lrs.accepted.get(id) ?? 0)).toEqual([1, 1, 1, 0, 1, 1, 1, 1, 1, 1]);
  });

  it("retries answers that may get better (503, a wrong password) until the LRS takes them", async () => {
    const { lrs, m } = await setup();
    lrs.failNext(3, 503);
    await upload(m.url, "pi-1", answers(30, 3));
    await arrived(lrs, 30);
    expect(lrs.answers.get(503)).toBe(3);
    lrs.failNext(2, 401);
    await upload(m.url, "pi-1", answers(5, 3, 30));
    await arrived(lrs, 35);
    expect(lrs.answers.get(401)).toBe(2);
    expectOnce(lrs, seriesIds(3, 35));
  });

  it("skips and counts a statement the LRS refuses on its own; the others go on", async () => {
    const { lrs, m } = await setup(10);
    lrs.refuseIds.add(uuidFor(5, 4));
    await upload(m.url, "pi-1", answers(30, 4));
    await waitFor(() => m.master.forwarder!.status().pending === 0, "every statement sent or skipped");
    expect(m.master.forwarder!.status().refused).toBe(1);
    expectOnce(
      lrs,
      seriesIds(4, 30).filter((id) => id !== uuidFor(5, 4)),
    );
    // The master keeps it all the same.
    expect((await m.records.get(uuidFor(5, 4)))?.id).toBe(uuidFor(5, 4));
  });

  it("keeps its cursor across a restart: the new master sends only what is left", async () => {
    const dir = await makeTempDir("hc-records-fwd-");
    cleanups.add("dir", () => dir.cleanup());
    const first = await setup(25, dir.path);
    await upload(first.m.url, "pi-1", answers(100, 5));
    await arrived(first.lrs, 100);
    await waitFor(() => first.m.master.forwarder!.status().pending === 0, "the cursor at the end");
    await first.m.close();
    const lrs = first.lrs;
    const again = await recordsMaster(lrsOptions(lrs), dir.path);
    cleanups.add("second master", () => again.close());
    await upload(again.url, "pi-1", answers(50, 5, 100));
    await arrived(lrs, 150);
    await waitFor(() => again.master.forwarder!.status().pending === 0, "the cursor at the end");
    expectOnce(lrs, seriesIds(5, 150));
  });

  it("is set up with handcarry master --lrs-url --lrs-username --lrs-password", {
    timeout: 300_000,
  }, async () => {
    const lrs = await startTestLrs();
    cleanups.add("lrs", () => lrs.close());
    const flags = ["--lrs-url", lrs.url, "--lrs-username", LRS_USER, "--lrs-password", LRS_PASSWORD];
    const master = await startMasterProcess(["--read-token", READ_TOKEN, ...flags]);
    cleanups.add("master process", () => master.stop());
    await upload(master.url, "pi-1", answers(3, 6));
    await arrived(lrs, 3);
    expectOnce(lrs, seriesIds(6, 3));
  });
});

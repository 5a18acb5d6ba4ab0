// A real `handcarry master` process killed with SIGKILL right after it answered 200 to an
// upload: restarted on the same data, it holds every acknowledged statement.
import { afterAll, describe, expect, it } from "vitest";
import { makeTempDir, type TempDir } from "../support/procs.js";
import { type MasterProcess, startMasterProcess } from "./helpers.js";
import { answers, READ_TOKEN, upload, uuidFor } from "./records-helpers.js";

const SLOW = 300_000;
let dir: TempDir | undefined;
let master: MasterProcess | undefined;
afterAll(async () => {
  await master?.stop();
  await dir?.cleanup();
}, SLOW);

const start = () => startMasterProcess(["--read-token", READ_TOKEN], dir!.path);

describe("records survive kill -9", { timeout: SLOW }, () => {
  it("keeps every statement the master acknowledged before it was killed", async () => {
    dir = await makeTempDir("hc-records-kill-");
    master = await start();
    const batches = [answers(200, 1), answers(200, 2), answers(200, 3)];
    for (const batch of batches) expect((await upload(master.url, "pi-1", batch)).body.stored).toBe(200);
    const last = answers(150, 4);
    const answer = await upload(master.url, "pi-2", last);
    master.process.child.kill("SIGKILL");
    expect(answer.status).toBe(200);
    expect(answer.body.acknowledged).toHaveLength(150);
    const exit = await master.process.exited;
    expect(exit.signal).toBe("SIGKILL");

    master = await start();
    for (const batch of [...batches, last]) {
      const again = await upload(master.url, "pi-1", batch);
      expect([again.body.stored, again.body.duplicates]).toEqual([0, batch.length]);
    }
    // And it takes new statements after the restart.
    const next = await upload(master.url, "pi-1", answers(1, 5));
    expect(next.body).toEqual({ acknowledged: [uuidFor(0, 5)], stored: 1, duplicates: 0, conflicts: [] });
  });
});

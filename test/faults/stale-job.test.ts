// A sync interrupted mid-download, then the master moves on (new versions published, the
// old base and its deltas dropped): the agent's persisted job names a blob the master no
// longer has. The next sync must recover (start over from a fresh plan), not fail forever.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningMaster } from "../../src/master/server.js";
import { FaultProxy } from "../support/fault-proxy.js";
import { makeTempDir, type TempDir } from "../support/procs.js";
import {
  type CoursePair,
  expectServedIntact,
  installedHash,
  jobOf,
  publish,
  startTestMaster,
  syncQuiet,
  writeCoursePair,
} from "./helpers.js";

let a: CoursePair;
let b: CoursePair;
let master: RunningMaster;
let mdir: TempDir;
let agent: TempDir;

beforeAll(async () => {
  a = await writeCoursePair("large-addition", 0.05);
  b = await writeCoursePair("small-text-change", 0.05);
  // Two versions kept: publishing a third drops the first and the deltas from it.
  ({ master, dir: mdir } = await startTestMaster({ pieceSize: 16 * 1024, keepVersions: 2 }));
  agent = await makeTempDir("hc-faults-agent-");
});

afterAll(async () => {
  await master?.close();
  for (const d of [mdir, agent, a?.dir, b?.dir]) await d?.cleanup();
});

describe("a persisted job whose blob the master dropped", () => {
  // BUG (src/agent/sync.ts, syncCourse): a job is resumed as long as its base is installed;
  // a 404 on its pieces is a permanent TransferError, the job is kept, and every later
  // sync fails the same way. It should drop the job and negotiate again.
  it("the next sync starts over and installs the newest version", async () => {
    const oldHash = (await publish(master, a.old)).contentHash;
    expect((await syncQuiet({ dataDir: agent.path, masterUrl: master.url })).result.ok).toBe(true);
    await publish(master, a.new);

    // Interrupt the download: a link that dies every 4 KB and a short budget make the run
    // give up part-way, as a carrier walking out of range would.
    const flaky = await FaultProxy.start({
      targetHost: "127.0.0.1",
      targetPort: Number(new URL(master.url).port),
      faults: { cutAfterBytes: 4096, cutMode: "close" },
    });
    try {
      const first = await syncQuiet({ dataDir: agent.path, masterUrl: flaky.url, budgetMs: 300 });
      expect(first.result.ok).toBe(false);
    } finally {
      await flaky.close();
    }
    expect((await jobOf(agent.path))?.phase).toBe("downloading");

    // The master moves on: a third version drops the first one and the delta from it.
    const latest = (await publish(master, b.new)).contentHash;
    await expectServedIntact(agent.path, [oldHash]);

    const again = await syncQuiet({ dataDir: agent.path, masterUrl: master.url });
    const done = again.result.courses[0]!;
    expect(done.type, JSON.stringify(done)).toBe("course-done");
    if (done.type === "course-done") {
      expect(done.contentHash).toBe(latest);
      expect(await installedHash(done.path)).toBe(latest);
    }
    expect(await jobOf(agent.path)).toBeUndefined();
  });
});

// Stopping a sync (the agent going back to serving, a shutdown): once the caller's signal is
// aborted no further piece is fetched, the run ends as failed-will-resume, the job is kept
// and the old version stays served.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syncAll } from "../../src/agent/sync.js";
import type { RunningMaster } from "../../src/master/server.js";
import type { BlobManifest } from "../../src/transfer/index.js";
import { FaultProxy } from "../support/fault-proxy.js";
import { makeTempDir, type TempDir } from "../support/procs.js";
import {
  type CoursePair,
  copyAgent,
  expectServedIntact,
  jobOf,
  planBlob,
  publish,
  startTestMaster,
  syncQuiet,
  writeCoursePair,
} from "./helpers.js";

let course: CoursePair;
let master: RunningMaster;
let mdir: TempDir;
let template: TempDir;
let work: TempDir;
let oldHash: string;
let delta: BlobManifest;

beforeAll(async () => {
  course = await writeCoursePair("large-addition", 0.05);
  ({ master, dir: mdir } = await startTestMaster({ pieceSize: 16 * 1024 }));
  oldHash = (await publish(master, course.old)).contentHash;
  template = await makeTempDir("hc-faults-agent-");
  expect((await syncQuiet({ dataDir: template.path, masterUrl: master.url })).result.ok).toBe(true);
  await publish(master, course.new);
  delta = (await planBlob(master, oldHash)).blob;
  work = await makeTempDir("hc-faults-abort-");
});

afterAll(async () => {
  await master?.close();
  for (const d of [mdir, template, work, course?.dir]) await d?.cleanup();
});

describe("aborting a sync", () => {
  // BUG (src/transfer/http.ts `request`): the caller's signal is only listened to
  // ("abort" event), never checked; a request started after the abort ignores it, and
  // fetchBlob only looks at `signal.aborted` after a piece failed. A sync stopped between
  // two pieces (or before the first) downloads everything anyway. Check `signal.aborted`
  // before each request (and before each piece).
  it("stopped as the download starts: no piece is fetched, the job is kept", async () => {
    const dir = await copyAgent(template.path, `${work.path}/agent`);
    const proxy = await FaultProxy.start({
      targetHost: "127.0.0.1",
      targetPort: Number(new URL(master.url).port),
    });
    try {
      const stop = new AbortController();
      const result = await syncAll({
        dataDir: dir,
        masterUrl: proxy.url,
        signal: stop.signal,
        onEvent: (e) => {
          if (e.type === "phase" && e.phase === "downloading") stop.abort(new Error("stopped by the agent"));
        },
      });
      expect(result.ok, JSON.stringify(result.courses)).toBe(false);
      expect(proxy.stats().down.bytesOut, `the delta is ${delta.size} bytes`).toBeLessThan(delta.size / 2);
      expect((await jobOf(dir))?.phase).toBe("downloading");
      await expectServedIntact(dir, [oldHash]);
    } finally {
      await proxy.close();
    }
  });
});

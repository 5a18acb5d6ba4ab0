// Cut-offs at random byte offsets (seeded trials): the sync always finishes byte-identical,
// and each cut costs at most one piece of re-download (a cut piece resumes with Range).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningMaster } from "../../src/master/server.js";
import type { BlobManifest } from "../../src/transfer/index.js";
import { FaultProxy, type Faults } from "../support/fault-proxy.js";
import { makeTempDir, type TempDir } from "../support/procs.js";
import {
  COURSE,
  type CoursePair,
  installedHash,
  planBlob,
  publish,
  report,
  startTestMaster,
  syncQuiet,
  writeCoursePair,
} from "./helpers.js";

const PIECE = 32 * 1024;
const TRIALS = 8;

let course: CoursePair;
let master: RunningMaster;
let mdir: TempDir;
let newHash: string;
let blob: BlobManifest;
const port = () => Number(new URL(master.url).port);

beforeAll(async () => {
  course = await writeCoursePair("large-addition", 0.2);
  ({ master, dir: mdir } = await startTestMaster({ pieceSize: PIECE }));
  newHash = (await publish(master, course.new)).contentHash;
  // A fresh agent gets the whole archive: one blob of many pieces.
  blob = (await planBlob(master, undefined)).blob;
  expect(blob.md5.length).toBeGreaterThan(40);
});

afterAll(async () => {
  await master?.close();
  await mdir?.cleanup();
  await course?.dir.cleanup();
});

/** Sync a fresh agent through a proxy with `faults`, re-running (as the agent's timer would) until done. */
async function syncThrough(faults: Partial<Faults>, seed: number) {
  const proxy = await FaultProxy.start({ targetHost: "127.0.0.1", targetPort: port(), seed, faults });
  const agent = await makeTempDir("hc-faults-agent-");
  try {
    let runs = 0;
    for (;;) {
      runs++;
      const { result } = await syncQuiet({
        dataDir: agent.path,
        masterUrl: proxy.url,
        courses: [COURSE],
      });
      const c = result.courses[0]!;
      if (c.type === "course-done") {
        expect(c.contentHash).toBe(newHash);
        expect(await installedHash(c.path)).toBe(newHash);
        return { stats: proxy.stats(), runs };
      }
      expect(c.resumable, c.error).toBe(true);
      if (runs >= 10) throw new Error(`still failing after ${runs} runs: ${c.error}`);
    }
  } finally {
    await proxy.close();
    await agent.cleanup();
  }
}

describe("connections cut at random byte offsets", () => {
  it(`${TRIALS} seeded trials: sync completes, re-download ≤ one piece per cut`, async () => {
    const clean = await syncThrough({}, 1);
    expect(clean.stats.cuts).toBe(0);
    // What a sync costs on a clean link (blob + plan + HTTP headers).
    const baseline = clean.stats.down.bytesOut;
    expect(baseline).toBeGreaterThanOrEqual(blob.size);
    const rows: Array<{
      seed: number;
      mode: string;
      cuts: number;
      extra: number;
      perCut: number;
      runs: number;
    }> = [];
    for (let seed = 1; seed <= TRIALS; seed++) {
      const cutMode = seed % 2 === 0 ? "close" : "reset";
      const { stats, runs } = await syncThrough({ resetPerMB: 4, cutMode }, seed);
      const extra = stats.down.bytesOut - baseline;
      rows.push({
        seed,
        mode: cutMode,
        cuts: stats.cuts,
        extra,
        perCut: stats.cuts ? Math.round(extra / stats.cuts) : 0,
        runs,
      });
      expect(stats.cuts, `seed ${seed}`).toBeGreaterThan(0);
      // A FIN after exactly N bytes loses nothing already delivered: the bound holds per trial.
      if (cutMode === "close")
        expect(extra, `seed ${seed}: ${stats.cuts} cuts`).toBeLessThanOrEqual(stats.cuts * PIECE);
    }
    const cuts = rows.reduce((n, r) => n + r.cuts, 0);
    const extra = rows.reduce((n, r) => n + r.extra, 0);
    // An RST also throws away what sat in the socket buffers (counted as delivered by the
    // proxy), which depends on timing, not on the piece size: the bound holds over all cuts.
    const resets = rows.filter((r) => r.mode === "reset");
    expect(resets.reduce((n, r) => n + r.extra, 0)).toBeLessThanOrEqual(
      resets.reduce((n, r) => n + r.cuts, 0) * PIECE,
    );
    expect(extra).toBeLessThanOrEqual(cuts * PIECE);
    report("cutoffs", {
      blobBytes: blob.size,
      pieceSize: PIECE,
      trials: rows.length,
      cuts,
      extraBytes: extra,
      bytesPerCut: Math.round(extra / cuts),
      rows,
    });
  });

  it("unknown base: the summary and signatures go up a link that is cut too, and the sync still finishes", async () => {
    // An agent holding the old version, told not to name it: it sends its entry summary and
    // block signatures (in pieces) up through a proxy that cuts the uplink at random offsets.
    const { master: m, dir } = await startTestMaster({ pieceSize: 8 * 1024 });
    const agent = await makeTempDir("hc-faults-agent-");
    // A text change: the changed entries are signed, so signatures go up in pieces.
    const edit = await writeCoursePair("small-text-change", 0.2);
    try {
      await publish(m, edit.old);
      expect((await syncQuiet({ dataDir: agent.path, masterUrl: m.url })).result.ok).toBe(true);
      const target = (await publish(m, edit.new)).contentHash;
      const proxy = await FaultProxy.start({
        targetHost: "127.0.0.1",
        targetPort: Number(new URL(m.url).port),
        seed: 5,
        // Dense enough that the (small) uplink of an unknown-base sync is cut for sure.
        faults: { resetPerMB: 600, direction: "up" },
      });
      try {
        let runs = 0;
        let done: { contentHash: string; path: string; plan: string; bytesUp: number } | undefined;
        const failures: string[] = [];
        while (!done && runs < 15) {
          runs++;
          const { result } = await syncQuiet({
            dataDir: agent.path,
            masterUrl: proxy.url,
            courses: [COURSE],
            unknownBase: true,
          });
          const c = result.courses[0]!;
          if (c.type === "course-done") done = c;
          else {
            expect(c.resumable, c.error).toBe(true);
            failures.push(c.error);
          }
        }
        expect(done, failures.join("\n")).toBeDefined();
        expect(done!.contentHash).toBe(target);
        expect(done!.plan).toBe("unknown-base");
        expect(await installedHash(done!.path)).toBe(target);
        const stats = proxy.stats();
        report("cutoffs-uplink", {
          cuts: stats.cuts,
          runs,
          bytesUp: stats.up.bytesOut,
          syncBytesUp: done!.bytesUp,
          failures,
        });
        expect(stats.cuts, "the uplink was cut").toBeGreaterThan(0);
      } finally {
        await proxy.close();
      }
    } finally {
      await m.close();
      await dir.cleanup();
      await agent.cleanup();
      await edit.dir.cleanup();
    }
  });

  it("a piece cut many times mid-way still completes with Range resumes (cut after every 20 KB)", async () => {
    // Every connection dies after 20 KiB: no piece (32 KiB) can come down in one go.
    const { stats, runs } = await syncThrough({ cutAfterBytes: 20 * 1024, cutMode: "close" }, 3);
    expect(stats.cuts).toBeGreaterThan(blob.md5.length);
    report("cut-every-20k", {
      cuts: stats.cuts,
      bytesDown: stats.down.bytesOut,
      blobBytes: blob.size,
      perCut: Math.round((stats.down.bytesOut - blob.size) / stats.cuts),
      runs,
    });
    // A cut piece resumes where its partial file ends: each cut costs less than half a piece
    // (what is lost: the next request's headers, and body bytes the HTTP client had queued
    // but not yet handed to the writer when the connection ended — more on a loaded machine).
    expect(stats.down.bytesOut).toBeLessThan(blob.size + stats.cuts * (PIECE / 2));
  });
});

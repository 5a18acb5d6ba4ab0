// Across network namespaces: the master runs in one namespace, the agent in the other, joined
// by a veth with a tc tbf rate cap; a userspace proxy next to the agent adds 300 ms delay and
// 10 % "loss" (stalls); the link goes down and up three times during the download. The sync
// completes and verifies. HANDCARRY_SLOW=1 runs the 50 MB update (a few MB otherwise).
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BlobManifest } from "../../src/transfer/index.js";
import { RemoteFaultProxy } from "../support/fault-proxy-remote.js";
import { NetnsPair, netnsAvailable } from "../support/netns.js";
import { type ManagedProcess, makeTempDir, startCli, type TempDir } from "../support/procs.js";
import {
  COURSE,
  type CoursePair,
  copyAgent,
  expectServedIntact,
  installedHash,
  PUBLISH_TOKEN,
  planBlob,
  publish,
  report,
  startTestMaster,
  syncQuiet,
  writeCoursePair,
} from "./helpers.js";

const SLOW = process.env.HANDCARRY_SLOW === "1";
/** large-addition at this scale: a ~2 MB delta, or ~50 MB with HANDCARRY_SLOW=1. */
const SCALE = SLOW ? 7.5 : 0.3;
/** The default piece size (256 KiB) for the 50 MB run; 64 KiB pieces make the small run many pieces. */
const PIECE = SLOW ? 256 * 1024 : 64 * 1024;
const PORT = 8870;

const ns = await netnsAvailable();
if (!ns.ok) console.warn(`netns fault tests skipped: ${ns.reason}`);

let course: CoursePair;
let masterData: TempDir;
let template: TempDir;
let work: TempDir;
let oldHash: string;
let newHash: string;
let delta: BlobManifest;
let pair: NetnsPair | undefined;

beforeAll(async () => {
  if (!ns.ok) return;
  course = await writeCoursePair("large-addition", SCALE);
  // Prepare the master's data on loopback (old + new published, delta built), then hand the
  // data dir to a master process inside the master namespace.
  const { master, dir } = await startTestMaster({ pieceSize: PIECE });
  masterData = dir;
  try {
    oldHash = (await publish(master, course.old)).contentHash;
    template = await makeTempDir("hc-faults-agent-");
    expect((await syncQuiet({ dataDir: template.path, masterUrl: master.url })).result.ok).toBe(true);
    newHash = (await publish(master, course.new)).contentHash;
    delta = (await planBlob(master, oldHash)).blob;
  } finally {
    await master.close();
  }
  work = await makeTempDir("hc-faults-netns-");
  pair = await NetnsPair.create();
});

afterAll(async () => {
  await pair?.destroy();
  for (const d of [masterData, template, work, course?.dir]) await d?.cleanup();
});

/** Resolve once the agent reports at least `fraction` of the blob downloaded. */
async function progressAt(proc: ManagedProcess, fraction: number, timeoutMs: number): Promise<void> {
  const re = /"type":"progress".*"done":(\d+),"total":(\d+)/;
  let from = 0;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { index, match } = await proc.waitForLine(re, {
      from,
      stream: "stdout",
      timeoutMs: Math.max(1, deadline - Date.now()),
    });
    if (Number(match[1]) >= fraction * Number(match[2])) return;
    from = index + 1;
  }
}

describe.skipIf(!ns.ok)("master and agent in separate namespaces", () => {
  it(`${SLOW ? "50 MB" : "small"} update over 300 ms delay, 10 % loss, tbf rate cap and three link drops`, async () => {
    const p = pair!;
    const master = p.track(
      startCli(
        [
          "master",
          "--data",
          masterData.path,
          "--host",
          p.masterIp,
          "--port",
          String(PORT),
          "--publish-token",
          PUBLISH_TOKEN,
          "--piece-size",
          String(PIECE),
        ],
        { netns: p.master, name: "master in namespace" },
      ),
    );
    await master.waitForLine(/listening on/);
    await p.rateLimit("master", { rate: SLOW ? "40mbit" : "16mbit", burst: "64kbit", latency: "400ms" });
    const proxy = await RemoteFaultProxy.start({
      netns: p.agent,
      target: `${p.masterIp}:${PORT}`,
      seed: 6,
      faults: { delayMs: 300, loss: 0.1, stallMs: 250, lossUnitBytes: SLOW ? 256 * 1024 : 16 * 1024 },
    });
    p.track(proxy.process);
    const agent = await copyAgent(template.path, join(work.path, "agent"));

    const started = Date.now();
    const drops: Array<{ side: string; atFraction: number; ms: number }> = [];
    let runs = 0;
    let result: { contentHash: string; path: string } | undefined;
    // The agent's timer would start the sync again after a failed run; so does this loop.
    while (!result && runs < 6) {
      runs++;
      const sync = p.track(
        startCli(
          ["sync", "--data", agent, "--master", proxy.url, "--course", COURSE, "--json", "--reserve", "1"],
          {
            netns: p.agent,
            name: `sync run ${runs}`,
          },
        ),
      );
      if (runs === 1) {
        // Three drops while pieces are coming down: both ends, then the agent's (out of range), then the master's.
        for (const [side, at, ms] of [
          ["both", 0.2, 2_000],
          ["agent", 0.45, 1_500],
          ["master", 0.7, 3_000],
        ] as const) {
          try {
            await progressAt(sync, at, SLOW ? 600_000 : 120_000);
          } catch {
            break; // finished (or failed) before this point
          }
          await p.outage(side, ms);
          drops.push({ side, atFraction: at, ms });
        }
      }
      const exit = await sync.waitForExit(SLOW ? 1_200_000 : 300_000);
      const last = sync.stdoutLines().at(-1) ?? "";
      if (exit.code === 0) result = JSON.parse(last) as { contentHash: string; path: string };
      else expect(exit.code, sync.tail()).toBe(75);
    }
    const seconds = (Date.now() - started) / 1000;
    expect(drops).toHaveLength(3);
    expect(result, "the sync completed").toBeDefined();
    expect(result!.contentHash).toBe(newHash);
    expect(await installedHash(result!.path)).toBe(newHash);
    await expectServedIntact(agent, [newHash]);
    const stats = await proxy.stats();
    report(SLOW ? "netns-50mb" : "netns-small", {
      deltaBytes: delta.size,
      pieces: delta.md5.length,
      seconds,
      runs,
      drops,
      stalls: stats.down.stalls + stats.up.stalls,
      bytesDown: stats.down.bytesOut,
      tbf: SLOW ? "40mbit" : "16mbit",
    });
    expect(stats.down.stalls, "the proxy's loss was in effect").toBeGreaterThan(0);
    // Drops and stalls cost time, not bytes: at most one piece per drop comes down twice.
    expect(stats.down.bytesOut).toBeLessThan(delta.size + 3 * 3 * PIECE + 64 * 1024);
    await proxy.stop();
    await master.stop();
  }, 1_500_000);
});

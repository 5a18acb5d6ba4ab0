/**
 * `handcarry measure OLD NEW`: a real master and a real agent on loopback. The agent first
 * installs OLD, then syncs to NEW; what crosses the socket during that second sync (headers
 * included) is the cost. The result is verified against NEW's content hash.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readManifest } from "./archive/index.js";
import { syncAll } from "./agent/sync.js";
import { publishCourse, startMaster } from "./master/server.js";

export interface MeasureResult {
  ok: boolean;
  bytesUp: number;
  bytesDown: number;
  plan: "known-base" | "unknown-base" | "full" | "none";
  seconds: number;
  newSize: number;
  contentHash: string;
}

export async function measure(
  oldPath: string,
  newPath: string,
  o: { unknownBase?: boolean } = {},
): Promise<MeasureResult> {
  const work = await mkdtemp(join(tmpdir(), "hc-measure-"));
  const token = "measure-publish-token";
  const master = await startMaster({ dataDir: join(work, "master"), publishToken: token });
  try {
    const agentDir = join(work, "agent");
    const pub = (file: string) =>
      publishCourse({ masterUrl: master.url, token, course: "measured", file, title: "measured" });
    await pub(oldPath);
    const first = await syncAll({ dataDir: agentDir, masterUrl: master.url, courses: ["measured"] });
    if (!first.ok) throw new Error(`installing OLD failed: ${JSON.stringify(first.courses)}`);
    const published = await pub(newPath);
    master.resetTraffic();
    const t0 = performance.now();
    const r = await syncAll({
      dataDir: agentDir,
      masterUrl: master.url,
      courses: ["measured"],
      unknownBase: o.unknownBase,
    });
    const seconds = (performance.now() - t0) / 1000;
    // Let keep-alive sockets settle so their counters are final.
    const traffic = master.traffic();
    const done = r.courses[0];
    const expected = (await readManifest(newPath)).contentHash;
    const ok =
      r.ok &&
      done?.type === "course-done" &&
      done.contentHash === expected &&
      published.contentHash === expected;
    const installed =
      done?.type === "course-done" ? (await readManifest(done.path)).contentHash === expected : false;
    return {
      ok: ok && installed,
      bytesUp: traffic.up,
      bytesDown: traffic.down,
      plan: (done?.type === "course-done" ? done.plan : "none") as MeasureResult["plan"],
      seconds,
      newSize: (await import("node:fs")).statSync(newPath).size,
      contentHash: expected,
    };
  } finally {
    await master.close();
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * `handcarry measure OLD NEW`: a real master and a real agent on loopback. The agent first
 * installs OLD, then syncs to NEW; what crosses the socket during that second sync (headers
 * included) is the cost. The result is verified against NEW's content hash.
 * Unknown base: the agent installs OLD from one master and updates from a second master
 * that has never seen OLD, exactly the situation the unknown-base plan is for.
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { syncAll } from "./agent/sync.js";
import { readManifest } from "./archive/index.js";
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
  const first = await startMaster({ dataDir: join(work, "master"), publishToken: token });
  const master = o.unknownBase
    ? await startMaster({ dataDir: join(work, "master2"), publishToken: token })
    : first;
  try {
    const agentDir = join(work, "agent");
    const pub = (url: string, file: string) =>
      publishCourse({ masterUrl: url, token, course: "measured", file, title: "measured" });
    await pub(first.url, oldPath);
    const install = await syncAll({ dataDir: agentDir, masterUrl: first.url, courses: ["measured"] });
    if (!install.ok) throw new Error(`installing OLD failed: ${JSON.stringify(install.courses)}`);
    const published = await pub(master.url, newPath);
    master.resetTraffic();
    const t0 = performance.now();
    const r = await syncAll({ dataDir: agentDir, masterUrl: master.url, courses: ["measured"] });
    const seconds = (performance.now() - t0) / 1000;
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
      newSize: (await stat(newPath)).size,
      contentHash: expected,
    };
  } finally {
    await first.close();
    if (master !== first) await master.close();
    await rm(work, { recursive: true, force: true });
  }
}

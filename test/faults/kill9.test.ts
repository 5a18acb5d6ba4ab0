// kill -9 of the sync CLI at seeded random moments of every phase (≥ 50 trials): after each
// kill the installed version is whole (old or new, never missing or mixed), and a restart
// finishes the job, byte-identical to the master's version, without starting over.
import { mkdir, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningMaster } from "../../src/master/server.js";
import type { BlobManifest } from "../../src/transfer/index.js";
import { FaultProxy } from "../support/fault-proxy.js";
import { makeTempDir, seededRandom, startCli, type TempDir } from "../support/procs.js";
import {
  COURSE,
  type CoursePair,
  copyAgent,
  expectServedIntact,
  installedHash,
  installedOf,
  jobOf,
  planBlob,
  publish,
  report,
  startTestMaster,
  syncQuiet,
  writeCoursePair,
} from "./helpers.js";

const PIECE = 16 * 1024;
/** Download rate through the proxy, so the downloading phase lasts long enough to be hit. */
const RATE = 1_000_000;
type Phase = "negotiating" | "uploading" | "downloading" | "applying" | "verifying" | "switching";
/** Longest random delay after the phase's event before the kill, per phase (ms). */
const MAX_DELAY: Record<Phase, number> = {
  negotiating: 40,
  uploading: 60,
  downloading: 500,
  applying: 250,
  verifying: 80,
  switching: 8,
};

interface Trial {
  n: number;
  kind: "known-base" | "unknown-base" | "full";
  target: Phase;
}

interface Outcome {
  trial: Trial;
  delay: number;
  /** Last phase the killed process announced (or "done" when it finished first). */
  killedIn: string;
  servedAfterKill: "old" | "new" | "none";
  jobAfterKill: string;
  resumeNegotiated: boolean;
  resumeBytesDown: number;
}

let course: CoursePair;
let master: RunningMaster;
let mdir: TempDir;
let template: TempDir;
let work: TempDir;
let proxy: FaultProxy;
let oldHash: string;
let newHash: string;
let delta: BlobManifest;
let full: BlobManifest;
const outcomes: Outcome[] = [];
/** Job records still in the database after a finished resume (see the BUG test below). */
const staleJobs: Array<{ trial: number; killedIn: string; phase: string }> = [];

beforeAll(async () => {
  course = await writeCoursePair("large-addition", 0.06);
  ({ master, dir: mdir } = await startTestMaster({ pieceSize: PIECE }));
  oldHash = (await publish(master, course.old)).contentHash;
  template = await makeTempDir("hc-faults-agent-");
  const first = await syncQuiet({ dataDir: template.path, masterUrl: master.url });
  expect(first.result.ok).toBe(true);
  newHash = (await publish(master, course.new)).contentHash;
  // Build (and cache) the delta once, so trials measure the agent, not the master's first build.
  delta = (await planBlob(master, oldHash)).blob;
  full = (await planBlob(master, undefined)).blob;
  expect(delta.md5.length).toBeGreaterThan(10);
  proxy = await FaultProxy.start({
    targetHost: "127.0.0.1",
    targetPort: Number(new URL(master.url).port),
    faults: { rateBytesPerSec: RATE },
  });
  work = await makeTempDir("hc-faults-kill-");
});

afterAll(async () => {
  await proxy?.close();
  await master?.close();
  for (const d of [mdir, template, work, course?.dir]) await d?.cleanup();
  if (outcomes.length > 0) {
    const byPhase: Record<string, number> = {};
    for (const o of outcomes) byPhase[o.killedIn] = (byPhase[o.killedIn] ?? 0) + 1;
    report("kill9", {
      trials: outcomes.length,
      killedIn: byPhase,
      servedAfterKill: countBy(outcomes.map((o) => o.servedAfterKill)),
      resumedWithoutRenegotiating: outcomes.filter((o) => o.jobAfterKill !== "none" && !o.resumeNegotiated)
        .length,
      deltaBytes: delta.size,
      staleJobsLeft: staleJobs,
      maxResumeBytesAfterDownload: Math.max(
        0,
        ...outcomes
          .filter(
            (o) =>
              o.trial.kind === "known-base" &&
              ["applying", "verifying", "switching"].includes(o.jobAfterKill),
          )
          .map((o) => o.resumeBytesDown),
      ),
    });
  }
});

function countBy(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

/**
 * 50 trials by default (HANDCARRY_KILL_TRIALS=N for more): known-base syncs killed in each
 * of five phases, unknown-base ones killed while uploading signatures, full downloads.
 */
function trials(): Trial[] {
  const total = Math.max(50, Number(process.env.HANDCARRY_KILL_TRIALS ?? 50));
  const out: Trial[] = [];
  const phases: Phase[] = ["negotiating", "downloading", "applying", "verifying", "switching"];
  const fullTargets: Phase[] = ["downloading", "applying", "verifying", "negotiating", "downloading"];
  let known = 0;
  for (let i = 0; out.length < total; i++) {
    // Every tenth trial is unknown-base, every tenth (offset) a full download.
    if (i % 10 === 4) out.push({ n: out.length, kind: "unknown-base", target: "uploading" });
    else if (i % 10 === 9)
      out.push({
        n: out.length,
        kind: "full",
        target: fullTargets[Math.floor(i / 10) % fullTargets.length]!,
      });
    else out.push({ n: out.length, kind: "known-base", target: phases[known++ % phases.length]! });
  }
  return out;
}

async function runTrial(t: Trial): Promise<Outcome> {
  const rand = seededRandom(1000 + t.n);
  const dir = join(work.path, `t${t.n}`);
  if (t.kind === "full") await mkdir(dir, { recursive: true });
  else await copyAgent(template.path, dir);
  const args = ["sync", "--data", dir, "--master", proxy.url, "--course", COURSE, "--json", "--reserve", "1"];
  if (t.kind === "unknown-base") args.push("--unknown-base");
  const proc = startCli(args, { name: `sync trial ${t.n}` });
  let delay = -1;
  try {
    await proc.waitForLine(new RegExp(`"phase":"${t.target}"`), { stream: "stdout" });
    delay = Math.floor(rand() * (MAX_DELAY[t.target] + 1));
    if (delay > 0) await Promise.race([new Promise((r) => setTimeout(r, delay)), proc.exited]);
    proc.kill("SIGKILL");
  } catch (e) {
    // It finished before reaching the phase: allowed only if the phase can be skipped that fast.
    if (proc.running) throw e;
  }
  const exit = await proc.waitForExit();
  const lines = proc.stdoutLines();
  const phases = lines.map((l) => /"phase":"(\w+)"/.exec(l)?.[1]).filter((p): p is string => p !== undefined);
  const finished = lines.some((l) => l.includes('"type":"result"'));
  if (exit.signal !== "SIGKILL") expect(exit.code, proc.tail()).toBe(0);
  const killedIn = finished ? "done" : (phases.at(-1) ?? "start");

  // Right after the kill: a whole version is served (the new one only once switched).
  const rec = await installedOf(dir);
  let served: Outcome["servedAfterKill"] = "none";
  if (t.kind === "full" && rec === undefined) served = "none";
  else {
    const r = await expectServedIntact(dir, [oldHash, newHash]);
    served = r.contentHash === oldHash ? "old" : "new";
  }
  if (t.kind !== "full") expect(served).not.toBe("none");
  const job = await jobOf(dir);

  // Restart (the same code path as the CLI, in-process), straight to the master.
  const resumeProxy = await FaultProxy.start({
    targetHost: "127.0.0.1",
    targetPort: Number(new URL(master.url).port),
  });
  let resume: Awaited<ReturnType<typeof syncQuiet>>;
  try {
    resume = await syncQuiet({
      dataDir: dir,
      masterUrl: resumeProxy.url,
      courses: [COURSE],
      ...(t.kind === "unknown-base" && { unknownBase: true }),
    });
  } finally {
    await resumeProxy.close();
  }
  const bytesDown = resumeProxy.stats().down.bytesOut;
  const done = resume.result.courses[0]!;
  expect(done.type, JSON.stringify(done)).toBe("course-done");
  if (done.type !== "course-done") throw new Error("unreachable");
  expect(done.contentHash).toBe(newHash);
  expect(await installedHash(done.path)).toBe(newHash);
  await expectServedIntact(dir, [newHash]);
  // Nothing left over: one version on disk, no staging, no job.
  expect(await readdir(join(dir, "courses", COURSE))).toEqual([newHash.replace(/^hc1:/, "")]);
  await expect(stat(join(dir, "staging", COURSE))).rejects.toThrow();
  const leftover = await jobOf(dir);
  if (leftover) staleJobs.push({ trial: t.n, killedIn, phase: leftover.phase });

  const negotiated = resume.events.some((e) => e.type === "phase" && e.phase === "negotiating");
  const blob = t.kind === "full" ? full : delta;
  if (job && served === "old") {
    // A persisted job resumes: no new negotiation, and at most the missing pieces come down.
    expect(negotiated, `trial ${t.n}: resumed job ${job.phase} negotiated again`).toBe(false);
    expect(bytesDown).toBeLessThanOrEqual(blob.size + blob.md5.length * 1024);
    if (t.kind === "known-base" && ["applying", "verifying", "switching"].includes(job.phase)) {
      // The blob was complete before the kill: nothing (not one piece) is fetched again.
      expect(bytesDown, `trial ${t.n}: resume after ${job.phase}`).toBeLessThan(PIECE);
    }
  }
  return {
    trial: t,
    delay,
    killedIn,
    servedAfterKill: served,
    jobAfterKill: job?.phase ?? "none",
    resumeNegotiated: negotiated,
    resumeBytesDown: bytesDown,
  };
}

describe("kill -9 during every phase of a sync", () => {
  it(
    "≥ 50 seeded trials: the served version is always whole, the restart finishes byte-identical",
    async () => {
      const all = trials();
      expect(all.length).toBeGreaterThanOrEqual(50);
      // Two trials at a time: each has its own agent dir; the master and proxy are shared.
      const queue = [...all];
      await Promise.all(
        [0, 1].map(async () => {
          for (let t = queue.shift(); t; t = queue.shift()) outcomes.push(await runTrial(t));
        }),
      );
      const killedIn = countBy(outcomes.map((o) => o.killedIn));
      // Every phase with work in it was actually hit by some kill (not only announced).
      // "verifying" compares hashes already computed while applying, so a random kill lands
      // there only by luck; the test below kills it there on purpose.
      for (const p of ["negotiating", "uploading", "downloading", "applying", "switching"]) {
        expect(killedIn[p] ?? 0, `kills landing in ${p}: ${JSON.stringify(killedIn)}`).toBeGreaterThan(0);
      }
      // Kills before the switch left the old version served; some kills landed after it.
      expect(outcomes.filter((o) => o.servedAfterKill === "old").length).toBeGreaterThan(30);
      // 50+ sync processes, each killed and restarted: past 600 s on a 2-core machine at load 30.
    },
    30 * 60_000,
  );
});

describe("kill -9 after a full download", () => {
  // BUG (src/agent/sync.ts, "full" plans): applying renames the downloaded blob into
  // staging/build, and the piece records were dropped after assembly, so a crash in
  // applying/verifying/switching makes the restart download the whole archive again.
  it("killed in verifying, the restart does not download the archive again", async () => {
    const dir = join(work.path, "full-after-download");
    await mkdir(dir, { recursive: true });
    const proc = startCli(
      ["sync", "--data", dir, "--master", proxy.url, "--course", COURSE, "--json", "--reserve", "1"],
      {
        name: "full sync",
      },
    );
    await proc.waitForLine(/"phase":"verifying"/, { stream: "stdout" });
    proc.kill("SIGKILL");
    await proc.waitForExit();
    const job = await jobOf(dir);
    if (!job) return expect.fail(`the kill came too late (finished): ${proc.tail()}`);
    const resumeProxy = await FaultProxy.start({
      targetHost: "127.0.0.1",
      targetPort: Number(new URL(master.url).port),
    });
    try {
      const { result } = await syncQuiet({ dataDir: dir, masterUrl: resumeProxy.url, courses: [COURSE] });
      expect(result.ok).toBe(true);
      expect(await installedOf(dir)).toMatchObject({ contentHash: newHash });
      expect(resumeProxy.stats().down.bytesOut, `full archive is ${full.size} bytes`).toBeLessThan(PIECE);
    } finally {
      await resumeProxy.close();
    }
  });
});

// Disk full on the agent (its data dir on a small tmpfs, topped up with a filler file): the
// sync fails with a clear error, the old version stays served and intact, and once space
// returns (the filler deleted) the job resumes and finishes byte-identical.
import { closeSync, openSync, statfsSync, writeSync } from "node:fs";
import { readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningMaster } from "../../src/master/server.js";
import type { BlobManifest } from "../../src/transfer/index.js";
import { FaultProxy } from "../support/fault-proxy.js";
import {
  makeTempDir,
  mountSmallTmpfs,
  type SmallMount,
  startCli,
  type TempDir,
  tmpfsAvailable,
} from "../support/procs.js";
import {
  COURSE,
  type CoursePair,
  copyAgent,
  expectServedIntact,
  jobOf,
  planBlob,
  publish,
  report,
  startTestMaster,
  syncQuiet,
  writeCoursePair,
} from "./helpers.js";

const PIECE = 16 * 1024;
const tmpfs = await tmpfsAvailable();
if (!tmpfs.ok) console.warn(`disk-full fault tests skipped: ${tmpfs.reason}`);

let course: CoursePair;
let master: RunningMaster;
let mdir: TempDir;
let oldHash: string;
let newHash: string;
let delta: BlobManifest;
let template: TempDir;

beforeAll(async () => {
  if (!tmpfs.ok) return;
  course = await writeCoursePair("large-addition", 0.1);
  ({ master, dir: mdir } = await startTestMaster({ pieceSize: PIECE }));
  oldHash = (await publish(master, course.old)).contentHash;
  template = await makeTempDir("hc-faults-agent-");
  expect((await syncQuiet({ dataDir: template.path, masterUrl: master.url })).result.ok).toBe(true);
  newHash = (await publish(master, course.new)).contentHash;
  delta = (await planBlob(master, oldHash)).blob;
});

afterAll(async () => {
  await master?.close();
  await mdir?.cleanup();
  await course?.dir.cleanup();
  await template?.cleanup();
});

function freeBytes(path: string): number {
  const s = statfsSync(path);
  return s.bavail * s.bsize;
}

/**
 * Fill the disk until only `leave` bytes are free. Synchronous on purpose: called from a
 * phase event, it fills the disk between two steps of a running sync (another writer).
 */
function fillUntil(path: string, leave: number): string {
  const filler = join(path, `filler-${fillers++}`);
  const fd = openSync(filler, "w");
  try {
    const chunk = Buffer.alloc(64 * 1024, 0x5a);
    for (let free = freeBytes(path); free > leave; free = freeBytes(path))
      writeSync(fd, chunk, 0, Math.min(chunk.length, free - leave));
  } finally {
    closeSync(fd);
  }
  return filler;
}
let fillers = 0;

/** Agent with the old version installed, on a 12 MB tmpfs. */
async function agentOnSmallDisk(): Promise<{ disk: SmallMount; dir: string }> {
  const disk = await mountSmallTmpfs(12 * 1024 * 1024);
  const dir = await copyAgent(template.path, join(disk.path, "agent"));
  await expectServedIntact(dir, [oldHash]);
  return { disk, dir };
}

const NO_ROOM =
  /^no space for course field-health: this sync needs [\d.]+ MiB \(download [\d.]+ MiB, rebuild [\d.]+ MiB\) and [\d.]+ MiB is free in \S+\. Free some space, then sync again$/;
const FILLED = (phase: string) =>
  new RegExp(
    `^no space left on the disk while ${phase} course field-health \\(.*ENOSPC.*\\); staged data dropped, the old version is still served$`,
  );

/** Sync through a proxy that counts the bytes down; the course's outcome. */
async function syncCounted(dir: string, onPhase?: (phase: string) => void) {
  const proxy = await FaultProxy.start({
    targetHost: "127.0.0.1",
    targetPort: Number(new URL(master.url).port),
  });
  try {
    const { result, events } = await syncQuiet({
      dataDir: dir,
      masterUrl: proxy.url,
      courses: [COURSE],
      onPhase,
    });
    return { outcome: result.courses[0]!, events, bytesDown: proxy.stats().down.bytesOut };
  } finally {
    await proxy.close();
  }
}

/** With the disk freed again, the next run installs the new version. */
async function expectResumes(dir: string) {
  const { outcome, events, bytesDown } = await syncCounted(dir);
  expect(outcome.type, JSON.stringify(outcome)).toBe("course-done");
  await expectServedIntact(dir, [newHash]);
  return { events, bytesDown };
}

/**
 * An agent on a small disk that has booted once with room (its own database and reserve
 * made); `start` runs `handcarry agent` on it again (1 MiB reserve, quick retries).
 */
async function bootedAgentOnSmallDisk(
  run: (o: { disk: SmallMount; dir: string; start: () => ReturnType<typeof startCli> }) => Promise<void>,
) {
  const { disk, dir } = await agentOnSmallDisk();
  const conf = await makeTempDir("hc-diskfull-conf-");
  const config = join(conf.path, "agent.json");
  await writeFile(config, JSON.stringify({ sync: { reserveMiB: 1, retryMinSec: 1 } }));
  const start = () =>
    startCli(["agent", "--data", dir, "--port", "0", "--host", "127.0.0.1", "--config", config], {
      env: { ...process.env, HANDCARRY_ADMIN_PASSWORD: "disk-full-password" },
    });
  try {
    const first = start();
    await serving(first);
    await first.stop();
    await run({ disk, dir, start });
  } finally {
    await conf.cleanup();
    await disk.cleanup();
  }
}

async function serving(agent: ReturnType<typeof startCli>): Promise<string> {
  return (await agent.waitForLine(/"url":"(http:\/\/[^"]+)"/, { timeoutMs: 60_000 })).match[1]!;
}

/** The agent at `url` lists the old version and serves its page and its whole archive. */
async function expectServesOld(url: string, dir: string) {
  const status = (await (await fetch(`${url}/api/status`)).json()) as {
    courses: Array<{ id: string; contentHash: string }>;
  };
  expect(status.courses).toMatchObject([{ id: COURSE, contentHash: oldHash }]);
  const home = await fetch(`${url}/`);
  expect(home.status).toBe(200);
  const rec = await readFile(join(dir, "courses", COURSE, oldHash.slice(4), "installed.json"), "utf8");
  expect(await home.text()).toContain((JSON.parse(rec) as { title: string }).title);
  const archive = await fetch(`${url}/c/${COURSE}/download`);
  expect(archive.status).toBe(200);
  // The archive the full download brought is kept beside the tree and sent as it is.
  const kept = (await stat((JSON.parse(rec) as { archivePath: string }).archivePath)).size;
  expect((await archive.arrayBuffer()).byteLength, "the whole archive is served").toBe(kept);
}

describe.skipIf(!tmpfs.ok)("agent disk full", () => {
  it("no room for the update: refused before downloading, with the numbers; nothing staged", async () => {
    const { disk, dir } = await agentOnSmallDisk();
    try {
      const filler = fillUntil(disk.path, Math.floor(delta.size / 3));
      const before = freeBytes(disk.path);
      const { outcome, bytesDown } = await syncCounted(dir);
      expect(outcome.type).toBe("course-failed");
      if (outcome.type === "course-failed") {
        expect(outcome.error).toMatch(NO_ROOM);
        expect(outcome.resumable).toBe(true);
      }
      // Only the plan came down (no piece), and the disk lost no more than LevelDB's own few KiB.
      expect(bytesDown).toBeLessThan(PIECE);
      expect(before - freeBytes(disk.path)).toBeLessThan(PIECE);
      await expectServedIntact(dir, [oldHash]);
      await rm(filler);
      await expectResumes(dir);
      report("disk-full-refused", { error: outcome.type === "course-failed" ? outcome.error : "" });
    } finally {
      await disk.cleanup();
    }
  });

  it("filled by another writer during the download: pieces dropped, the state database still opens", async () => {
    const { disk, dir } = await agentOnSmallDisk();
    try {
      let filler = "";
      const { outcome } = await syncCounted(dir, (phase) => {
        if (phase === "downloading") filler = fillUntil(disk.path, Math.floor(delta.size / 3));
      });
      expect(outcome.type).toBe("course-failed");
      if (outcome.type === "course-failed") {
        expect(outcome.error).toMatch(FILLED("downloading"));
        expect(outcome.error, "ENOSPC is not retried").not.toMatch(/failed \d+ times/);
        expect(outcome.resumable).toBe(true);
      }
      expect(await readdir(join(dir, "staging"))).toEqual([]);
      // The filler is still there: the disk is not left full, LevelDB opens, the old version is whole.
      await expectServedIntact(dir, [oldHash]);
      expect((await jobOf(dir))?.phase).toBe("downloading");
      await rm(filler);
      await expectResumes(dir);
    } finally {
      await disk.cleanup();
    }
  }, 180_000);

  it("filled by another writer while rebuilding: the build dropped, the next run finishes", async () => {
    const { disk, dir } = await agentOnSmallDisk();
    try {
      let filler = "";
      const { outcome } = await syncCounted(dir, (phase) => {
        if (phase === "applying") filler = fillUntil(disk.path, 64 * 1024);
      });
      expect(outcome.type).toBe("course-failed");
      if (outcome.type === "course-failed") expect(outcome.error).toMatch(FILLED("applying"));
      expect(await readdir(join(dir, "staging"))).toEqual([]);
      await expectServedIntact(dir, [oldHash]);
      await rm(filler);
      const { events, bytesDown } = await expectResumes(dir);
      // The job was kept: no new negotiation, only the blob again.
      expect(events.some((e) => e.type === "phase" && e.phase === "negotiating")).toBe(false);
      report("disk-full-applying", {
        error: outcome.type === "course-failed" ? outcome.error : "",
        resumeBytesDown: bytesDown,
        deltaBytes: delta.size,
      });
    } finally {
      await disk.cleanup();
    }
  }, 180_000);

  it("a full disk at start: `handcarry agent` gives up its reserve, starts and serves the old course", async () => {
    await bootedAgentOnSmallDisk(async ({ disk, dir, start }) => {
      fillUntil(disk.path, 0);
      const sync = startCli([
        "sync",
        "--data",
        dir,
        "--master",
        master.url,
        "--course",
        COURSE,
        "--json",
        "--reserve",
        "1",
      ]);
      expect((await sync.waitForExit(60_000)).code, sync.tail()).toBe(75);
      expect(sync.stdoutLines().join("\n")).toMatch(/"error":"no space for course field-health: /);
      const agent = start();
      try {
        await expectServesOld(await serving(agent), dir);
      } finally {
        await agent.stop();
      }
    });
  }, 240_000);

  it("full with no reserve left: the agent serves the versions recorded on disk, reopens when space returns", async () => {
    await bootedAgentOnSmallDisk(async ({ disk, dir, start }) => {
      await rm(join(dir, "space-reserve"));
      const filler = fillUntil(disk.path, 0);
      const agent = start();
      try {
        await expectServesOld(await serving(agent), dir);
        expect(agent.stderrLines().join("\n")).toMatch(
          /course database unavailable: serving the courses recorded on disk/,
        );
        await rm(filler);
        await agent.waitForLine(/course database open again/, { timeoutMs: 60_000 });
        await expectServesOld(await serving(agent), dir);
      } finally {
        await agent.stop();
      }
    });
  }, 240_000);
});

// Readers cannot fill a real `handcarry master`'s disk through unknown-base syncs: identical
// requests share one cached result, upload sessions expire and free their bytes, and the
// number of open sessions is capped with a clear 503 and Retry-After.
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readManifest } from "../../src/archive/index.js";
import { publishCourse } from "../../src/master/server.js";
import { toOldView } from "../../src/sync/course.js";
import { encodeSummary } from "../../src/sync/summary.js";
import {
  agentWithOldVersion,
  COURSE,
  type CoursePair,
  copyAgent,
  syncQuiet,
  writeCoursePair,
} from "../faults/helpers.js";
import { makeTempDir, type TempDir } from "../support/procs.js";
import { waitFor } from "../support/wait.js";
import { call, type MasterProcess, PUBLISH_TOKEN, startMasterProcess, treeBytes } from "./helpers.js";

let course: CoursePair;
let summary: Buffer;
const masters: MasterProcess[] = [];
const temps: TempDir[] = [];

/** A master process with `flags`, holding only the new version (the old one is unknown to it). */
async function masterWithNewVersion(flags: string[]): Promise<MasterProcess> {
  const m = await startMasterProcess(["--piece-size", "16384", ...flags]);
  masters.push(m);
  await publishCourse({ masterUrl: m.url, token: PUBLISH_TOKEN, course: COURSE, file: course.new });
  return m;
}

const postSummary = (m: MasterProcess) =>
  call(`${m.url}/v1/courses/${COURSE}/summary`, {
    method: "POST",
    headers: { "content-type": "application/octet-stream" },
    body: summary,
  });

/** Generous limits: these build real deltas on a loaded 2-core machine. */
const SLOW = 600_000;

beforeAll(async () => {
  course = await writeCoursePair("small-text-change", 0.05);
  summary = encodeSummary(toOldView(await readManifest(course.old)));
}, SLOW);
afterAll(async () => {
  for (const m of masters) await m.stop();
  for (const t of temps) await t.cleanup();
  await course?.dir.cleanup();
}, SLOW);

describe("unknown-base results", { timeout: SLOW }, () => {
  it("five identical unknown-base syncs keep one result on the master's disk", async () => {
    const m = await masterWithNewVersion([]);
    const template = await agentWithOldVersion(course.old);
    temps.push(template.dir);
    const agents: string[] = [];
    for (let i = 0; i < 5; i++) {
      const dir = await makeTempDir("hc-master-agent-");
      temps.push(dir);
      agents.push(await copyAgent(template.dir.path, dir.path));
    }
    const sync = async (dataDir: string) => {
      const { result } = await syncQuiet({ dataDir, masterUrl: m.url });
      const done = result.courses[0];
      expect(done?.type, JSON.stringify(done)).toBe("course-done");
      if (done?.type === "course-done") expect(done.plan).toBe("unknown-base");
    };
    const used = async () =>
      (await treeBytes(join(m.dataDir, "deltas"))) + (await treeBytes(join(m.dataDir, "work")));

    await sync(agents[0]!);
    const afterOne = await used();
    expect(afterOne).toBeGreaterThan(0);
    // The other four at once: they wait for one build, or find its result.
    await Promise.all(agents.slice(1).map(sync));
    expect(await used()).toBe(afterOne);
    const deltas = await readdir(join(m.dataDir, "deltas"));
    expect(deltas.filter((f) => f.startsWith("unknown-"))).toHaveLength(1);
    expect(deltas).toHaveLength(1);
    expect((await readdir(join(m.dataDir, "work"))).filter((f) => f.startsWith("session-"))).toEqual([]);
  });
});

describe("upload sessions", { timeout: SLOW }, () => {
  it("an expired session is swept without any request: its directory and bytes are gone, then 404", async () => {
    const m = await masterWithNewVersion(["--session-ttl", "2"]);
    const plan = JSON.parse((await postSummary(m)).text) as { session: string };
    expect(plan.session).toMatch(/^[0-9a-f]{24}$/);
    const piece = `${m.url}/v1/uploads/${plan.session}/pieces/0`;
    expect((await call(piece, { method: "PUT", body: Buffer.alloc(4096, 7) })).status).toBe(200);
    const dir = join(m.dataDir, "work", `session-${plan.session}`);
    expect(await treeBytes(dir)).toBeGreaterThan(4096);
    await waitFor(() => !existsSync(dir), "the expired session to be swept", { timeoutMs: 60_000 });
    expect(await treeBytes(join(m.dataDir, "work"))).toBe(0);
    const late = await call(piece, { method: "PUT", body: Buffer.alloc(10) });
    expect(late.status).toBe(404);
    expect(JSON.parse(late.text).error).toBe(
      `no upload session ${plan.session} (it may have expired: start the sync again)`,
    );
  });

  it("past --max-sessions a new session is a 503 with Retry-After; open ones keep working", async () => {
    const m = await masterWithNewVersion(["--max-sessions", "2", "--session-ttl", "600"]);
    const first = JSON.parse((await postSummary(m)).text) as { session: string };
    const second = JSON.parse((await postSummary(m)).text) as { session: string };
    expect(first.session).not.toBe(second.session);
    const third = await postSummary(m);
    expect(third.status).toBe(503);
    const retry = Number(third.headers.get("retry-after"));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(600);
    expect(JSON.parse(third.text).error).toMatch(
      new RegExp(`^the master is busy with 2 unknown-base syncs \\(\\d+ bytes\\): retry after ${retry} s$`),
    );
    const piece = await call(`${m.url}/v1/uploads/${first.session}/pieces/0`, { method: "PUT", body: "x" });
    expect(piece.status).toBe(200);
    expect((await readdir(join(m.dataDir, "work"))).filter((f) => f.startsWith("session-"))).toHaveLength(2);
  });

  it("a summary whose signatures would not fit in --max-session-bytes is a 413 naming both sizes", async () => {
    const m = await masterWithNewVersion(["--max-session-bytes", "1024"]);
    const r = await postSummary(m);
    expect(r.status).toBe(413);
    expect(JSON.parse(r.text).error).toMatch(
      /^the signatures for this summary would take \d+ bytes, more than the master's limit of 1024$/,
    );
    expect(await readdir(join(m.dataDir, "work"))).toEqual([]);
  });
});

// A hostile master on loopback against the real sync client (in-process and as a real
// `handcarry sync` process): answers of the wrong shape, bodies that never end and answers
// that trickle. The sync must stop with an error naming what was wrong, within its limits,
// without writing more than it was promised.
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { endless, fullPlanFor, HostileMaster, json, trickle } from "../support/hostile-master.js";
import { makeTempDir, startCli, type TempDir } from "../support/procs.js";
import { waitFor } from "../support/wait.js";
import { installedOf, jobOf, syncQuiet } from "./helpers.js";

const COURSE = "c1";
const DATA = Buffer.from("twenty-two bytes, yes.");

let hostile: HostileMaster;
let work: TempDir;
let trial = 0;
const dataDir = () => join(work.path, `agent-${trial++}`);

beforeAll(async () => {
  hostile = await HostileMaster.start();
  work = await makeTempDir("hc-hostile-");
});
afterEach(() => {
  hostile.routes = [];
  hostile.requests.length = 0;
  hostile.sentBytes = 0;
  hostile.hangUps = 0;
});
afterAll(async () => {
  await hostile?.close();
  await work?.cleanup();
});

/** Bytes under a directory (the agent's staging), files only. */
async function bytesUnder(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (e.isFile()) total += (await stat(join(e.parentPath, e.name))).size;
  }
  return total;
}

function failureOf(result: Awaited<ReturnType<typeof syncQuiet>>["result"]) {
  const c = result.courses[0];
  expect(c?.type, JSON.stringify(c)).toBe("course-failed");
  return c as Extract<typeof c, { type: "course-failed" }>;
}

/** Sync COURSE from the hostile master in a fresh data dir; it must fail. */
async function syncFailing(o: Partial<Parameters<typeof syncQuiet>[0]> = {}) {
  const dir = dataDir();
  const { result } = await syncQuiet({ dataDir: dir, masterUrl: hostile.url, courses: [COURSE], ...o });
  return { dir, failed: failureOf(result) };
}

/** Run `handcarry sync --json` against the hostile master; its course-failed line and exit code. */
async function syncProcess(dir: string, extra: string[]) {
  const sync = startCli(["sync", "--data", dir, "--master", hostile.url, "--json", ...extra]);
  const exit = await sync.waitForExit(60_000);
  const failed = sync
    .stdoutLines()
    .map((l) => JSON.parse(l) as { type: string; error?: string; course?: string })
    .find((e) => e.type === "course-failed");
  return { exit, failed, tail: sync.tail() };
}

describe("answers of the wrong shape", () => {
  it("a plan whose title is a number: refused naming the field, nothing downloaded or stored", async () => {
    hostile.routes = [[/\/sync$/, json(fullPlanFor(COURSE, DATA, { title: 42 }))]];
    const dir = dataDir();
    const { exit, failed, tail } = await syncProcess(dir, ["--course", COURSE]);
    expect(exit.code, tail).toBe(75);
    expect(failed?.error).toBe(
      `/v1/courses/${COURSE}/sync answered with an invalid plan: title: Invalid input: expected string, received number`,
    );
    expect(hostile.requests.filter((p) => p.includes("/pieces/"))).toEqual([]);
    expect(await installedOf(dir, COURSE)).toBeUndefined();
    expect(await jobOf(dir, COURSE)).toBeUndefined();
  }, 60_000);

  it("an upload session id that is a path: refused before it names a URL", async () => {
    hostile.routes = [
      [/\/sync$/, json({ ...fullPlanFor(COURSE, DATA), session: "../../admin", signatures: [] })],
    ];
    const { failed } = await syncFailing();
    expect(failed.error).toBe(
      `/v1/courses/${COURSE}/sync answered with an invalid plan: session: must be 24 hex digits`,
    );
  });

  it("a catalog that is not a list of courses: refused naming the entry", async () => {
    hostile.routes = [[/^\/v1\/catalog$/, json([{ id: "a" }, { title: "no id" }])]];
    const { result } = await syncQuiet({ dataDir: dataDir(), masterUrl: hostile.url });
    expect(failureOf(result)).toMatchObject({
      course: "(catalog)",
      error:
        "/v1/catalog answered with an invalid catalog: 1.id: Invalid input: expected string, received undefined",
    });
  });
});

describe("bodies longer than declared", () => {
  it("a 22-byte piece that never ends: reading stops at 22 bytes, with an error saying so", async () => {
    hostile.routes = [
      [/\/sync$/, json(fullPlanFor(COURSE, DATA))],
      [/\/pieces\/0$/, endless(Buffer.alloc(64 * 1024, 0x41), DATA)],
    ];
    const { dir, failed } = await syncFailing({
      budgetMs: 3_000,
    });
    expect(failed.error).toMatch(
      /^piece 0 failed \d+ times \(last: piece 0: the master sent more than its declared 22 bytes\); will resume$/,
    );
    expect(await bytesUnder(join(dir, "staging"))).toBeLessThanOrEqual(DATA.length);
    await waitFor(
      () => hostile.hangUps >= hostile.requests.filter((p) => p.includes("/pieces/")).length,
      "the agent to hang up",
    );
  }, 30_000);

  it("a piece whose declared length is larger than asked: refused before anything is written", async () => {
    hostile.routes = [
      [/\/sync$/, json(fullPlanFor(COURSE, DATA))],
      [/\/pieces\/0$/, (_q, res) => res.writeHead(200, { "content-length": "209715200" }).end()],
    ];
    const { dir, failed } = await syncFailing({
      budgetMs: 2_000,
    });
    expect(failed.error).toMatch(/piece 0: the master declared 209715200 bytes for the 22 asked/);
    expect(await bytesUnder(join(dir, "staging"))).toBe(0);
  }, 30_000);

  it("an endless catalog: refused at the 8 MiB JSON limit, the connection dropped", async () => {
    hostile.routes = [
      [/^\/v1\/catalog$/, endless(Buffer.from('{"id":"x"},'.repeat(1000)), Buffer.from("["))],
    ];
    const { result } = await syncQuiet({ dataDir: dataDir(), masterUrl: hostile.url });
    expect(failureOf(result)).toMatchObject({
      course: "(catalog)",
      error: "the answer to /v1/catalog is larger than 8388608 bytes, the limit for a JSON answer; refused",
    });
    await waitFor(() => hostile.hangUps === 1, "the agent to hang up");
    // Only what the socket buffers held beyond the limit was sent, not an endless stream.
    expect(hostile.sentBytes).toBeLessThan(64 << 20);
  }, 30_000);

  it("a plan declared larger than the configured JSON limit: refused unread", async () => {
    const plan = Buffer.from(JSON.stringify(fullPlanFor(COURSE, DATA, { title: "t".repeat(5000) })));
    hostile.routes = [
      [/\/sync$/, (_q, res) => res.writeHead(200, { "content-length": String(plan.length) }).end(plan)],
    ];
    const { failed } = await syncFailing({ maxJsonBytes: 4096 });
    expect(failed.error).toBe(
      `the answer to /v1/courses/${COURSE}/sync is larger than 4096 bytes, the limit for a JSON answer; refused`,
    );
  });
});

describe("answers that trickle", () => {
  it("a catalog sent a byte at a time: `handcarry sync` gives up at its request deadline", async () => {
    hostile.routes = [[/^\/v1\/catalog$/, trickle(Buffer.from(JSON.stringify([{ id: COURSE }])), 150)]];
    const { exit, failed, tail } = await syncProcess(dataDir(), ["--timeout", "1", "--deadline", "1"]);
    expect(exit.code, tail).toBe(75);
    expect(failed).toMatchObject({
      course: "(catalog)",
      error: `${hostile.url}/v1/catalog did not finish within 1000 ms (a link this slow is given up)`,
    });
  }, 60_000);

  it("a piece sent a byte at a time: the download budget ends it inside the transfer", async () => {
    const data = Buffer.alloc(4000, 0x42);
    hostile.routes = [
      [/\/sync$/, json(fullPlanFor(COURSE, data))],
      [/\/pieces\/0$/, trickle(data, 100, "application/octet-stream")],
    ];
    const { dir, failed } = await syncFailing({
      timeoutMs: 1_000,
      budgetMs: 1_500,
    });
    expect(failed.error).toMatch(/^download budget of 1.5 s used up with \d+ of 4000 bytes; will resume$/);
    expect(failed.resumable).toBe(true);
    // The run ended by the budget keeps its job: the next run resumes the piece with a Range.
    expect((await jobOf(dir, COURSE))?.phase).toBe("downloading");
  }, 30_000);
});

// A real `handcarry master` builds known-base deltas when a version is published, and a
// sync request never waits long for one: "not ready, retry after N s" (503 + Retry-After),
// which the agent honours; the unknown-base steps answer the same way.
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CourseLibrary } from "../../src/agent/library.js";
import { fullCourse, generateCourse, writeCourse } from "../../src/demo/sample-course.js";
import { publishCourse } from "../../src/master/server.js";
import { toOldView } from "../../src/sync/course.js";
import { encodeSummary, signEntries } from "../../src/sync/summary.js";
import { agentWithOldVersion, syncQuiet } from "../faults/helpers.js";
import { makeTempDir, type TempDir } from "../support/procs.js";
import { waitFor } from "../support/wait.js";
import { call, type MasterProcess, PUBLISH_TOKEN, startMasterProcess } from "./helpers.js";

const COURSE = "field-health";
let files: TempDir;
let master: MasterProcess;
const archive = (n: number) => join(files.path, `v${n}.mbz`);
const publish = async (n: number) =>
  (await publishCourse({ masterUrl: master.url, token: PUBLISH_TOKEN, course: COURSE, file: archive(n) }))
    .contentHash;
const ask = (have: string) =>
  call(`${master.url}/v1/courses/${COURSE}/sync`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ have }),
  });
const deltaFiles = async () => (await readdir(join(master.dataDir, "deltas")).catch(() => [])).length;

/** Generous limits: these build real deltas on a loaded 2-core machine. */
const SLOW = 600_000;

beforeAll(async () => {
  files = await makeTempDir("hc-bg-files-");
  for (const [n, seed] of [
    [1, 1],
    [2, 2],
    [3, 3],
  ] as const)
    await writeCourse(generateCourse(fullCourse({ seed, scale: 0.3 })), "zip", archive(n));
  // Answer at once: whatever is not built yet is a 503 telling when to come back.
  master = await startMasterProcess(["--answer-within", "0"]);
}, SLOW);
afterAll(async () => {
  await master?.stop();
  await files?.cleanup();
}, SLOW);

/** The unknown-base steps by hand for an agent's installed copy: the first answer that builds. */
async function unknownBaseSteps(agentDir: string): Promise<{ to: string; body: Buffer; first: Answer }> {
  const lib = await CourseLibrary.open(agentDir);
  try {
    const installed = (await lib.get(COURSE))!;
    const view = toOldView(await lib.manifest(installed));
    const post = (to: string, body: Buffer) =>
      call(`${master.url}${to}`, {
        method: "POST",
        body,
        headers: { "content-type": "application/octet-stream" },
      });
    const summaryTo = `/v1/courses/${COURSE}/summary`;
    const summary = encodeSummary(view);
    const asked = await post(summaryTo, summary);
    if (asked.status !== 200) return { to: summaryTo, body: summary, first: asked };
    const plan = JSON.parse(asked.text) as { session: string; signatures: Array<[number, number, number]> };
    const requests = plan.signatures.map(([index, blockLen, strongLen]) => ({ index, blockLen, strongLen }));
    const sigs = await signEntries(installed.treePath, view, requests);
    const to = `/v1/courses/${COURSE}/signatures?session=${plan.session}`;
    return { to, body: sigs, first: await post(to, sigs) };
  } finally {
    await lib.close();
  }
}
type Answer = Awaited<ReturnType<typeof call>>;

describe("deltas built on publish", { timeout: SLOW }, () => {
  it("a request during the build is a 503 with Retry-After; the delta appears without any request", async () => {
    const v1 = await publish(1);
    await publish(2);
    const early = await ask(v1);
    expect(early.status, early.text).toBe(503);
    expect(early.headers.get("retry-after")).toBe("1");
    expect(JSON.parse(early.text).error).toBe("the delta from your version is being built: retry after 1 s");
    await waitFor(async () => (await deltaFiles()) === 1, "the v1 → v2 delta built in the background", {
      timeoutMs: 300_000,
    });
    // Written, then registered (piece MD5s): ready moments later, with no rebuild.
    await waitFor(async () => (await ask(v1)).status === 200, "the delta to be offered", {
      timeoutMs: 300_000,
    });
    const ready = await ask(v1);
    expect(JSON.parse(ready.text).plan).toBe("known-base");
    expect(await deltaFiles()).toBe(1);
  });

  it("an agent told to retry later waits as asked and then syncs with the known-base delta", async () => {
    const agent = await agentWithOldVersion(archive(2));
    try {
      await publish(3); // v2 → v3 and v1 → v3 are now built in the background
      const { result } = await syncQuiet({ dataDir: agent.dir.path, masterUrl: master.url });
      const done = result.courses[0];
      expect(done?.type, JSON.stringify(done)).toBe("course-done");
      if (done?.type === "course-done") expect(done.plan).toBe("known-base");
      expect(existsSync(join(master.dataDir, "deltas"))).toBe(true);
    } finally {
      await agent.dir.cleanup();
    }
  });

  it("an unknown-base request is a 503 with Retry-After while its delta builds, then the plan", async () => {
    const agent = await agentWithOldVersion(archive(1));
    try {
      const { to, body, first } = await unknownBaseSteps(agent.dir.path);
      expect(first.status, first.text).toBe(503);
      expect(first.headers.get("retry-after")).toBe("1");
      expect(JSON.parse(first.text).error).toBe("the delta for your copy is being built: retry after 1 s");
      const post = () =>
        call(`${master.url}${to}`, {
          method: "POST",
          body,
          headers: { "content-type": "application/octet-stream" },
        });
      // The session closes with the answer that carries the plan: keep that one.
      let ready: Answer | undefined;
      await waitFor(
        async () => {
          ready = await post();
          return ready.status === 200;
        },
        "the unknown-base delta to be offered",
        { timeoutMs: 300_000 },
      );
      expect(JSON.parse(ready!.text).plan).toBe("unknown-base");
    } finally {
      await agent.dir.cleanup();
    }
  });

  it("an agent with an unknown base told to retry later waits as asked and syncs", async () => {
    const agent = await agentWithOldVersion(archive(2));
    try {
      const { result } = await syncQuiet({
        dataDir: agent.dir.path,
        masterUrl: master.url,
        unknownBase: true,
      });
      const done = result.courses[0];
      expect(done?.type, JSON.stringify(done)).toBe("course-done");
      if (done?.type === "course-done") expect(done.plan).toBe("unknown-base");
    } finally {
      await agent.dir.cleanup();
    }
  });
});

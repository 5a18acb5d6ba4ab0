// `handcarry agent` as a real process, killed with SIGKILL in the middle of a sync: the
// restarted agent reports the interrupted sync (serving + resumePending), keeps serving
// the old version meanwhile, and finishes the sync when asked.
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fullCourse, generateCourse, writeCourse } from "../../src/demo/sample-course.js";
import { spawnAgentCli } from "../support/cli.js";
import { waitFor, waitForEvent } from "../support/wait.js";
import { type TestMaster, tempDir, testMaster } from "./helpers.js";

let dir: Awaited<ReturnType<typeof tempDir>>;
let master: TestMaster;
const PASSWORD = "crash-test-password";
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = await tempDir("hc-crash-");
  master = await testMaster(join(dir.path, "master"));
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  await master.close();
  await dir.remove();
});

async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as import("node:net").AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function startCli(port: number): ChildProcess {
  const child = spawnAgentCli({
    dataDir: join(dir.path, "agent"),
    masterUrl: master.url,
    port,
    env: { HANDCARRY_ADMIN_PASSWORD: PASSWORD },
  });
  children.push(child);
  return child;
}

type Status = { state: string; resumePending: boolean; courses: { id: string; contentHash: string }[] };

async function status(port: number): Promise<Status | null> {
  try {
    return (await (await fetch(`http://127.0.0.1:${port}/api/status`)).json()) as Status;
  } catch {
    return null; // not listening (yet, or any more)
  }
}

async function syncNow(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/api/admin/sync`, {
    method: "POST",
    headers: { authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString("base64")}` },
  });
  await res.body?.cancel();
  return res.status;
}

describe("agent killed mid-sync", () => {
  it("comes back serving the old version with resumePending, then completes the sync", async () => {
    const v1 = join(dir.path, "v1.mbz");
    const v2 = join(dir.path, "v2.mbz");
    await writeCourse(generateCourse(fullCourse({ seed: 1, scale: 0.05 })), "zip", v1);
    // A different course under the same id: a big transfer, so the kill lands inside it.
    await writeCourse(generateCourse(fullCourse({ seed: 9, scale: 2 })), "zip", v2);
    const oldHash = await master.publish("health", v1, "Community health");

    const port = await freePort();
    let agent = startCli(port);
    await waitFor(async () => (await status(port)) !== null, "the agent to listen");
    expect(await syncNow(port)).toBe(202);
    await waitFor(async () => (await status(port))?.courses[0]?.contentHash === oldHash, "the first version");
    await waitFor(
      async () => ["updated", "serving"].includes((await status(port))?.state ?? ""),
      "the first sync to end",
    );

    const newHash = await master.publish("health", v2, "Community health");
    expect(await syncNow(port)).toBe(202);
    // Includes the master building the delta of a big course: minutes on a loaded machine.
    let seen = "";
    await waitFor(
      async () => {
        seen = (await status(port))?.state ?? seen;
        return ["syncing", "verifying"].includes(seen);
      },
      () => `the second sync to be under way (last state: ${seen})`,
      { timeoutMs: 10 * 60_000 },
    );
    agent.kill("SIGKILL");
    await waitForEvent(agent, "exit", "the agent to exit");

    agent = startCli(port);
    await waitFor(async () => (await status(port)) !== null, "the restarted agent to listen");
    const back = (await status(port))!;
    expect(back.state).toBe("serving");
    expect(back.resumePending).toBe(true);
    expect(back.courses[0]!.contentHash).toBe(oldHash); // the old version is still the one served

    expect(await syncNow(port)).toBe(202);
    await waitFor(async () => {
      const s = await status(port);
      return s?.state === "updated" && s.courses[0]?.contentHash === newHash;
    }, "the resumed sync");
    const done = (await status(port))!;
    expect(done.state).toBe("updated");
    expect(done.resumePending).toBe(false);
    agent.kill("SIGTERM");
    await waitForEvent(agent, "exit", "the agent to exit");
  });
});

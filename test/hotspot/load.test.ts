// 30 phones downloading a course with Range requests while the agent syncs a new version of
// that same course (loopback): no request may fail, and every body must be an exact slice of
// the old or the new archive (the switch may land mid-test; If-Range keeps a resume honest).
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningAgent, startAgent } from "../../src/agent/agent.js";
import { generateCourse, scenarios, writeCourse } from "../../src/demo/sample-course.js";
import type { Device } from "../../src/device/index.js";
import {
  agentConfig,
  FakeLink,
  simulatedDevice,
  type TestMaster,
  tempDir,
  testMaster,
} from "../agent/helpers.js";

let dir: Awaited<ReturnType<typeof tempDir>>;
let master: TestMaster;
let agent: RunningAgent;
let device: Device;
let newFile: string;

beforeAll(async () => {
  dir = await tempDir("hc-load-");
  const s = scenarios({ scale: 0.3 }).find((x) => x.name === "large-addition")!;
  const oldFile = join(dir.path, "old.mbz");
  newFile = join(dir.path, "new.mbz");
  await writeCourse(generateCourse(s.old!), "zip", oldFile);
  await writeCourse(generateCourse(s.new), "zip", newFile);
  master = await testMaster(join(dir.path, "master"));
  await master.publish("health", oldFile, "Community health");
  const link = await FakeLink.create(join(dir.path, "link"));
  device = await simulatedDevice(link, dir.path);
  agent = await startAgent({
    config: agentConfig({ dataDir: join(dir.path, "agent"), masterUrl: master.url }),
    device,
    manualConnectivity: true,
  });
  await agent.syncNow("first");
  expect(agent.machine.name).toBe("updated");
});
afterAll(async () => {
  await agent?.close();
  device?.close();
  await master?.close();
  await dir.remove();
});

describe("30 concurrent downloads during a sync", () => {
  it("all succeed with correct bytes", async () => {
    const oldArchive = await readFile((await agent.library.get("health"))!.archivePath);
    await master.publish("health", newFile, "Community health");

    const busy = () => agent.isSyncing();
    const sync = agent.syncNow("during downloads");
    expect(busy()).toBe(true);
    let startedDuringSync = 0;
    const failures: string[] = [];
    const bodies: { from: number; body: Buffer }[] = [];

    const phone = async (i: number) => {
      // Each phone starts somewhere else, as resumed downloads do.
      const from = Math.floor((oldArchive.length * i) / 31);
      try {
        const res = await fetch(`${agent.url}/c/health/download`, { headers: { range: `bytes=${from}-` } });
        if (busy()) startedDuringSync++;
        if (res.status !== 206) {
          failures.push(`phone ${i}: HTTP ${res.status}`);
          await res.body?.cancel();
          return;
        }
        const total = Number(res.headers.get("content-range")!.split("/")[1]);
        const body = Buffer.from(await res.arrayBuffer());
        if (from + body.length !== total)
          failures.push(`phone ${i}: ${body.length} bytes from ${from}, total ${total}`);
        bodies.push({ from, body });
      } catch (err) {
        failures.push(`phone ${i}: ${(err as Error).message}`);
      }
    };
    await Promise.all(Array.from({ length: 30 }, (_, i) => phone(i)));
    await sync;
    expect(failures).toEqual([]);
    expect(bodies).toHaveLength(30);
    expect(startedDuringSync).toBeGreaterThan(0);
    expect(agent.machine.name).toBe("updated");
    expect(agent.machine.state.lastSync).toMatchObject({ ok: true, updated: 1 });

    const newArchive = await readFile((await agent.library.get("health"))!.archivePath);
    expect(newArchive.equals(oldArchive)).toBe(false);
    for (const { from, body } of bodies) {
      const matchesOld = oldArchive.subarray(from).equals(body);
      const matchesNew = from < newArchive.length && newArchive.subarray(from).equals(body);
      expect(matchesOld || matchesNew).toBe(true);
    }
  });
});

// `handcarry demo`: the whole product on one machine, no Pi, no network. A master on
// loopback publishes two generated courses (a Moodle .mbz zip and a tar.gz); an agent with
// simulated LEDs and button syncs them, the master publishes a revision, the agent syncs
// the delta, and the hotspot page stays up until Ctrl-C.
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningAgent, startAgent } from "../agent/agent.js";
import { parseAgentConfig } from "../agent/config.js";
import type { SyncEvent } from "../agent/sync.js";
import { createDevice } from "../device/index.js";
import { formatBytes } from "../hotspot/pages/layout.js";
import { publishCourse, startMaster } from "../master/server.js";
import { fullCourse, generateCourse, scenarios, writeCourse } from "./sample-course.js";

export interface DemoOptions {
  /** Hotspot port; 0 = any free port. Default 8080. */
  port?: number;
  /** Where everything goes; default a fresh temp dir. */
  dataDir?: string;
  /** Media size multiplier of the sample courses. Default 0.3 (~3 MB per course). */
  scale?: number;
  /** Progress lines. */
  print?: (line: string) => void;
}

export interface RunningDemo {
  dataDir: string;
  hotspotUrl: string;
  masterUrl: string;
  adminPassword: string;
  agent: RunningAgent;
  /** Publish another archive to the demo's master (tests, experiments). */
  publish(course: string, file: string, title: string): Promise<void>;
  /** What each sync of the demo did, course by course. */
  syncs: Array<{ label: string; courses: Extract<SyncEvent, { type: "course-done" | "course-failed" }>[] }>;
  close(): Promise<void>;
}

export const DEMO_COURSE = "field-health";
export const DEMO_SECOND_COURSE = "clean-water";

export async function runDemo(o: DemoOptions = {}): Promise<RunningDemo> {
  const print = o.print ?? (() => {});
  const ownDir = o.dataDir === undefined;
  const dataDir = o.dataDir ?? (await mkdtemp(join(tmpdir(), "handcarry-demo-")));
  const scale = o.scale ?? 0.3;
  const files = join(dataDir, "published");
  await mkdir(files, { recursive: true });

  print(`data directory: ${dataDir}${ownDir ? " (a temp dir, removed on exit; --data DIR keeps it)" : ""}`);
  print("generating sample courses …");
  const small = scenarios({ scale }).find((s) => s.name === "small-addition")!;
  const v1 = join(files, `${DEMO_COURSE}-v1.mbz`);
  const v2 = join(files, `${DEMO_COURSE}-v2.mbz`);
  const water = join(files, `${DEMO_SECOND_COURSE}.tar.gz`);
  await writeCourse(generateCourse(small.old!), "zip", v1);
  await writeCourse(generateCourse(small.new), "zip", v2);
  const waterSpec = {
    ...fullCourse({ seed: 2, scale: scale / 2 }),
    shortname: "CLEAN-WATER",
    fullname: "Clean water at home",
  };
  await writeCourse(generateCourse(waterSpec), "tar.gz", water);

  const publishToken = randomBytes(16).toString("hex");
  const master = await startMaster({
    dataDir: join(dataDir, "master"),
    host: "127.0.0.1",
    port: 0,
    publishToken,
  });
  print(`master on ${master.url}`);
  const publish = async (course: string, file: string, title: string) => {
    const r = await publishCourse({ masterUrl: master.url, token: publishToken, course, file, title });
    print(`published ${course} (${title}) ${r.contentHash.slice(0, 20)}…`);
  };
  await publish(DEMO_COURSE, v1, "Community health and hygiene");
  await publish(DEMO_SECOND_COURSE, water, "Clean water at home");

  const adminPassword = randomBytes(9).toString("base64url");
  const config = parseAgentConfig({
    dataDir: join(dataDir, "agent"),
    masterUrl: master.url,
    host: "127.0.0.1",
    port: o.port ?? 8080,
    adminPassword,
    device: { mode: "simulated" },
  });
  const device = await createDevice({ mode: "simulated", probes: { dataPath: dataDir } });
  let events: Extract<SyncEvent, { type: "course-done" | "course-failed" }>[] = [];
  let agent: RunningAgent;
  try {
    agent = await startAgent({
      config,
      device,
      // The demo drives syncs itself; the machine's own network does not matter.
      manualConnectivity: true,
      onSyncEvent: (e) => {
        if (e.type === "course-done" || e.type === "course-failed") events.push(e);
      },
    });
  } catch (err) {
    await master.close();
    device.close();
    if (ownDir) await rm(dataDir, { recursive: true, force: true });
    const inUse = (err as Error).message.includes("EADDRINUSE");
    throw inUse ? new Error(`${(err as Error).message} — pass --port 0 to use any free port`) : err;
  }
  const syncs: RunningDemo["syncs"] = [];
  const sync = async (label: string) => {
    events = [];
    await agent.syncNow(label);
    await agent.idle();
    syncs.push({ label, courses: events });
    const s = agent.machine.state;
    print(`${label}: agent state ${s.name}${s.error ? ` (${s.error})` : ""}`);
    for (const e of events) {
      if (e.type === "course-failed") print(`  ${e.course}: FAILED ${e.error}`);
      else
        print(
          `  ${e.course}: ${e.result}, plan ${e.plan}, ${formatBytes(e.bytesDown)} down, ${formatBytes(e.bytesUp)} up`,
        );
    }
  };

  try {
    await sync("first sync");
    await publish(DEMO_COURSE, v2, "Community health and hygiene");
    await sync("sync after the revision");
  } catch (err) {
    await agent.close();
    device.close();
    await master.close();
    throw err;
  }
  const status = await agent.status();
  print(`bytes saved by deltas so far: ${formatBytes(status.bytesSaved)}`);

  return {
    dataDir,
    hotspotUrl: agent.url,
    masterUrl: master.url,
    adminPassword,
    agent,
    syncs,
    publish,
    async close() {
      await agent.close();
      device.close();
      await master.close();
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

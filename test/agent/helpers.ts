// Shared pieces for the agent tests: a fake /proc + /sys tree the real probes read (so link
// changes go through the same code as on the Pi), a real master on loopback with
// generated courses, and simulated devices.
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AgentConfig, type AgentConfigInput, parseAgentConfig } from "../../src/agent/config.js";
import { generateCourse, scenarios, writeCourse } from "../../src/demo/sample-course.js";
import { createDevice, type Device } from "../../src/device/index.js";
import { publishCourse, type RunningMaster, startMaster } from "../../src/master/server.js";

/** Wait on a condition (never a fixed sleep); the shared helper under the name these tests use. */

export async function tempDir(prefix = "hc-agent-"): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

const ROUTE_HEADER = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";

/** A fake /proc/net/route and /sys/class/net/<iface>/carrier, as the kernel shows them. */
export class FakeLink {
  readonly proc: string;
  readonly sys: string;

  constructor(readonly root: string) {
    this.proc = join(root, "proc");
    this.sys = join(root, "sys");
  }

  static async create(root: string): Promise<FakeLink> {
    const link = new FakeLink(root);
    await mkdir(join(link.proc, "net"), { recursive: true });
    await mkdir(join(link.sys, "class/net"), { recursive: true });
    await link.down();
    return link;
  }

  /** A default route via `iface` (gateway 192.0.2.1) with carrier. */
  async up(iface = "eth0", carrier = true): Promise<void> {
    await mkdir(join(this.sys, "class/net", iface), { recursive: true });
    await writeFile(join(this.sys, "class/net", iface, "carrier"), carrier ? "1\n" : "0\n");
    await writeFile(
      join(this.proc, "net/route"),
      `${ROUTE_HEADER}${iface}\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n` +
        `${iface}\t000200C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n`,
    );
  }

  /** No default route (only the hotspot's own subnet). */
  async down(): Promise<void> {
    await writeFile(
      join(this.proc, "net/route"),
      `${ROUTE_HEADER}wlan0\t00320A0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n`,
    );
  }

  async carrier(iface: string, on: boolean): Promise<void> {
    await mkdir(join(this.sys, "class/net", iface), { recursive: true });
    await writeFile(join(this.sys, "class/net", iface, "carrier"), on ? "1\n" : "0\n");
  }
}

export async function simulatedDevice(
  link: FakeLink,
  dataPath: string,
  extra: Parameters<typeof createDevice>[0] = {},
): Promise<Device> {
  return createDevice({
    mode: "simulated",
    button: { longPressMs: 1000 },
    ...extra,
    probes: {
      roots: { proc: link.proc, sys: link.sys, nmLeases: join(link.root, "no-leases") },
      dataPath,
      snapshotTtlMs: 0,
    },
  });
}

export interface TestMaster {
  master: RunningMaster;
  url: string;
  publish(course: string, file: string, title?: string): Promise<string>;
  close(): Promise<void>;
}

export async function testMaster(dataDir: string): Promise<TestMaster> {
  const publishToken = randomBytes(8).toString("hex");
  const master = await startMaster({ dataDir, host: "127.0.0.1", port: 0, publishToken });
  return {
    master,
    url: master.url,
    async publish(course, file, title) {
      return (await publishCourse({ masterUrl: master.url, token: publishToken, course, file, title }))
        .contentHash;
    },
    close: () => master.close(),
  };
}

/** The fixture's "small addition" pair (one URL module added) as zip .mbz files. */
export async function smallAdditionPair(dir: string, scale = 0.05): Promise<{ v1: string; v2: string }> {
  const s = scenarios({ scale }).find((x) => x.name === "small-addition")!;
  const v1 = join(dir, "v1.mbz");
  const v2 = join(dir, "v2.mbz");
  await writeCourse(generateCourse(s.old!), "zip", v1);
  await writeCourse(generateCourse(s.new), "zip", v2);
  return { v1, v2 };
}

export function agentConfig(
  input: Partial<AgentConfigInput> & Pick<AgentConfigInput, "dataDir" | "masterUrl">,
): AgentConfig {
  return parseAgentConfig({
    host: "127.0.0.1",
    port: 0,
    adminPassword: "correct horse battery",
    connectivity: { pollMs: 60_000 },
    ...input,
  });
}

// The agent's cycle parts, each alone: the cycle with stand-in steps against a master that
// only answers its reachability probe, switch mode's radio handling with the Wi-Fi twin, and
// the status document built from a state machine.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConnectivityMonitor } from "../../src/agent/connectivity.js";
import { SyncCycle } from "../../src/agent/cycle.js";
import { silentLogger } from "../../src/agent/log.js";
import { type AgentState, AgentStateMachine } from "../../src/agent/state.js";
import { agentStatus } from "../../src/agent/status.js";
import { Transitions } from "../../src/agent/transitions.js";
import { SwitchModeWifi } from "../../src/agent/wifi.js";
import { SimulatedHotspot } from "../../src/device/hotspot.js";
import { Store } from "../../src/store/index.js";
import { FakeLink, simulatedDevice, tempDir } from "./helpers.js";

let dir: Awaited<ReturnType<typeof tempDir>>;
let probe: Server;
let probeUrl: string;

beforeAll(async () => {
  dir = await tempDir("hc-cycle-");
  probe = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end("[]"));
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  probeUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => probe.close(r));
  await dir.remove();
});

const sync = { reachTimeoutMs: 5000, retryMinSec: 60, retryMaxSec: 600, intervalHours: 6 } as never;

async function parts(name: string) {
  const store = await Store.open(join(dir.path, name));
  const machine = await AgentStateMachine.open(store.table<AgentState>("state"));
  const link = await FakeLink.create(join(dir.path, `${name}-link`));
  const device = await simulatedDevice(link, dir.path);
  const connectivity = new ConnectivityMonitor({ probes: device.probes, pollMs: 60_000, debounce: 1 });
  const transitions = new Transitions(machine, silentLogger);
  return {
    machine,
    device,
    connectivity,
    transitions,
    async close() {
      device.close();
      await machine.flushed();
      await store.close();
    },
  };
}

describe("SyncCycle alone", () => {
  it("runs records up before courses down, and a records failure does not stop the courses", async () => {
    const p = await parts("c1");
    const ran: string[] = [];
    const cycle = new SyncCycle({
      config: { sync },
      transitions: p.transitions,
      connectivity: p.connectivity,
      masterUrl: () => probeUrl,
      token: () => "t0ken",
      log: silentLogger,
      steps: {
        recordsUp: async (ctx) => {
          ran.push(`records ${ctx.token}`);
          throw new Error("503 from /v1/records");
        },
        coursesDown: async () => {
          ran.push("courses");
          return { ok: true, updated: 2, bytesDown: 300, bytesUp: 40, saved: 1000 };
        },
      },
    });
    try {
      await cycle.run("button");
      await cycle.idle();
      expect(ran).toEqual(["records t0ken", "courses"]);
      expect(p.machine.name).toBe("updated");
      expect(p.machine.state.bytesSaved).toBe(1000);
      expect(p.machine.state.lastSync).toMatchObject({ ok: true, updated: 2, bytesDown: 300, bytesUp: 40 });
    } finally {
      await cycle.close();
      await p.close();
    }
  });

  it("ends in error with the courses' message and a retry time when a course failed", async () => {
    const p = await parts("c2");
    const cycle = new SyncCycle({
      config: { sync },
      transitions: p.transitions,
      connectivity: p.connectivity,
      masterUrl: () => probeUrl,
      token: () => undefined,
      log: silentLogger,
      steps: {
        coursesDown: async () => ({
          ok: false,
          updated: 0,
          bytesDown: 10,
          bytesUp: 0,
          saved: 0,
          error: "health: piece 3 failed its MD5 check",
        }),
      },
    });
    try {
      await cycle.run("button");
      await cycle.idle();
      expect(p.machine.name).toBe("error");
      expect(p.machine.state.error).toBe("health: piece 3 failed its MD5 check");
      expect(p.machine.state.failures).toBe(1);
      expect(Date.parse(p.machine.state.retryAt!)).toBeGreaterThan(Date.now());
    } finally {
      await cycle.close();
      await p.close();
    }
  });

  it("syncs nothing without a master URL", async () => {
    const p = await parts("c3");
    let called = 0;
    const cycle = new SyncCycle({
      config: { sync },
      transitions: p.transitions,
      connectivity: p.connectivity,
      masterUrl: () => "",
      token: () => undefined,
      log: silentLogger,
      steps: {
        coursesDown: async () => {
          called++;
          return { ok: true, updated: 0, bytesDown: 0, bytesUp: 0, saved: 0 };
        },
      },
    });
    try {
      await cycle.run("button");
      expect(called).toBe(0);
      expect(p.machine.name).toBe("serving");
    } finally {
      await cycle.close();
      await p.close();
    }
  });
});

describe("SwitchModeWifi alone", () => {
  it("brings the hotspot back even when the body throws, and skips the body when nothing was joined", async () => {
    const p = await parts("w1");
    const hotspot = new SimulatedHotspot();
    const wifi = new SwitchModeWifi({
      hotspot,
      device: p.device,
      connectivity: p.connectivity,
      transitions: p.transitions,
      knownNetworks: () => [{ ssid: "Field office", password: "office-pass-1" }],
      joinWaitSec: 1,
      log: silentLogger,
      isClosed: () => false,
    });
    try {
      let ran = 0;
      await wifi.over(LOOK, false, async () => {
        ran++;
      });
      expect(ran).toBe(0);
      await expect(
        wifi.over("button", true, async () => {
          throw new Error("master gone");
        }),
      ).rejects.toThrow("master gone");
      expect(hotspot.events).toEqual(["down", "up", "down", "up"]);
      expect(hotspot.active).toBe(true);
      expect(wifi.wanted(false)).toBe(true);
      expect(wifi.wanted(true)).toBe(false);
    } finally {
      await p.close();
    }
  });
});
const LOOK = "look for uplink";

describe("agentStatus alone", () => {
  it("reports the machine's state, the courses and the extra sections", async () => {
    const p = await parts("s1");
    try {
      await p.machine.transition("checking");
      const status = agentStatus({
        machine: p.machine,
        connectivity: p.connectivity,
        device: p.device,
        courses: { list: async () => [] },
        masterUrl: () => "http://master.example",
        extra: async () => ({ records: { pending: 3 } }),
      });
      const s = await status();
      expect(s).toMatchObject({
        state: "checking",
        online: false,
        masterUrl: "http://master.example",
        courses: [],
        device: "simulated",
        records: { pending: 3 },
      });
    } finally {
      await p.close();
    }
  });
});

// The whole agent against a real master on loopback, with simulated LEDs and button and a
// fake /proc + /sys for the link: the state sequence as a network appears, the LEDs that
// follow it, a failure with backoff while the master is down, a button press, restarts.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningAgent, startAgent } from "../../src/agent/agent.js";
import type { AgentStateName } from "../../src/agent/state.js";
import { SimulatedHotspot } from "../../src/device/hotspot.js";
import type { Device } from "../../src/device/index.js";
import { waitFor } from "../support/wait.js";
import {
  agentConfig,
  FakeLink,
  simulatedDevice,
  smallAdditionPair,
  type TestMaster,
  tempDir,
  testMaster,
} from "./helpers.js";

let dir: Awaited<ReturnType<typeof tempDir>>;
let master: TestMaster;
let files: { v1: string; v2: string };

beforeAll(async () => {
  dir = await tempDir("hc-agent-");
  files = await smallAdditionPair(dir.path);
  master = await testMaster(join(dir.path, "master"));
  await master.publish("health", files.v1, "Community health");
});
afterAll(async () => {
  await master.close();
  await dir.remove();
});

async function start(
  name: string,
  o: { masterUrl?: string; link: FakeLink; device?: Device; retryMinSec?: number },
) {
  const device = o.device ?? (await simulatedDevice(o.link, dir.path));
  const agent = await startAgent({
    config: agentConfig({
      dataDir: join(dir.path, name),
      masterUrl: o.masterUrl ?? master.url,
      sync: { retryMinSec: o.retryMinSec ?? 30, retryMaxSec: 600, reachTimeoutMs: 30_000 },
    }),
    device,
    manualConnectivity: true,
  });
  const states: AgentStateName[] = [agent.machine.name];
  agent.machine.on("change", (s) => {
    if (states[states.length - 1] !== s.name) states.push(s.name);
  });
  return { agent, device, states };
}

/** A URL on a loopback port with nothing behind it: a master that never answers. */
async function deadMasterUrl(): Promise<string> {
  const { createServer } = await import("node:net");
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(s.address() as import("node:net").AddressInfo).port}`;
  await new Promise((r) => s.close(r));
  return url;
}

/** Two connectivity looks: the debounce needs two agreeing observations. */
async function settle(agent: RunningAgent): Promise<void> {
  await agent.connectivity.check();
  await agent.connectivity.check();
}

describe("agent with a network appearing", () => {
  it("goes serving → network-seen → checking → syncing → verifying → updated, and the LEDs follow", async () => {
    const link = await FakeLink.create(join(dir.path, "link1"));
    const { agent, device, states } = await start("a1", { link });
    try {
      const ledStates: string[] = [device.leds.state];
      agent.machine.on("change", () => {
        if (ledStates[ledStates.length - 1] !== device.leds.state) ledStates.push(device.leds.state);
      });
      await settle(agent);
      expect(agent.machine.name).toBe("serving");
      expect(await agent.library.list()).toEqual([]);

      await link.up("eth0");
      await agent.connectivity.check();
      expect(agent.machine.name).toBe("serving"); // one look is not enough (debounce)
      await agent.connectivity.check();
      await waitFor(() => agent.machine.name === "updated", "the first sync");
      await agent.idle();
      expect(states).toEqual(["serving", "network-seen", "checking", "syncing", "verifying", "updated"]);
      expect(ledStates).toEqual(states);
      expect(device.sim!.leds.timeline.length).toBeGreaterThan(0);

      const courses = await agent.library.list();
      expect(courses.map((c) => c.id)).toEqual(["health"]);
      const status = await agent.status();
      expect(status.state).toBe("updated");
      expect(status.online).toBe(true);
      expect(status.lastSync).toMatchObject({ ok: true, updated: 1 });
      expect(Date.parse(status.nextSyncAt!)).toBeGreaterThan(Date.now() + 5 * 3600_000); // 6 h schedule

      // A revision; the link drops and comes back: a new cycle syncs only the delta.
      const before = (await agent.status()).bytesSaved;
      await master.publish("health", files.v2, "Community health");
      await link.down();
      await settle(agent);
      expect(agent.machine.name).toBe("updated"); // going offline keeps "updated"
      await link.up("wlan0");
      await settle(agent);
      await agent.idle();
      expect(agent.machine.name).toBe("updated");
      const after = await agent.status();
      expect(after.lastSync).toMatchObject({ ok: true, updated: 1 });
      expect(after.lastSync!.bytesDown).toBeLessThan(100_000);
      expect(after.bytesSaved).toBeGreaterThan(before);
      expect(after.courses[0]!.contentHash).not.toBe(courses[0]!.contentHash);
    } finally {
      await agent.close();
      device.close();
    }
  });
});

describe("agent with the master down", () => {
  it("goes to error with a retry time, backs off, keeps the error across a restart, then recovers", async () => {
    const link = await FakeLink.create(join(dir.path, "link2"));
    await link.up();
    const deadUrl = await deadMasterUrl();

    let { agent, device, states } = await start("a2", { link, masterUrl: deadUrl });
    try {
      await settle(agent);
      await agent.idle();
      expect(states).toEqual(["serving", "network-seen", "checking", "error"]);
      const first = agent.machine.state;
      expect(first.error).toContain("unreachable");
      expect(first.failures).toBe(1);
      const wait1 = Date.parse(first.retryAt!) - Date.parse(first.since);
      expect(device.leds.state).toBe("error");

      // The link flapping back does not cut the backoff short.
      await link.down();
      await settle(agent);
      await link.up();
      await settle(agent);
      await agent.idle();
      expect(agent.machine.name).toBe("error");
      expect(agent.machine.state.failures).toBe(1);

      // A button press tries at once; the second failure waits twice as long.
      await agent.syncNow("test");
      const second = agent.machine.state;
      expect(second.failures).toBe(2);
      const wait2 = Date.parse(second.retryAt!) - Date.parse(second.since);
      expect(wait2).toBeGreaterThan(wait1 * 1.5);

      await agent.close();
      device.close();
      // Restart: the error survives as first recorded. Later tries at an unreachable master
      // are kept in memory only (no SD-card write per retry), so the backoff starts over.
      ({ agent, device, states } = await start("a2", { link, masterUrl: deadUrl }));
      expect(agent.machine.name).toBe("error");
      expect(agent.machine.state.retryAt).toBe(first.retryAt);
      expect(agent.machine.state.failures).toBe(1);
    } finally {
      await agent.close();
      device.close();
    }

    // Master back (the real one): the next attempt succeeds and resets the failure count.
    const again = await start("a2", { link });
    try {
      await again.agent.syncNow("test");
      expect(again.agent.machine.name).toBe("updated");
      expect(again.agent.machine.state.failures).toBe(0);
    } finally {
      await again.agent.close();
      again.device.close();
    }
  });

  it("writes nothing to its database while it keeps retrying a master that does not answer", async () => {
    const link = await FakeLink.create(join(dir.path, "link-idle"));
    await link.up();
    const deadUrl = await deadMasterUrl();
    const { agent, device } = await start("a-idle", { link, masterUrl: deadUrl });
    const db = join(dir.path, "a-idle", "agent-db");
    const { readdir, stat } = await import("node:fs/promises");
    const files = async () =>
      Promise.all(
        (await readdir(db)).sort().map(async (name) => {
          const info = await stat(join(db, name));
          return `${name} ${info.size} ${info.mtimeMs}`;
        }),
      );
    try {
      await settle(agent);
      await agent.idle();
      expect(agent.machine.state.failures).toBe(1); // the first failure is recorded
      const before = await files();
      for (let i = 0; i < 3; i++) await agent.syncNow("retry");
      expect(agent.machine.name).toBe("error");
      expect(agent.machine.state.failures).toBe(4); // backed off in memory
      expect(device.leds.state).toBe("error");
      expect(await files()).toEqual(before);
    } finally {
      await agent.close();
      device.close();
    }
  });

  it("retries by itself when the retry time comes", async () => {
    const link = await FakeLink.create(join(dir.path, "link3"));
    await link.up();
    const { createServer } = await import("node:http");
    // A master that fails once with 503, then forwards nothing: just count the reachability probes.
    let probes = 0;
    const flaky = createServer((_req, res) => {
      probes++;
      res.writeHead(503).end();
    });
    await new Promise<void>((r) => flaky.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(flaky.address() as import("node:net").AddressInfo).port}`;
    const { agent, device } = await start("a3", { link, masterUrl: url, retryMinSec: 1 });
    try {
      await settle(agent);
      await agent.idle();
      expect(agent.machine.name).toBe("error");
      expect(probes).toBe(1);
      await waitFor(() => probes >= 2, "the automatic retry");
      await agent.idle();
      expect(agent.machine.state.failures).toBeGreaterThanOrEqual(2);
    } finally {
      await agent.close();
      device.close();
      await new Promise((r) => flaky.close(r));
    }
  });
});

describe("partial failure", () => {
  it("serves what did arrive, records it, and goes to error for the course that failed", async () => {
    const link = await FakeLink.create(join(dir.path, "link7"));
    const device = await simulatedDevice(link, dir.path);
    const agent = await startAgent({
      config: agentConfig({
        dataDir: join(dir.path, "a7"),
        masterUrl: master.url,
        courses: ["health", "no-such-course"],
      }),
      device,
      manualConnectivity: true,
    });
    try {
      await agent.syncNow("test");
      const s = agent.machine.state;
      expect(s.name).toBe("error");
      expect(s.error).toContain("no-such-course");
      expect(s.lastSync).toMatchObject({ ok: false, updated: 1 });
      expect(s.lastSync!.bytesDown).toBeGreaterThan(0);
      expect((await agent.library.list()).map((c) => c.id)).toEqual(["health"]);
    } finally {
      await agent.close();
      device.close();
    }
  });
});

describe("button", () => {
  it("a short press on the twin starts a sync even with no route; bounces count once", async () => {
    const link = await FakeLink.create(join(dir.path, "link4"));
    const { agent, device, states } = await start("a4", { link });
    try {
      await settle(agent);
      expect(agent.machine.name).toBe("serving");
      device.sim!.button!.press(200, { bounces: 3 });
      await waitFor(() => states.includes("checking"), "the button's sync");
      await agent.idle();
      expect(agent.machine.name).toBe("updated");
      expect(states.filter((s) => s === "checking")).toHaveLength(1);
      expect((await agent.library.list()).map((c) => c.id)).toEqual(["health"]);
    } finally {
      await agent.close();
      device.close();
    }
  });

  it("a long press with ownsShutdown shows the shutting-down pattern (the twin never powers off)", async () => {
    const link = await FakeLink.create(join(dir.path, "link5"));
    const device = await simulatedDevice(link, dir.path, {
      button: { longPressMs: 300, ownsShutdown: true },
    });
    const { agent, states } = await start("a5", { link, device });
    try {
      device.sim!.button!.press(500);
      await waitFor(() => device.leds.state === "shutting-down", "the shutdown pattern");
      expect(states).toEqual(["serving"]); // no sync was started by the long press
    } finally {
      await agent.close();
      device.close();
    }
  });
});

describe("switch mode (one radio for hotspot and uplink)", () => {
  it("takes the hotspot down, joins the known network, syncs, and always brings the hotspot back", async () => {
    const link = await FakeLink.create(join(dir.path, "link6"));
    const network = {
      ssid: "Field office",
      bssid: "02:00:00:00:00:02",
      mode: "Infra",
      channel: 6,
      frequencyMhz: 2437,
      signalPercent: 70,
      signalDbm: -55,
      security: "WPA2",
    };
    const device = await simulatedDevice(link, dir.path, {
      wifi: { simulated: { networks: [], passwords: { "Field office": "office-pass-1" } } },
    });
    const wifi = device.sim!.wifi;
    // The twin radio: joining gives a route on wlan0, leaving takes it away.
    const connect = wifi.connect.bind(wifi);
    wifi.connect = async (ssid, password) => {
      await connect(ssid, password);
      await link.up("wlan0");
    };
    const disconnect = wifi.disconnect.bind(wifi);
    wifi.disconnect = async () => {
      await disconnect();
      await link.down();
    };
    const hotspot = new SimulatedHotspot();
    const agent = await startAgent({
      config: agentConfig({
        dataDir: join(dir.path, "a6"),
        masterUrl: master.url,
        knownNetworks: [{ ssid: "Field office", password: "office-pass-1" }],
        connectivity: { pollMs: 60_000, wifiMode: "switch", hotspotIface: "wlan0", joinWaitSec: 10 },
      }),
      device,
      hotspot,
      manualConnectivity: true,
    });
    try {
      await settle(agent);
      // Nothing in range: the routine look leaves the hotspot only for the scan, syncs nothing.
      await agent.lookForUplink();
      expect(hotspot.events).toEqual(["down", "up"]);
      expect(agent.machine.name).toBe("serving");
      expect(await agent.library.list()).toEqual([]);

      // The office network appears: the next look joins it, syncs, leaves, restores the hotspot.
      wifi.setNetworks([network]);
      await agent.lookForUplink();
      expect(hotspot.events).toEqual(["down", "up", "down", "up"]);
      expect(hotspot.active).toBe(true);
      expect(wifi.attempts).toEqual([{ ssid: "Field office", ok: true }]);
      expect(wifi.connectedTo).toBeNull();
      expect(agent.machine.name).toBe("updated");
      expect((await agent.library.list()).map((c) => c.id)).toEqual(["health"]);

      // The master goes away: the sync fails, yet the hotspot still comes back.
      await agent.close();
      const again = await startAgent({
        config: agentConfig({
          dataDir: join(dir.path, "a6"),
          masterUrl: "http://127.0.0.1:9",
          knownNetworks: [{ ssid: "Field office", password: "office-pass-1" }],
          connectivity: { pollMs: 60_000, wifiMode: "switch", hotspotIface: "wlan0", joinWaitSec: 10 },
        }),
        device,
        hotspot,
        manualConnectivity: true,
      });
      try {
        await settle(again);
        await again.syncNow("button");
        expect(again.machine.name).toBe("error");
        expect(hotspot.events.slice(-2)).toEqual(["down", "up"]);
        expect(hotspot.active).toBe(true);
        expect(wifi.connectedTo).toBeNull();
      } finally {
        await again.close();
      }
    } finally {
      await agent.close().catch(() => {});
      device.close();
    }
  });
});

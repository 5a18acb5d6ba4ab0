// Link detection through the real probes over a fake /proc and /sys, debouncing, joining a
// known Wi-Fi network on the twin, and the master reachability probe against real sockets.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ConnectivityMonitor,
  checkMaster,
  observeLink,
  waitForClockSync,
} from "../../src/agent/connectivity.js";
import { SimulatedWifi, SystemProbes } from "../../src/device/index.js";
import { WAIT_LIMIT_MS } from "../support/wait.js";
import { FakeLink, tempDir } from "./helpers.js";

let dir: Awaited<ReturnType<typeof tempDir>>;
let link: FakeLink;
let probes: SystemProbes;

beforeAll(async () => {
  dir = await tempDir("hc-conn-");
  link = await FakeLink.create(dir.path);
  probes = new SystemProbes({ roots: { proc: link.proc, sys: link.sys }, snapshotTtlMs: 0 });
});
afterAll(() => dir.remove());

describe("observeLink", () => {
  it("sees a default route with carrier as up, and ignores the hotspot interface", async () => {
    await link.down();
    expect(await observeLink(probes)).toEqual({ up: false });
    await link.up("eth0");
    expect(await observeLink(probes)).toEqual({ up: true, iface: "eth0" });
    await link.carrier("eth0", false);
    expect(await observeLink(probes)).toEqual({ up: false });
    await link.up("wlan0");
    expect(await observeLink(probes, "wlan0")).toEqual({ up: false });
    expect(await observeLink(probes, "ap0")).toEqual({ up: true, iface: "wlan0" });
  });
});

describe("ConnectivityMonitor", () => {
  it("changes only after two agreeing observations: a one-tick flap is ignored", async () => {
    await link.down();
    const mon = new ConnectivityMonitor({ probes, debounce: 2 });
    const changes: boolean[] = [];
    mon.on("change", (online) => changes.push(online));
    await mon.check();
    expect(changes).toEqual([]); // one observation is not enough, even for the first state
    await mon.check();
    expect(changes).toEqual([false]);
    await link.up();
    await mon.check(); // flap: up once…
    await link.down();
    await mon.check(); // …and down again
    await mon.check();
    expect(changes).toEqual([false]);
    expect(mon.online).toBe(false);
    await link.up();
    await mon.check();
    expect(mon.online).toBe(false);
    await mon.check();
    expect(changes).toEqual([false, true]);
    expect(mon.online).toBe(true);
    expect(mon.uplink).toBe("eth0");
    await link.down();
    await mon.check();
    await mon.check();
    expect(changes).toEqual([false, true, false]);
  });

  it("joins the strongest known network in range when offline, and never an unknown one", async () => {
    await link.down();
    const net = (ssid: string, signalPercent: number) => ({
      ssid,
      bssid: "02:00:00:00:00:01",
      mode: "Infra",
      channel: 6,
      frequencyMhz: 2437,
      signalPercent,
      signalDbm: -50,
      security: "WPA2",
    });
    const wifi = new SimulatedWifi({
      networks: [net("Cafe:Free", 90), net("Field office", 40), net("District HQ", 70)],
      passwords: { "Field office": "office-pass-1", "District HQ": "hq-pass-123" },
    });
    const mon = new ConnectivityMonitor({
      probes,
      wifi,
      knownNetworks: [
        { ssid: "Field office", password: "office-pass-1" },
        { ssid: "District HQ", password: "wrong-password" },
      ],
      wifiScanMs: 60_000,
    });
    const results: { ssid: string; ok: boolean }[] = [];
    mon.on("wifi", (r) => results.push({ ssid: r.ssid, ok: r.ok }));
    expect(
      await mon.joinKnown(wifi, [
        { ssid: "Field office", password: "office-pass-1" },
        { ssid: "District HQ", password: "wrong-password" },
      ]),
    ).toBe("Field office");
    // Strongest known first (HQ, refused), then the office; the open café network is never tried.
    expect(results).toEqual([
      { ssid: "District HQ", ok: false },
      { ssid: "Field office", ok: true },
    ]);
    expect(wifi.connectedTo).toBe("Field office");
    expect(wifi.attempts.map((a) => a.ssid)).not.toContain("Cafe:Free");
  });

  it("scans from the timer only while offline and at most once per wifiScanMs", async () => {
    await link.down();
    const wifi = new SimulatedWifi({ networks: [] });
    let scans = 0;
    const scan = wifi.scan.bind(wifi);
    wifi.scan = async () => {
      scans++;
      return scan();
    };
    let t = 0;
    const mon = new ConnectivityMonitor({
      probes,
      wifi,
      knownNetworks: [{ ssid: "Office" }],
      wifiScanMs: 60_000,
      now: () => t,
    });
    await mon.check();
    await mon.check();
    await new Promise((r) => setImmediate(r));
    expect(scans).toBe(1);
    t = 61_000;
    await mon.check();
    await new Promise((r) => setImmediate(r));
    expect(scans).toBe(2);
    await link.up();
    t = 200_000;
    await mon.check();
    await mon.check();
    await new Promise((r) => setImmediate(r));
    expect(scans).toBe(2);
  });
});

describe("checkMaster", () => {
  let server: Server;
  let base: string;
  const sockets = new Set<import("node:net").Socket>();
  let mode: "ok" | "500" | "401" | "hang" = "ok";
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (mode === "hang") return; // never answers
      if (req.url !== "/v1/catalog") return void res.writeHead(404).end();
      res.writeHead(mode === "ok" ? 200 : Number(mode), { "content-type": "application/json" }).end("[]");
    });
    server.on("connection", (s) => sockets.add(s));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });

  it("answers reachable for 2xx and 401, unreachable for 5xx, timeouts and refused ports", async () => {
    // Generous limits where an answer is expected (a loaded machine can take seconds); the
    // short one only where the timeout itself is what is checked.
    mode = "ok";
    expect(await checkMaster(base, WAIT_LIMIT_MS)).toEqual({ ok: true, status: 200 });
    mode = "401";
    expect(await checkMaster(base, WAIT_LIMIT_MS)).toEqual({ ok: true, status: 401 });
    mode = "500";
    expect(await checkMaster(base, WAIT_LIMIT_MS)).toMatchObject({
      ok: false,
      error: "master answered HTTP 500",
    });
    mode = "hang";
    expect(await checkMaster(base, 200)).toMatchObject({
      ok: false,
      error: expect.stringContaining("no answer within 200 ms"),
    });
    // A port nothing listens on: take a free one, then close it.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const dead = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    expect(await checkMaster(`http://127.0.0.1:${dead}`, WAIT_LIMIT_MS)).toMatchObject({
      ok: false,
      error: expect.stringContaining("ECONNREFUSED"),
    });
  });
});

describe("waitForClockSync", () => {
  it("returns once timesyncd's flag file appears, false at its limit or when told to stop", async () => {
    const { mkdtemp, rm, writeFile } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const dir = await mkdtemp(join(tmpdir(), "hc-clock-"));
    const flag = join(dir, "synchronized");
    try {
      expect(await waitForClockSync(() => false, 0, flag)).toBe(false);
      expect(await waitForClockSync(() => true, 60_000, flag)).toBe(false);
      const waiting = waitForClockSync(() => false, 60_000, flag);
      await writeFile(flag, "");
      expect(await waiting).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// System probes against fake sysfs/procfs trees in a temp dir, and against this machine's
// real /proc and filesystems with `ip` and `df` as oracles.
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  decodeThrottled,
  parseDefaultRoute,
  parseDnsmasqLeases,
  SystemProbes,
} from "../../src/device/probes.js";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "hc-probes-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function put(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
}

/** A fake root holding a Pi-like sys, proc and NetworkManager leases dir. */
async function fakeRoots(name: string) {
  const base = path.join(tmp, name);
  const roots = {
    sys: path.join(base, "sys"),
    proc: path.join(base, "proc"),
    nmLeases: path.join(base, "nm"),
  };
  await mkdir(roots.sys, { recursive: true });
  await mkdir(roots.proc, { recursive: true });
  return roots;
}

// Real-shaped /proc/net/route: Ethernet default (metric 100), Wi-Fi default (600), a LAN route.
const ROUTE = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
wlan0\t00000000\t0100A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0
eth0\t00000000\t01010A0A\t0003\t0\t0\t100\t00000000\t0\t0\t0
eth0\t00010A0A\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0
`;

describe("system probes", () => {
  it("reads under-voltage from hwmon rpi_volt and keeps it as seen since boot", async () => {
    const roots = await fakeRoots("throttle");
    const probes = new SystemProbes({ roots });
    expect(await probes.throttle()).toBeNull(); // not a Pi: no rpi_volt sensor
    // Another sensor first, as on a real Pi (cpu_thermal), then the voltage one.
    await put(path.join(roots.sys, "class/hwmon/hwmon0/name"), "cpu_thermal\n");
    await put(path.join(roots.sys, "class/hwmon/hwmon1/name"), "rpi_volt\n");
    await put(path.join(roots.sys, "class/hwmon/hwmon1/in0_lcrit_alarm"), "0\n");
    const fresh = new SystemProbes({ roots });
    expect(await fresh.throttle()).toMatchObject({
      raw: 0,
      underVoltage: false,
      sinceBoot: { underVoltage: false },
    });
    await put(path.join(roots.sys, "class/hwmon/hwmon1/in0_lcrit_alarm"), "1\n");
    expect(await fresh.throttle()).toMatchObject({
      raw: 0x10001,
      underVoltage: true,
      frequencyCapped: false,
      throttled: false,
      sinceBoot: { underVoltage: true, throttled: false },
    });
    await put(path.join(roots.sys, "class/hwmon/hwmon1/in0_lcrit_alarm"), "0\n");
    expect(await fresh.throttle()).toMatchObject({
      raw: 0x10000,
      underVoltage: false,
      sinceBoot: { underVoltage: true },
    });
    // Never the deprecated firmware file, even when it is there.
    await put(path.join(roots.sys, "devices/platform/soc/soc:firmware/get_throttled"), "50005\n");
    expect((await new SystemProbes({ roots }).throttle())?.raw).toBe(0);
    expect(decodeThrottled(0x8000a)).toMatchObject({
      underVoltage: false,
      frequencyCapped: true,
      softTempLimit: true,
      sinceBoot: { softTempLimit: true, underVoltage: false },
    });
  });

  it("reads the CPU temperature from thermal_zone0 and never calls the slow fallback then", async () => {
    const roots = await fakeRoots("thermal");
    await put(path.join(roots.sys, "class/thermal/thermal_zone0/temp"), "48312\n");
    let slow = 0;
    const probes = new SystemProbes({ roots, slowCpuTemperature: async () => ++slow });
    expect(await probes.cpuTemperatureC()).toBeCloseTo(48.312, 3);
    expect(slow).toBe(0);
  });

  it("without thermal_zone0, uses the slow fallback at most once per TTL", async () => {
    vi.useFakeTimers();
    try {
      const roots = await fakeRoots("thermal-fallback");
      let slow = 0;
      const probes = new SystemProbes({
        roots,
        slowFallbackTtlMs: 60_000,
        slowCpuTemperature: async () => 40 + ++slow,
      });
      const first = await Promise.all([probes.cpuTemperatureC(), probes.cpuTemperatureC()]);
      vi.advanceTimersByTime(59_000);
      const cached = await probes.cpuTemperatureC();
      vi.advanceTimersByTime(2000);
      const fresh = await probes.cpuTemperatureC();
      expect([...first, cached, fresh]).toEqual([41, 41, 41, 42]);
      expect(probes.slowCalls).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it("the default fallback (systeminformation) answers a number or null on this machine", async () => {
    const probes = new SystemProbes({ roots: await fakeRoots("si") });
    const t = await probes.cpuTemperatureC();
    expect(t === null || (typeof t === "number" && t > -50 && t < 150)).toBe(true);
    expect(probes.slowCalls).toBe(1);
  });

  it("picks the default route with the lowest metric", async () => {
    expect(parseDefaultRoute(ROUTE)).toEqual({ iface: "eth0", gateway: "10.10.1.1", metric: 100 });
    expect(parseDefaultRoute(ROUTE.split("\n").slice(0, 2).join("\n"))).toEqual({
      iface: "wlan0",
      gateway: "192.168.0.1",
      metric: 600,
    });
    expect(parseDefaultRoute(ROUTE.replace(/0003/g, "0002"))).toBeNull(); // routes not up
    const roots = await fakeRoots("route");
    const probes = new SystemProbes({ roots });
    expect(await probes.defaultRoute()).toBeNull(); // no procfs file
    await put(path.join(roots.proc, "net/route"), ROUTE.split("\n")[0]!); // header only: offline
    expect(await probes.defaultRoute()).toBeNull();
  });

  it("agrees with `ip route show default` on this machine's real /proc", async () => {
    const ip = execFileSync("ip", ["-4", "route", "show", "default"], { encoding: "utf8" });
    const m = /default via (\S+) dev (\S+)/.exec(ip);
    const route = await new SystemProbes().defaultRoute();
    if (!m) {
      expect(route).toBeNull();
    } else {
      expect(route).toMatchObject({ gateway: m[1], iface: m[2] });
    }
  });

  it("reads carrier per interface and combines it with os.networkInterfaces()", async () => {
    const roots = await fakeRoots("carrier");
    await put(path.join(roots.sys, "class/net/eth0/carrier"), "1\n");
    await put(path.join(roots.sys, "class/net/wlan0/carrier"), "0\n");
    const ifaces = {
      lo: [{ address: "127.0.0.1", family: "IPv4", internal: true }],
      eth0: [{ address: "10.10.1.7", family: "IPv4", internal: false }],
      wlan0: [{ address: "192.168.0.9", family: "IPv4", internal: false }],
      usb0: [{ address: "fe80::1", family: "IPv6", internal: false }],
    } as unknown as ReturnType<typeof os.networkInterfaces>;
    const probes = new SystemProbes({ roots, networkInterfaces: () => ifaces });
    expect(await probes.carrier("eth0")).toBe(true);
    expect(await probes.carrier("wlan0")).toBe(false);
    expect(await probes.carrier("ppp0")).toBeNull();
    await expect(probes.carrier("../../etc")).rejects.toThrow(/bad interface name/);
    expect(await probes.onlineInterfaces()).toEqual([{ iface: "eth0", address: "10.10.1.7" }]);
    expect(await probes.onlineInterfaces(["eth0"])).toEqual([]);
  });

  it("agrees with `ip link` about this machine's real carriers", async () => {
    const probes = new SystemProbes();
    for (const line of execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8" }).trim().split("\n")) {
      const m = /^\d+: ([^:@]+)[^<]*<([^>]*)>/.exec(line);
      if (!m || m[1] === "lo") continue;
      const flags = m[2]!.split(",");
      const carrier = await probes.carrier(m[1]!);
      // sysfs answers EINVAL (null here) for links that are administratively down.
      if (!flags.includes("UP")) expect(carrier).toBeNull();
      else expect(carrier).toBe(flags.includes("LOWER_UP"));
    }
  });

  it("counts unexpired hotspot leases from NetworkManager's dnsmasq files", async () => {
    /** Lease file text relative to `nowMs`: one live lease, one expired, one infinite, junk. */
    const leases = (nowMs: number) => {
      const s = Math.floor(nowMs / 1000);
      return [
        `${s + 3600} aa:bb:cc:00:00:01 10.42.0.10 phone-amina 01:aa:bb:cc:00:00:01`,
        `${s - 10} aa:bb:cc:00:00:02 10.42.0.11 old-laptop *`,
        "0 AA:BB:CC:00:00:03 10.42.0.12 * *",
        "garbage line",
        "",
      ].join("\n");
    };
    const now = Date.UTC(2026, 0, 1);
    expect(parseDnsmasqLeases(leases(now), now)).toEqual([
      { mac: "aa:bb:cc:00:00:01", ip: "10.42.0.10", hostname: "phone-amina", leaseExpiresAt: now + 3600_000 },
      { mac: "aa:bb:cc:00:00:03", ip: "10.42.0.12", hostname: null, leaseExpiresAt: null },
    ]);
    const roots = await fakeRoots("leases");
    const probes = new SystemProbes({ roots });
    expect(await probes.hotspotClients()).toBeNull(); // no leases dir: unknown, not zero
    await put(path.join(roots.nmLeases, "dnsmasq-wlan0.leases"), leases(Date.now()));
    await put(path.join(roots.nmLeases, "other.conf"), "0 aa:aa:aa:aa:aa:aa 1.2.3.4 x *\n");
    const clients = await probes.hotspotClients();
    expect(clients?.map((c) => c.ip)).toEqual(["10.42.0.10", "10.42.0.12"]);
  });

  it("disk free matches df for the same filesystem", async () => {
    const probes = new SystemProbes({ dataPath: tmp });
    const disk = await probes.diskFree();
    const [size, avail] = execFileSync("df", ["-B1", "--output=size,avail", tmp], { encoding: "utf8" })
      .trim()
      .split("\n")[1]!
      .trim()
      .split(/\s+/)
      .map(Number) as [number, number];
    expect(disk.totalBytes).toBe(size);
    // Other tests write meanwhile: allow 64 MiB of drift on the free space.
    expect(Math.abs(disk.availableBytes - avail)).toBeLessThan(64 << 20);
    await expect(probes.diskFree(path.join(tmp, "missing", "dir"))).rejects.toThrow(/ENOENT/);
  });

  it("snapshots everything and reuses a snapshot within its TTL", async () => {
    const roots = await fakeRoots("snapshot");
    await put(path.join(roots.sys, "class/thermal/thermal_zone0/temp"), "51000\n");
    await put(path.join(roots.sys, "class/hwmon/hwmon3/name"), "rpi_volt\n");
    await put(path.join(roots.sys, "class/hwmon/hwmon3/in0_lcrit_alarm"), "1\n");
    await put(path.join(roots.proc, "net/route"), ROUTE);
    const probes = new SystemProbes({ roots, dataPath: tmp, snapshotTtlMs: 60_000 });
    const a = await probes.snapshot();
    expect(a).toMatchObject({
      cpuTemperatureC: 51,
      throttle: { underVoltage: true },
      defaultRoute: { iface: "eth0" },
      hotspotClients: null,
    });
    expect(a.disk?.availableBytes).toBeGreaterThan(0);
    await put(path.join(roots.sys, "class/thermal/thermal_zone0/temp"), "70000\n");
    expect((await probes.snapshot()).cpuTemperatureC).toBe(51); // cached
    const fresh = new SystemProbes({ roots, dataPath: tmp, snapshotTtlMs: 0 });
    expect((await fresh.snapshot()).cpuTemperatureC).toBe(70);
  });
});

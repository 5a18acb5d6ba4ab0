// System probes for the status API and the agent: disk, CPU temperature, under-voltage,
// default route and carrier, hotspot clients. Cheap file reads on the hot path; the one
// slow call (systeminformation's cpuTemperature, which shells out) is a cached fallback.
import { readdir, readFile, statfs } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export interface ProbeRoots {
  /** Default "/sys". */
  sys?: string;
  /** Default "/proc". */
  proc?: string;
  /** Where NetworkManager's shared-mode dnsmasq keeps leases. Default "/var/lib/NetworkManager". */
  nmLeases?: string;
}

export interface DiskFree {
  path: string;
  totalBytes: number;
  /** Bytes an unprivileged process may still write. */
  availableBytes: number;
}

/**
 * Power flags in the layout of the firmware's get_throttled bits. "Now" bits are live;
 * "sinceBoot" bits are sticky until reboot. From hwmon only under-voltage is known; the
 * other flags are then false.
 */
export interface ThrottleFlags {
  raw: number;
  underVoltage: boolean;
  frequencyCapped: boolean;
  throttled: boolean;
  softTempLimit: boolean;
  sinceBoot: {
    underVoltage: boolean;
    frequencyCapped: boolean;
    throttled: boolean;
    softTempLimit: boolean;
  };
}

export interface DefaultRoute {
  iface: string;
  gateway: string;
  metric: number;
}

export interface HotspotClient {
  mac: string;
  ip: string;
  hostname: string | null;
  /** Lease end in ms since epoch; null for an infinite lease. */
  leaseExpiresAt: number | null;
}

export interface ProbeSnapshot {
  at: number;
  disk: DiskFree | null;
  cpuTemperatureC: number | null;
  throttle: ThrottleFlags | null;
  defaultRoute: DefaultRoute | null;
  /** Interfaces with carrier and a non-internal IPv4 address. */
  online: { iface: string; address: string }[];
  hotspotClients: HotspotClient[] | null;
}

export function decodeThrottled(raw: number): ThrottleFlags {
  const bit = (n: number) => (raw & (1 << n)) !== 0;
  return {
    raw,
    underVoltage: bit(0),
    frequencyCapped: bit(1),
    throttled: bit(2),
    softTempLimit: bit(3),
    sinceBoot: {
      underVoltage: bit(16),
      frequencyCapped: bit(17),
      throttled: bit(18),
      softTempLimit: bit(19),
    },
  };
}

/** /proc/net/route stores IPv4 addresses as little-endian hex. */
function hexToIpv4(hex: string): string {
  const n = Number.parseInt(hex, 16);
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff].join(".");
}

const RTF_UP = 0x1;

/** Default IPv4 route with the lowest metric, from /proc/net/route text. */
export function parseDefaultRoute(text: string): DefaultRoute | null {
  let best: DefaultRoute | null = null;
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const [iface, destination, gateway, flags, , , metric, mask] = f as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    if (destination !== "00000000" || mask !== "00000000") continue;
    if ((Number.parseInt(flags, 16) & RTF_UP) === 0) continue;
    const route = { iface, gateway: hexToIpv4(gateway), metric: Number(metric) };
    if (!best || route.metric < best.metric) best = route;
  }
  return best;
}

/** dnsmasq lease lines: "<expiry epoch s> <mac> <ip> <hostname|*> <client-id|*>". */
export function parseDnsmasqLeases(text: string, nowMs: number): HotspotClient[] {
  const clients: HotspotClient[] = [];
  for (const line of text.split("\n")) {
    const [expiry, mac, ip, hostname] = line.trim().split(/\s+/);
    if (!expiry || !mac || !ip || !/^\d+$/.test(expiry)) continue;
    const leaseExpiresAt = expiry === "0" ? null : Number(expiry) * 1000;
    if (leaseExpiresAt !== null && leaseExpiresAt <= nowMs) continue;
    clients.push({
      mac: mac.toLowerCase(),
      ip,
      hostname: hostname && hostname !== "*" ? hostname : null,
      leaseExpiresAt,
    });
  }
  return clients;
}

async function readText(file: string): Promise<string | null> {
  try {
    return await readFile(file, "utf8");
  } catch {
    return null;
  }
}

export interface ProbeOptions {
  roots?: ProbeRoots;
  /** Path whose filesystem is reported by diskFree(); default the current directory. */
  dataPath?: string;
  /** How long a snapshot is reused. Default 2000 ms. */
  snapshotTtlMs?: number;
  /** How long the slow cpuTemperature fallback is reused. Default 10 min. */
  slowFallbackTtlMs?: number;
  /** The slow fallback; default systeminformation.cpuTemperature. Injectable for tests. */
  slowCpuTemperature?: () => Promise<number | null>;
  /** Injectable for tests; default os.networkInterfaces. */
  networkInterfaces?: typeof os.networkInterfaces;
}

async function systeminformationCpuTemperature(): Promise<number | null> {
  const si = await import("systeminformation");
  const t = await si.cpuTemperature();
  return typeof t.main === "number" && Number.isFinite(t.main) ? t.main : null;
}

export class SystemProbes {
  private readonly sys: string;
  private readonly proc: string;
  private readonly leasesDir: string;
  private readonly dataPath: string;
  private readonly snapshotTtlMs: number;
  private readonly slowTtlMs: number;
  private readonly slowCpuTemperature: () => Promise<number | null>;
  private readonly networkInterfaces: typeof os.networkInterfaces;
  private slowTemp: { at: number; value: Promise<number | null> } | undefined;
  private lastSnapshot: { at: number; value: Promise<ProbeSnapshot> } | undefined;
  /** The rpi_volt hwmon directory once found (its number can change between boots, not at run time). */
  private voltHwmon: Promise<string | null> | undefined;
  /** Under-voltage seen by this process since it started (the kernel keeps no sticky bit). */
  private underVoltageSeen = false;
  /** How often the slow fallback actually ran (status and tests). */
  slowCalls = 0;

  constructor(options: ProbeOptions = {}) {
    this.sys = options.roots?.sys ?? "/sys";
    this.proc = options.roots?.proc ?? "/proc";
    this.leasesDir = options.roots?.nmLeases ?? "/var/lib/NetworkManager";
    this.dataPath = options.dataPath ?? ".";
    this.snapshotTtlMs = options.snapshotTtlMs ?? 2000;
    this.slowTtlMs = options.slowFallbackTtlMs ?? 10 * 60_000;
    this.slowCpuTemperature = options.slowCpuTemperature ?? systeminformationCpuTemperature;
    this.networkInterfaces = options.networkInterfaces ?? os.networkInterfaces;
  }

  async diskFree(target: string = this.dataPath): Promise<DiskFree> {
    const s = await statfs(target);
    return { path: target, totalBytes: s.blocks * s.bsize, availableBytes: s.bavail * s.bsize };
  }

  /** °C from thermal_zone0, else the cached slow fallback, else null. */
  async cpuTemperatureC(): Promise<number | null> {
    const text = await readText(path.join(this.sys, "class/thermal/thermal_zone0/temp"));
    const milli = text === null ? Number.NaN : Number(text.trim());
    if (text !== null && text.trim() !== "" && Number.isFinite(milli)) return milli / 1000;
    const now = Date.now();
    if (!this.slowTemp || now - this.slowTemp.at >= this.slowTtlMs) {
      this.slowCalls++;
      this.slowTemp = { at: now, value: this.slowCpuTemperature().catch(() => null) };
    }
    return this.slowTemp.value;
  }

  /**
   * Under-voltage from the raspberrypi-hwmon sensor ("rpi_volt", in0_lcrit_alarm = 1 while
   * the supply is too low), as on every Pi OS kernel including the Pi 5. Not from
   * get_throttled: that file is deprecated (a kernel warning at first read), the driver
   * clears its sticky bits every ~2 s, and a Pi 5 has none. "Since boot" is therefore kept
   * here, for as long as this process runs. null when there is no such sensor (not a Pi).
   */
  async throttle(): Promise<ThrottleFlags | null> {
    this.voltHwmon ??= this.findHwmon("rpi_volt");
    const dir = await this.voltHwmon;
    if (dir === null) return null;
    const text = await readText(path.join(dir, "in0_lcrit_alarm"));
    if (text === null || !/^[01]$/.test(text.trim())) return null;
    const now = text.trim() === "1";
    if (now) this.underVoltageSeen = true;
    return decodeThrottled((now ? 1 : 0) | (this.underVoltageSeen ? 1 << 16 : 0));
  }

  /** The /sys/class/hwmon/hwmonN directory whose "name" is `name`, or null. */
  private async findHwmon(name: string): Promise<string | null> {
    const base = path.join(this.sys, "class/hwmon");
    const entries = await readdir(base).catch(() => [] as string[]);
    for (const entry of entries.sort()) {
      const dir = path.join(base, entry);
      if ((await readText(path.join(dir, "name")))?.trim() === name) return dir;
    }
    return null;
  }

  async defaultRoute(): Promise<DefaultRoute | null> {
    const text = await readText(path.join(this.proc, "net/route"));
    return text === null ? null : parseDefaultRoute(text);
  }

  /** true/false from /sys/class/net/IFACE/carrier; null if unknown (missing, or the link is down). */
  async carrier(iface: string): Promise<boolean | null> {
    if (!/^[\w.@:-]+$/.test(iface)) throw new RangeError(`bad interface name "${iface}"`);
    const text = await readText(path.join(this.sys, "class/net", iface, "carrier"));
    if (text === null) return null;
    return text.trim() === "1";
  }

  /**
   * Interfaces that have a carrier and a usable IPv4 address: the cheap "link changed" check.
   * The hotspot's own interface counts too (it has an address); pass it in `exclude`, and
   * use defaultRoute() to know whether there is an uplink at all.
   */
  async onlineInterfaces(exclude: readonly string[] = []): Promise<{ iface: string; address: string }[]> {
    const out: { iface: string; address: string }[] = [];
    for (const [iface, addresses] of Object.entries(this.networkInterfaces())) {
      if (exclude.includes(iface)) continue;
      const v4 = addresses?.find((a) => a.family === "IPv4" && !a.internal);
      if (!v4) continue;
      if ((await this.carrier(iface)) === false) continue;
      out.push({ iface, address: v4.address });
    }
    return out;
  }

  /** Unexpired DHCP leases of NetworkManager's hotspot (ipv4.method shared); null if none kept. */
  async hotspotClients(): Promise<HotspotClient[] | null> {
    let names: string[];
    try {
      names = (await readdir(this.leasesDir)).filter((n) => /^dnsmasq-.*\.leases$/.test(n));
    } catch {
      return null;
    }
    if (names.length === 0) return null;
    const now = Date.now();
    const clients: HotspotClient[] = [];
    for (const name of names) {
      const text = await readText(path.join(this.leasesDir, name));
      if (text !== null) clients.push(...parseDnsmasqLeases(text, now));
    }
    return clients;
  }

  /** Everything at once, reused for snapshotTtlMs so a busy status page costs nothing. */
  snapshot(): Promise<ProbeSnapshot> {
    const now = Date.now();
    if (this.lastSnapshot && now - this.lastSnapshot.at < this.snapshotTtlMs) return this.lastSnapshot.value;
    const value = (async (): Promise<ProbeSnapshot> => {
      const [disk, cpuTemperatureC, throttle, defaultRoute, online, hotspotClients] = await Promise.all([
        this.diskFree().catch(() => null),
        this.cpuTemperatureC(),
        this.throttle(),
        this.defaultRoute(),
        this.onlineInterfaces(),
        this.hotspotClients(),
      ]);
      return { at: now, disk, cpuTemperatureC, throttle, defaultRoute, online, hotspotClients };
    })();
    this.lastSnapshot = { at: now, value };
    return value;
  }
}

// Is there an uplink, and can we reach the master? Cheap link checks on a timer (the
// default route in /proc/net/route and the carrier bit in sysfs, through the device
// probes), debounced so a flapping cable does not start and abort syncs; known Wi-Fi
// networks joined when there is no route; a short-timeout reachability probe of the master.
import { EventEmitter } from "node:events";
import type { SystemProbes, Wifi } from "../device/index.js";
import type { KnownNetwork } from "./config.js";

export interface LinkObservation {
  up: boolean;
  /** The uplink interface, when up. */
  iface?: string;
}

export interface ConnectivityEvents {
  /** The debounced link state changed. */
  change: [online: boolean, observation: LinkObservation];
  /** A known Wi-Fi network was joined (or joining failed). */
  wifi: [result: { ssid: string; ok: boolean; error?: string }];
}

export interface ConnectivityOptions {
  probes: SystemProbes;
  /** How often the link is looked at. Default 5000 ms. */
  pollMs?: number;
  /** Identical consecutive observations needed before a change counts. Default 2. */
  debounce?: number;
  /** The hotspot's interface: a route through it is not an uplink. */
  hotspotIface?: string;
  wifi?: Wifi;
  knownNetworks?: readonly KnownNetwork[];
  /** While offline with known networks, scan this often. Default 60 s. */
  wifiScanMs?: number;
  /** For tests: time source. */
  now?: () => number;
}

/** One look at the link: a default route not through the hotspot, on an interface with carrier. */
export async function observeLink(probes: SystemProbes, hotspotIface?: string): Promise<LinkObservation> {
  const route = await probes.defaultRoute();
  if (!route || route.iface === hotspotIface) return { up: false };
  // null = the kernel does not say (no carrier file, e.g. a tun device): trust the route.
  const carrier = await probes.carrier(route.iface).catch(() => null);
  if (carrier === false) return { up: false };
  return { up: true, iface: route.iface };
}

export class ConnectivityMonitor extends EventEmitter<ConnectivityEvents> {
  private readonly pollMs: number;
  private readonly debounce: number;
  private readonly wifiScanMs: number;
  private readonly now: () => number;
  private stable: LinkObservation = { up: false };
  private known = false;
  private candidate: boolean | undefined;
  private streak = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private inFlight: Promise<LinkObservation> | undefined;
  private lastScanAt = Number.NEGATIVE_INFINITY;
  private joining: Promise<unknown> | undefined;
  /** Observations made so far (status and tests). */
  observations = 0;

  constructor(private readonly options: ConnectivityOptions) {
    super();
    this.pollMs = options.pollMs ?? 5000;
    this.debounce = options.debounce ?? 2;
    this.wifiScanMs = options.wifiScanMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** The debounced view; false until `debounce` observations agree. */
  get online(): boolean {
    return this.stable.up;
  }

  get uplink(): string | undefined {
    return this.stable.iface;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Look now (joins a look under way). Also what the timer calls. */
  check(): Promise<LinkObservation> {
    this.inFlight ??= this.tick().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      void this.check().finally(() => this.schedule(this.pollMs));
    }, ms);
    this.timer.unref?.();
  }

  private async tick(): Promise<LinkObservation> {
    let seen: LinkObservation;
    try {
      seen = await observeLink(this.options.probes, this.options.hotspotIface);
    } catch {
      seen = { up: false };
    }
    this.observations++;
    if (seen.up === this.candidate) this.streak++;
    else {
      this.candidate = seen.up;
      this.streak = 1;
    }
    const changed = !this.known || seen.up !== this.stable.up;
    if (changed && this.streak >= this.debounce) {
      this.known = true;
      this.stable = seen;
      this.emit("change", seen.up, seen);
    } else if (seen.up && this.stable.up) {
      this.stable = seen; // same state, maybe another interface
    }
    if (!this.stable.up && !seen.up) this.maybeJoinWifi();
    return seen;
  }

  /** Offline and a known network may be in range: scan (rarely) and join the best one. */
  private maybeJoinWifi(): void {
    const { wifi, knownNetworks } = this.options;
    if (!wifi || !knownNetworks?.length || this.joining) return;
    if (this.now() - this.lastScanAt < this.wifiScanMs) return;
    this.lastScanAt = this.now();
    this.joining = this.joinKnown(wifi, knownNetworks).finally(() => {
      this.joining = undefined;
    });
  }

  /** Scan now and join the strongest known network in range (the admin's "scan" and tests). */
  async joinKnown(wifi: Wifi, knownNetworks: readonly KnownNetwork[]): Promise<string | null> {
    let visible: Awaited<ReturnType<Wifi["scan"]>>;
    try {
      visible = await wifi.scan();
    } catch {
      return null;
    }
    const candidates = visible
      .filter((n) => knownNetworks.some((k) => k.ssid === n.ssid))
      .sort((a, b) => b.signalPercent - a.signalPercent);
    for (const net of candidates) {
      const known = knownNetworks.find((k) => k.ssid === net.ssid)!;
      try {
        await wifi.connect(known.ssid, known.password);
        this.emit("wifi", { ssid: known.ssid, ok: true });
        return known.ssid;
      } catch (err) {
        this.emit("wifi", { ssid: known.ssid, ok: false, error: (err as Error).message });
      }
    }
    return null;
  }
}

/** clockBehind: TLS refused the certificate as not yet valid, i.e. this clock is behind. */
export type Reachability = { ok: true; status: number } | { ok: false; error: string; clockBehind?: boolean };

/** systemd-timesyncd creates this file once the clock is synchronised. */
export const TIME_SYNC_FLAG = "/run/systemd/timesync/synchronized";

/**
 * Wait (up to timeoutMs, checking once a second) for the system clock to be synchronised.
 * true when it is, false on timeout or when `stop()` says to give up. Used only after a
 * "certificate not yet valid" failure, so serving offline never waits for NTP.
 */
export async function waitForClockSync(
  stop: () => boolean,
  timeoutMs = 60_000,
  flag: string = TIME_SYNC_FLAG,
): Promise<boolean> {
  const { access } = await import("node:fs/promises");
  const end = Date.now() + timeoutMs;
  while (!stop()) {
    if (
      await access(flag).then(
        () => true,
        () => false,
      )
    )
      return true;
    if (Date.now() >= end) return false;
    await new Promise((resolve) => setTimeout(resolve, 1000).unref());
  }
  return false;
}

/**
 * Can we talk to the master? One HEAD of its catalog with a short timeout (headers only: the
 * catalog of hundreds of courses is not sent for a probe). Any HTTP answer below 500 (even
 * 401) means the master is there; the sync itself reports auth problems.
 */
export async function checkMaster(
  masterUrl: string,
  timeoutMs: number,
  token?: string,
): Promise<Reachability> {
  try {
    const res = await fetch(`${masterUrl}/v1/catalog`, {
      method: "HEAD",
      signal: AbortSignal.timeout(timeoutMs),
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    await res.body?.cancel();
    if (res.status >= 500) return { ok: false, error: `master answered HTTP ${res.status}` };
    return { ok: true, status: res.status };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why =
      e.name === "TimeoutError"
        ? `no answer within ${timeoutMs} ms`
        : (e.cause?.code ?? e.cause?.message ?? e.message);
    const clockBehind = e.cause?.code === "CERT_NOT_YET_VALID";
    return {
      ok: false,
      error: `master ${masterUrl} unreachable: ${why}`,
      ...(clockBehind ? { clockBehind } : {}),
    };
  }
}

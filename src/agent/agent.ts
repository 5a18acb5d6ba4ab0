// The long-running agent: ties connectivity, the persisted state machine, the sync client,
// the LEDs and button, and the hotspot web server together. One sync cycle at a time,
// triggered by a network appearing, the schedule while online, a retry after a failure
// (exponential backoff), the button, or the admin page.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdir, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { type HotspotControl, NmcliHotspot, SimulatedHotspot } from "../device/hotspot.js";
import { createDevice, type Device } from "../device/index.js";
import { type AgentStatus, type CourseSource, createHotspotApp, type ServedCourse } from "../hotspot/app.js";
import { AdminAuth } from "../hotspot/auth.js";
import { listen, type RunningServer } from "../http/listen.js";
import { Store } from "../store/index.js";
import { ensureReserve } from "../util/space.js";
import { packageVersion } from "../version.js";
import type { AgentConfig } from "./config.js";
import { ConnectivityMonitor, checkMaster, waitForClockSync } from "./connectivity.js";
import { archiveExt, CourseLibrary, courseArchive } from "./library.js";
import { SecretBox } from "./secrets.js";
import { AgentSettings } from "./settings.js";
import {
  type AgentState,
  type AgentStateMachine,
  backoffMs,
  driveLeds,
  AgentStateMachine as Machine,
} from "./state.js";
import type { SyncEvent } from "./sync.js";

export interface AgentLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const silent: AgentLogger = { info() {}, warn() {}, error() {} };

/** The reason of switch mode's routine look: it syncs only if a known network was joined. */
const LOOK_FOR_UPLINK = "look for uplink";

export interface StartAgentOptions {
  config: AgentConfig;
  /** Injected in tests and the demo (twins); default createDevice(config.device). */
  device?: Device;
  logger?: AgentLogger;
  /** Do not start the connectivity timer (tests drive check() themselves). */
  manualConnectivity?: boolean;
  /** Switch mode's hotspot control; default nmcli on a real device, a twin otherwise. */
  hotspot?: HotspotControl;
  /** Every event of the sync client, as it happens (the demo prints them). */
  onSyncEvent?: (e: SyncEvent) => void;
}

/**
 * The courses the hotspot serves, read from the sync client's library. The library's
 * LevelDB (DIR/db) is opened only between syncs, because syncAll opens it itself; the
 * list changes only through a sync, so a copy refreshed after each one is exact.
 */
export class LibraryView implements CourseSource {
  private courses = new Map<string, ServedCourse>();

  constructor(
    private readonly dataDir: string,
    private readonly warn: (message: string) => void = () => {},
    private readonly reserve?: Parameters<typeof Store.open>[1],
  ) {}

  /** Why the course database could not open at the last refresh (courses then come from disk). */
  unavailable: string | undefined;

  async refresh(): Promise<void> {
    let lib: CourseLibrary;
    try {
      lib = await CourseLibrary.open(
        this.dataDir,
        await Store.open(join(this.dataDir, "db"), this.reserve),
        this.warn,
      );
      this.unavailable = undefined;
      await lib.keepRecordFiles().catch((err: Error) => this.warn(`course record files: ${err.message}`));
    } catch (err) {
      // The hotspot keeps serving: the versions on disk carry their own records.
      this.unavailable = (err as Error).message;
      lib = await CourseLibrary.fromDisk(this.dataDir, this.warn);
    }
    try {
      const list = await lib.list();
      this.courses = new Map(list.map((c) => [c.id, c]));
    } finally {
      await lib.close();
    }
  }

  /** A course switched during a sync: serve the new version at once (its old files are being removed). */
  async switched(e: Extract<SyncEvent, { type: "course-done" }>): Promise<void> {
    const old = this.courses.get(e.course);
    if (!old) return; // a new course appears at the refresh after the cycle
    this.courses.set(e.course, {
      ...old,
      contentHash: e.contentHash,
      format: e.format,
      archivePath: join(dirname(e.path), `course.${archiveExt(e.format)}`),
      treePath: e.path,
      size: e.size,
      installedAt: new Date().toISOString(),
    });
  }

  async list(): Promise<ServedCourse[]> {
    return [...this.courses.values()].sort((a, b) => a.title.localeCompare(b.title));
  }

  async get(id: string): Promise<ServedCourse | undefined> {
    return this.courses.get(id);
  }

  archive(course: ServedCourse): Promise<string> {
    return courseArchive(course);
  }
}

export interface RunningAgent {
  url: string;
  machine: AgentStateMachine;
  connectivity: ConnectivityMonitor;
  device: Device;
  library: LibraryView;
  auth: AdminAuth;
  /** Start a sync cycle now (or join the one running); resolves when it ends. */
  syncNow(reason: string): Promise<void>;
  /** Switch mode: the routine look for a known network (what its timer calls). */
  lookForUplink(): Promise<void>;
  hotspot: HotspotControl;
  /** A sync cycle is under way (set the moment it starts, before its first state change lands). */
  isSyncing(): boolean;
  /** Resolves when no cycle is running. */
  idle(): Promise<void>;
  status(): Promise<AgentStatus>;
  close(): Promise<void>;
}

export async function startAgent(o: StartAgentOptions): Promise<RunningAgent> {
  const config = o.config;
  const log = o.logger ?? silent;
  // Passwords, tokens and the state live here: the owner's alone, whatever the umask.
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  await chmod(config.dataDir, 0o700);
  // A disk filled by something else must not keep the hotspot down: the space reserve goes
  // first, so the state databases can open.
  const reserve = {
    dataDir: config.dataDir,
    onRelease: (bytes: number) =>
      log.warn({ freedBytes: bytes }, "disk full: gave up the space reserve to open the state database"),
  };
  const store = await Store.open(join(config.dataDir, "agent-db"), reserve).catch((err: Error) => {
    log.error({ err: err.message }, "state database unavailable: running from memory until the next start");
    return Store.inMemory();
  });
  const settings = await AgentSettings.open(
    store.table("settings"),
    await SecretBox.open(config.dataDir),
    config,
    (m) => log.warn({}, m),
  );
  const machine = await Machine.open(store.table<AgentState>("state"));
  const device =
    o.device ??
    (await createDevice({
      ...config.device,
      probes: { dataPath: config.dataDir, ...config.device.probes },
      onError: (err) => log.warn({ err: err.message }, "device error"),
    }));
  for (const w of device.warnings) log.warn({}, w);
  const stopLeds = driveLeds(machine, device.leds);
  const lowVoltage = device.watchLowVoltage();
  const library = new LibraryView(config.dataDir, (message) => log.warn({}, message), reserve);
  await library.refresh();
  // Until the course database opens again, look for it now and then (a sync also retries).
  let reopen: ReturnType<typeof setInterval> | undefined;
  if (library.unavailable) {
    log.error(
      { err: library.unavailable },
      "course database unavailable: serving the courses recorded on disk",
    );
    reopen = setInterval(() => {
      if (cycle) return;
      void library.refresh().then(() => {
        if (library.unavailable) return;
        clearInterval(reopen);
        log.info({}, "course database open again");
      });
    }, config.sync.retryMinSec * 1000);
    reopen.unref();
  }
  if (!(await ensureReserve(config.dataDir, config.sync.reserveMiB << 20)))
    log.warn(
      { reserveMiB: config.sync.reserveMiB },
      "disk nearly full: no space reserve for the state database",
    );
  const auth = await AdminAuth.create({
    password: config.adminPassword,
    table: store.table("admin"),
    dataDir: config.dataDir,
  }).catch(async (err: Error) => {
    // No room to write a generated password: the admin area stays locked, the hotspot serves.
    if (store.persistent) throw err;
    log.error(
      { err: err.message },
      "admin password could not be saved: the admin area is locked until restart",
    );
    return AdminAuth.create({
      password: randomBytes(32).toString("hex"),
      table: store.table("admin"),
      dataDir: "",
    });
  });
  if (auth.generatedFile)
    log.warn({ file: auth.generatedFile }, "admin password generated; read it from this file");

  const masterUrl = () => settings.masterUrl();
  const knownNetworks = () => settings.knownNetworks();

  const switchMode = config.connectivity.wifiMode === "switch";
  const hotspot =
    o.hotspot ??
    (device.kind === "real" ? new NmcliHotspot(config.connectivity.hotspotProfile) : new SimulatedHotspot());
  const connectivity = new ConnectivityMonitor({
    probes: device.probes,
    pollMs: config.connectivity.pollMs,
    debounce: config.connectivity.debounce,
    // In switch mode wlan0 is the hotspot or, while viaWifi() runs, the uplink.
    hotspotIface: switchMode ? undefined : config.connectivity.hotspotIface,
    // In switch mode joining a network drops the hotspot: only viaWifi() may do that.
    wifi: switchMode ? undefined : device.wifi,
    get knownNetworks() {
      return knownNetworks();
    },
    wifiScanMs: config.connectivity.wifiScanSec * 1000,
  });

  let closed = false;
  let cycle: Promise<void> | undefined;
  let abort: AbortController | undefined;
  let wake: ReturnType<typeof setTimeout> | undefined;
  /** State changes are applied in order, one at a time (sync events arrive as plain callbacks). */
  let ops: Promise<unknown> = Promise.resolve();
  const queue = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = ops.then(fn);
    ops = next.catch((err: Error) => log.error({ err: err.message }, "state change failed"));
    return next;
  };
  const nowIso = (ms = 0) => new Date(Date.now() + ms).toISOString();

  /** Arm the one timer: the retry after an error, else the next scheduled sync while online. */
  const planNext = () => {
    if (wake) clearTimeout(wake);
    wake = undefined;
    if (closed) return;
    const s = machine.state;
    const due = s.name === "error" ? s.retryAt : connectivity.online ? s.nextSyncAt : undefined;
    if (!due) return;
    const delay = Math.min(Math.max(0, Date.parse(due) - Date.now()), 2 ** 31 - 1);
    wake = setTimeout(() => {
      wake = undefined;
      if (connectivity.online) void runCycle(machine.name === "error" ? "retry" : "schedule");
    }, delay);
    wake.unref?.();
  };

  /** Move to `to`, passing through "syncing" where a resumed job jumps ahead. */
  const moveTo = async (
    to: AgentState["name"],
    patch: Parameters<AgentStateMachine["transition"]>[1] = {},
    options: { persist?: boolean } = {},
  ) => {
    if (machine.name === to && to !== "syncing") return;
    if (!machine.canMove(to) && to === "verifying")
      await machine.transition("syncing", { course: patch.course, progress: 1 });
    await machine.transition(to, patch, options);
  };

  const onSyncEvent = (e: SyncEvent) => {
    o.onSyncEvent?.(e);
    if (e.type === "phase") {
      // Decide inside the queue: machine.name is only current once earlier changes landed.
      void queue(async () => {
        if (e.phase === "negotiating") {
          // Next course of the cycle: checking stays checking; after a verified course, back to syncing.
          if (machine.name === "verifying") await moveTo("syncing", { course: e.course, progress: 0 });
        } else if (e.phase === "verifying" || e.phase === "switching") {
          if (machine.name !== "verifying") await moveTo("verifying", { course: e.course });
        } else if (machine.name !== "syncing") {
          await moveTo("syncing", { course: e.course, progress: 0 });
        }
      });
    } else if (e.type === "progress") {
      const progress = e.total > 0 ? e.done / e.total : 0;
      void queue(async () => {
        if (machine.name !== "syncing") await moveTo("syncing", { course: e.course, progress });
        // Only whole-percent changes: the LED blink has 10 speeds, the status page shows percent.
        else if (Math.floor(progress * 100) !== Math.floor((machine.state.progress ?? 0) * 100))
          await machine.transition("syncing", { course: e.course, progress });
      });
    } else if (e.type === "course-done" && e.result === "updated") {
      void library.switched(e);
    }
  };

  /**
   * Record a failed cycle; `done` counts what the courses that did succeed brought.
   * `persist: false` (the master did not answer): shown and backed off in memory only.
   */
  const fail = async (
    error: string,
    done = { updated: 0, bytesDown: 0, bytesUp: 0, saved: 0 },
    options: { persist?: boolean } = {},
  ) => {
    const failures = machine.state.failures + 1;
    const wait = backoffMs(failures, config.sync.retryMinSec, config.sync.retryMaxSec);
    await queue(() =>
      moveTo(
        "error",
        {
          error,
          failures,
          retryAt: nowIso(wait),
          bytesSaved: machine.state.bytesSaved + done.saved,
          lastSync: {
            at: nowIso(),
            ok: false,
            updated: done.updated,
            bytesDown: done.bytesDown,
            bytesUp: done.bytesUp,
            error,
          },
        },
        options,
      ),
    );
    log.warn({ error, retryInSec: wait / 1000 }, "sync failed");
  };

  /** One sync: probe the master, run the sync client, record the outcome. */
  const cycleBody = async (reason: string): Promise<void> => {
    if (!masterUrl()) {
      // Nothing to sync from yet: keep serving what is installed until an admin sets a master.
      log.warn(
        { reason },
        "no master URL configured (--master, HANDCARRY_MASTER or the admin page); not syncing",
      );
      return;
    }
    log.info({ reason, master: masterUrl() }, "sync cycle");
    // Until the master answers, only the first failure of a series is written: an idle Pi
    // retrying an unreachable master must not wear its SD card with a durable put per try.
    const memoryOnly = { persist: false };
    const firstFailure = { persist: machine.state.failures === 0 };
    await queue(() => moveTo("checking", {}, memoryOnly));
    let reach = await checkMaster(masterUrl(), config.sync.reachTimeoutMs, settings.token());
    // No clock on a Pi: before NTP, TLS says the master's certificate is "not yet valid".
    if (!reach.ok && reach.clockBehind && (await waitForClockSync(() => closed)))
      reach = await checkMaster(masterUrl(), config.sync.reachTimeoutMs, settings.token());
    if (!reach.ok) return fail(reach.error, undefined, firstFailure);
    abort = new AbortController();
    let bytesDown = 0;
    let bytesUp = 0;
    let saved = 0;
    let result: Awaited<ReturnType<typeof import("./sync.js")["syncAll"]>>;
    try {
      const { syncAll } = await import("./sync.js");
      result = await syncAll({
        dataDir: config.dataDir,
        masterUrl: masterUrl(),
        token: settings.token(),
        courses: config.courses,
        signal: abort.signal,
        deadlineMs: config.sync.requestDeadlineSec * 1000,
        budgetMs: config.sync.downloadBudgetMin * 60_000,
        reserveBytes: config.sync.reserveMiB << 20,
        onWarning: (message) => log.warn({}, message),
        onEvent: onSyncEvent,
      });
    } catch (err) {
      await library.refresh().catch(() => {});
      return fail(abort.signal.aborted ? "network lost during sync" : (err as Error).message);
    } finally {
      abort = undefined;
    }
    for (const c of result.courses) {
      if (c.type !== "course-done") continue;
      bytesDown += c.bytesDown;
      bytesUp += c.bytesUp;
      if (c.result === "updated") {
        saved += Math.max(0, c.size - c.bytesDown - c.bytesUp);
      }
    }
    await library.refresh();
    await ops;
    if (!result.ok) {
      const first = result.courses.find((c) => c.type === "course-failed");
      return fail(
        first && first.type === "course-failed" ? `${first.course}: ${first.error}` : "sync failed",
        { updated: result.updated, bytesDown, bytesUp, saved },
      );
    }
    await queue(() =>
      moveTo(result.updated > 0 ? "updated" : "serving", {
        failures: 0,
        resumePending: false,
        bytesSaved: machine.state.bytesSaved + saved,
        nextSyncAt: nowIso(config.sync.intervalHours * 3600_000),
        lastSync: { at: nowIso(), ok: true, updated: result.updated, bytesDown, bytesUp },
      }),
    );
    log.info({ updated: result.updated, bytesDown, bytesUp, saved }, "sync done");
  };

  /**
   * Switch mode (one radio): leave the phones, join the strongest known network, sync, and
   * bring the hotspot back whatever happens. `force`: sync even if no network was joined
   * (the button or the admin asked; a cable may be plugged in).
   */
  const viaWifi = async (reason: string, force: boolean): Promise<void> => {
    log.info({ reason }, "switch mode: hotspot down to look for a known network");
    let joined: string | null = null;
    try {
      await hotspot.down();
      joined = await connectivity.joinKnown(device.wifi, knownNetworks());
      if (joined) {
        await queue(async () => {
          if (machine.canMove("network-seen")) await machine.transition("network-seen");
        });
        const end = Date.now() + config.connectivity.joinWaitSec * 1000;
        while (!connectivity.online && Date.now() < end && !closed) {
          await connectivity.check();
          if (!connectivity.online) await new Promise((r) => setTimeout(r, 500));
        }
      }
      if (joined || force) await cycleBody(reason);
      else log.info({}, "switch mode: no known network in range");
    } finally {
      if (joined)
        await device.wifi
          .disconnect()
          .catch((err: Error) => log.warn({ err: err.message }, "Wi-Fi disconnect failed"));
      await hotspot
        .up()
        .catch((err: Error) => log.error({ err: err.message }, "could not bring the hotspot back"));
      await queue(async () => {
        if (machine.name === "network-seen") await machine.transition("serving");
      });
    }
  };

  const runCycle = (reason: string): Promise<void> => {
    if (cycle) return cycle;
    if (closed) return Promise.resolve();
    const useRadio = switchMode && !connectivity.online && knownNetworks().length > 0;
    const run = useRadio ? viaWifi(reason, reason !== LOOK_FOR_UPLINK) : cycleBody(reason);
    cycle = run
      .catch((err: Error) => log.error({ err: err.message }, "sync cycle crashed"))
      .finally(() => {
        cycle = undefined;
        planNext();
      });
    return cycle;
  };

  /** Switch mode, on a timer: look for a known network while no phone is using the hotspot. */
  const lookForUplink = async (): Promise<void> => {
    if (!switchMode || cycle || closed || connectivity.online || knownNetworks().length === 0) return;
    const s = machine.state;
    if (s.name === "error" && s.retryAt && Date.parse(s.retryAt) > Date.now()) return;
    const clients = await device.probes.hotspotClients().catch(() => null);
    if (clients && clients.length > 0) return; // never cut phones off for a routine look
    await runCycle(LOOK_FOR_UPLINK);
  };
  let lookTimer: ReturnType<typeof setInterval> | undefined;

  connectivity.on("change", (online, seen) => {
    log.info({ online, iface: seen.iface }, online ? "network up" : "network down");
    if (online) {
      const s = machine.state;
      // Backing off after a failure: a link that comes back does not cut the wait short.
      if (s.name === "error" && s.retryAt && Date.parse(s.retryAt) > Date.now()) return planNext();
      if (cycle) return;
      void queue(async () => {
        if (machine.canMove("network-seen")) await machine.transition("network-seen");
      });
      // Started now (not after the queued step) so idle() sees it; its first step queues behind.
      void runCycle("network");
    } else {
      abort?.abort();
      void queue(async () => {
        if (machine.name === "network-seen") await machine.transition("serving");
      }).then(planNext);
    }
  });
  connectivity.on("wifi", (r) => log.info(r, r.ok ? "joined known Wi-Fi" : "could not join known Wi-Fi"));

  const onButton = (action: "sync-now" | "shutdown") => {
    if (action === "sync-now") {
      log.info({}, "button: sync now");
      void connectivity.check();
      void runCycle("button");
      return;
    }
    log.warn({}, "button: shutdown");
    stopLeds(); // from now on the LEDs say "shutting down", whatever the state machine does
    device.leds.show("shutting-down");
    if (device.kind === "real") spawn("systemctl", ["poweroff"], { stdio: "ignore", detached: true }).unref();
  };
  device.button?.on("action", onButton);

  const status = async (): Promise<AgentStatus> => {
    const s = machine.state;
    const probe = await device.probes.snapshot();
    const courses = await library.list();
    return {
      state: s.name,
      stateSince: s.since,
      progress: s.progress,
      course: s.course,
      error: s.error,
      retryAt: s.retryAt,
      lastSync: s.lastSync,
      nextSyncAt: s.nextSyncAt,
      bytesSaved: s.bytesSaved,
      resumePending: s.resumePending ?? false,
      online: connectivity.online,
      uplink: connectivity.uplink ?? null,
      masterUrl: masterUrl(),
      courses: courses.map((c) => ({
        id: c.id,
        title: c.title,
        contentHash: c.contentHash,
        publishedAt: c.publishedAt,
        installedAt: c.installedAt,
        size: c.size,
      })),
      disk: probe.disk,
      cpuTemperatureC: probe.cpuTemperatureC,
      throttle: probe.throttle,
      hotspotClients: probe.hotspotClients === null ? null : probe.hotspotClients.length,
      device: device.kind,
      leds: device.leds.state,
      version: packageVersion(),
    };
  };

  const app = createHotspotApp({
    courses: library,
    auth,
    store,
    packageCacheDir: join(config.dataDir, "package-cache"),
    onError: (err) => log.error({ err: err.message }, "hotspot server error"),
    control: {
      status,
      syncNow: (reason) => void runCycle(reason),
      masterUrl,
      hasToken: () => settings.token() !== undefined,
      setMasterUrl: (url, token) => settings.setMaster(url, token),
      networks: async () => knownNetworks(),
      addNetwork: (n) => settings.addNetwork(n),
      removeNetwork: (ssid) => settings.removeNetwork(ssid),
      defaultLocale: () => settings.defaultLocale() ?? "en",
      setDefaultLocale: (locale) => settings.setDefaultLocale(locale),
    },
  });
  app.on("error", (err: Error & { code?: string }) => {
    if (err.code === "ECONNRESET" || err.code === "EPIPE" || err.code === "ERR_STREAM_PREMATURE_CLOSE")
      return;
    log.error({ err: err.message }, "hotspot server error");
  });
  let server: RunningServer;
  try {
    server = await listen(app, config.host, config.port);
  } catch (err) {
    stopLeds();
    lowVoltage.stop();
    if (!o.device) device.close();
    await store.close();
    const e = err as NodeJS.ErrnoException;
    const hint =
      e.code === "EACCES" && config.port < 1024
        ? ` (ports below 1024 need root or CAP_NET_BIND_SERVICE; try --port 8080)`
        : e.code === "EADDRINUSE"
          ? " (another program uses it; choose another --port)"
          : "";
    throw new Error(`cannot listen on ${config.host}:${config.port}: ${e.message}${hint}`);
  }
  if (!o.manualConnectivity) {
    connectivity.start();
    if (switchMode) {
      lookTimer = setInterval(() => void lookForUplink(), config.connectivity.switchEveryMin * 60_000);
      lookTimer.unref?.();
    }
  }
  planNext();

  return {
    url: server.url,
    machine,
    connectivity,
    device,
    library,
    auth,
    syncNow: (reason) => runCycle(reason),
    isSyncing: () => cycle !== undefined,
    lookForUplink,
    hotspot,
    idle: async () => {
      while (cycle) await cycle;
      await ops;
    },
    status,
    async close() {
      closed = true;
      connectivity.stop();
      if (lookTimer) clearInterval(lookTimer);
      if (reopen) clearInterval(reopen);
      if (wake) clearTimeout(wake);
      abort?.abort();
      device.button?.off("action", onButton);
      await cycle;
      await ops;
      await server.close();
      stopLeds();
      lowVoltage.stop();
      if (!o.device) device.close();
      await machine.flushed();
      await store.close();
    },
  };
}

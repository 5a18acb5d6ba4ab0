// The long-running agent: ties connectivity, the persisted state machine, the sync cycle
// (cycle.ts, its steps in steps/), switch mode's Wi-Fi handling (wifi.ts), the LEDs and
// button, the status it reports (status.ts) and the hotspot web server together.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type HotspotControl, NmcliHotspot, SimulatedHotspot } from "../device/hotspot.js";
import { createDevice, type Device } from "../device/index.js";
import {
  type AgentStatus,
  createHotspotApp,
  type ListenError,
  listenHotspot,
  type RunningHotspot,
} from "../hotspot/app.js";
import { AdminAuth } from "../hotspot/auth.js";
import { Store } from "../store/index.js";
import { ensureReserve } from "../util/space.js";
import { type AgentConfig, contentPortOf } from "./config.js";
import { ConnectivityMonitor } from "./connectivity.js";
import { SyncCycle } from "./cycle.js";
import { LibraryView } from "./library-view.js";
import { type AgentLogger, silentLogger } from "./log.js";
import { deviceId as readDeviceId } from "./records/device-id.js";
import { Outbox } from "./records/outbox.js";
import { SecretBox } from "./secrets.js";
import { AgentSettings } from "./settings.js";
import { type AgentState, type AgentStateMachine, driveLeds, AgentStateMachine as Machine } from "./state.js";
import { agentStatus } from "./status.js";
import { coursesStep } from "./steps/courses.js";
import { recordsStep } from "./steps/records.js";
import type { SyncEvent } from "./sync.js";
import { Transitions } from "./transitions.js";
import { SwitchModeWifi } from "./wifi.js";

export { LibraryView } from "./library-view.js";
export type { AgentLogger } from "./log.js";

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

export interface RunningAgent {
  url: string;
  /** The content origin, where course packages run (another port of the same addresses). */
  contentUrl: string;
  machine: AgentStateMachine;
  connectivity: ConnectivityMonitor;
  device: Device;
  library: LibraryView;
  auth: AdminAuth;
  /** Learners' statements waiting for the master. */
  outbox: Outbox;
  deviceId: string;
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
  const log = o.logger ?? silentLogger;
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
    // In switch mode wlan0 is the hotspot or, while a cycle runs over it, the uplink.
    hotspotIface: switchMode ? undefined : config.connectivity.hotspotIface,
    // In switch mode joining a network drops the hotspot: only SwitchModeWifi may do that.
    wifi: switchMode ? undefined : device.wifi,
    get knownNetworks() {
      return knownNetworks();
    },
    wifiScanMs: config.connectivity.wifiScanSec * 1000,
  });

  // Learners' statements wait here for the master, under this Pi's random device id.
  const deviceId = await readDeviceId(config.dataDir).catch((err: Error) => {
    log.error({ err: err.message }, "device id could not be saved: records carry a new one until restart");
    return `tmp${randomBytes(7).toString("hex")}`.slice(0, 16);
  });
  const outbox = await Outbox.open(store, {
    deviceId,
    masterUrl,
    maxPending: config.records.maxPending,
    maxPerLearnerPerDay: config.records.maxPerLearnerPerDay,
  });

  const transitions = new Transitions(machine, log);
  const wifi = switchMode
    ? new SwitchModeWifi({
        hotspot,
        device,
        connectivity,
        transitions,
        knownNetworks,
        joinWaitSec: config.connectivity.joinWaitSec,
        log,
        isClosed: () => cycle.isClosed,
      })
    : undefined;
  const cycle: SyncCycle = new SyncCycle({
    config,
    transitions,
    connectivity,
    masterUrl,
    token: () => settings.token(),
    wifi,
    log,
    steps: {
      recordsUp: recordsStep({
        outbox,
        deviceId,
        batchSize: config.records.batchSize,
        deadlineMs: config.sync.requestDeadlineSec * 1000,
        log,
      }),
      coursesDown: coursesStep({
        config,
        transitions,
        library,
        onWarning: (message) => log.warn({}, message),
        onSyncEvent: o.onSyncEvent,
      }),
    },
  });
  // Until the course database opens again, look for it now and then (a sync also retries).
  let reopen: ReturnType<typeof setInterval> | undefined;
  if (library.unavailable) {
    log.error(
      { err: library.unavailable },
      "course database unavailable: serving the courses recorded on disk",
    );
    reopen = setInterval(() => {
      if (cycle.busy) return;
      void library.refresh().then(() => {
        if (library.unavailable) return;
        clearInterval(reopen);
        log.info({}, "course database open again");
      });
    }, config.sync.retryMinSec * 1000);
    reopen.unref();
  }
  let lookTimer: ReturnType<typeof setInterval> | undefined;
  connectivity.on("wifi", (r) => log.info(r, r.ok ? "joined known Wi-Fi" : "could not join known Wi-Fi"));

  const onButton = (action: "sync-now" | "shutdown") => {
    if (action === "sync-now") {
      log.info({}, "button: sync now");
      void connectivity.check();
      void cycle.run("button");
      return;
    }
    log.warn({}, "button: shutdown");
    stopLeds(); // from now on the LEDs say "shutting down", whatever the state machine does
    device.leds.show("shutting-down");
    if (device.kind === "real") spawn("systemctl", ["poweroff"], { stdio: "ignore", detached: true }).unref();
  };
  device.button?.on("action", onButton);

  const status = agentStatus({
    machine,
    connectivity,
    device,
    courses: library,
    masterUrl,
    extra: async () => ({ deviceId, records: outbox.counts() }),
  });

  const apps = createHotspotApp({
    courses: library,
    auth,
    store,
    records: outbox,
    packageCacheDir: join(config.dataDir, "package-cache"),
    onError: (err) => log.error({ err: err.message }, "hotspot server error"),
    control: {
      status,
      syncNow: (reason) => void cycle.run(reason),
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
  for (const app of [apps.main, apps.content])
    app.on("error", (err: Error & { code?: string }) => {
      if (err.code === "ECONNRESET" || err.code === "EPIPE" || err.code === "ERR_STREAM_PREMATURE_CLOSE")
        return;
      log.error({ err: err.message }, "hotspot server error");
    });
  let server: RunningHotspot;
  try {
    server = await listenHotspot(apps, config.host, { main: config.port, content: contentPortOf(config) });
  } catch (err) {
    stopLeds();
    lowVoltage.stop();
    if (!o.device) device.close();
    await store.close();
    const e = err as ListenError;
    const flag = e.which === "content" ? "--content-port" : "--port";
    const hint =
      e.code === "EACCES" && e.port < 1024
        ? ` (ports below 1024 need root or CAP_NET_BIND_SERVICE; try ${flag} ${e.which === "content" ? 8081 : 8080})`
        : e.code === "EADDRINUSE"
          ? ` (another program uses it; choose another ${flag})`
          : e.code === "EADDRNOTAVAIL"
            ? " (not an address of this machine; one that comes later, like a hotspot's, needs net.ipv4.ip_nonlocal_bind=1)"
            : "";
    throw new Error(`cannot listen on ${config.host}:${e.port}: ${e.message}${hint}`);
  }
  if (!o.manualConnectivity) {
    connectivity.start();
    if (switchMode) {
      lookTimer = setInterval(() => void cycle.lookForUplink(), config.connectivity.switchEveryMin * 60_000);
      lookTimer.unref?.();
    }
  }
  cycle.planNext();

  return {
    url: server.url,
    contentUrl: server.contentUrl,
    machine,
    connectivity,
    device,
    library,
    auth,
    outbox,
    deviceId,
    syncNow: (reason) => cycle.run(reason),
    isSyncing: () => cycle.busy,
    lookForUplink: () => cycle.lookForUplink(),
    hotspot,
    idle: () => cycle.idle(),
    status,
    async close() {
      connectivity.stop();
      if (lookTimer) clearInterval(lookTimer);
      if (reopen) clearInterval(reopen);
      device.button?.off("action", onButton);
      await cycle.close();
      await server.close();
      stopLeds();
      lowVoltage.stop();
      if (!o.device) device.close();
      await machine.flushed();
      await store.close();
    },
  };
}

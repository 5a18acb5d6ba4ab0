// device/ — the Pi's hardware (LEDs, button, system probes, Wi-Fi) behind one createDevice(), real on a Pi and simulated twins elsewhere.
import { readFile } from "node:fs/promises";
import { type Button, type ButtonOptions, OnoffButton, SimulatedButton } from "./button.js";
import { DEFAULT_PINS } from "./config.js";
import { DEFAULT_GPIO_ROOT, listGpioChips, sysfsGpioNumbers } from "./gpio.js";
import {
  LedController,
  type LedDriver,
  OnboardLedDriver,
  OnoffLedDriver,
  SimulatedLedDriver,
} from "./leds.js";
import { type ProbeOptions, SystemProbes } from "./probes.js";
import {
  NmcliWifi,
  type NmcliWifiOptions,
  SimulatedWifi,
  type SimulatedWifiOptions,
  type Wifi,
} from "./wifi.js";

export * from "./button.js";
export * from "./config.js";
export * from "./gpio.js";
export * from "./leds.js";
export * from "./probes.js";
export * from "./wifi.js";

export interface DeviceConfig {
  /** "auto" (default): real on a Raspberry Pi with sysfs GPIO, simulated anywhere else. */
  mode?: "auto" | "real" | "simulated";
  /**
   * BCM pin numbers (the numbers on pinout.xyz), not sysfs numbers. With neither pin set, a
   * Pi shows its states on its onboard ACT (and PWR) LEDs; the default pins are used only
   * on a board without them.
   */
  leds?: { statusPin?: number; alertPin?: number; activeLow?: boolean };
  /** false: no button. */
  button?: false | (ButtonOptions & { pin?: number; activeLow?: boolean });
  wifi?: NmcliWifiOptions & { simulated?: SimulatedWifiOptions };
  probes?: ProbeOptions;
  /** Injectable for tests. */
  roots?: { gpio?: string; deviceTreeModel?: string; leds?: string };
  /** Hardware errors that must not stop the agent (a failed LED write); default: ignored. */
  onError?: (err: Error) => void;
}

export interface Device {
  kind: "real" | "simulated";
  /** Board model from the device tree, if any. */
  model: string | null;
  leds: LedController;
  button: Button | null;
  wifi: Wifi;
  probes: SystemProbes;
  /** Things that did not stop start-up but an operator should see (e.g. button pin busy). */
  warnings: string[];
  /** The twins, for tests and the demo; only when kind is "simulated". */
  sim?: { leds: SimulatedLedDriver; button: SimulatedButton | null; wifi: SimulatedWifi };
  /** Start watchLowVoltage() on this device's probes and LEDs; close() stops it. */
  watchLowVoltage(options?: LowVoltageWatchOptions): LowVoltageWatch;
  close(): void;
}

export interface LowVoltageWatchOptions {
  /** How often the under-voltage alarm (hwmon rpi_volt) is read. Default 5 s (one small sysfs read). */
  intervalMs?: number;
  /** Keep the alert LED on this long after under-voltage was last seen, so a dip is noticed. Default 60 s. */
  holdMs?: number;
}

export interface LowVoltageWatch {
  /** Read the under-voltage alarm now (joins a read already under way) and update the LED. */
  check(): Promise<void>;
  stop(): void;
}

/**
 * Poll the under-voltage alarm and show it on the alert LED. The "now" bit comes
 * and goes with load, so it is held for holdMs after it was last seen.
 */
export function watchLowVoltage(
  probes: SystemProbes,
  leds: LedController,
  options: LowVoltageWatchOptions = {},
): LowVoltageWatch {
  const intervalMs = options.intervalMs ?? 5000;
  const holdMs = options.holdMs ?? 60_000;
  let lastSeen: number | undefined;
  let inFlight: Promise<void> | undefined;
  let stopped = false;
  const poll = async () => {
    try {
      const flags = await probes.throttle();
      if (flags?.underVoltage) lastSeen = Date.now();
      if (!stopped) leds.setLowVoltage(lastSeen !== undefined && Date.now() - lastSeen < holdMs);
    } catch {
      // LEDs closed under us or the file vanished: the next tick tries again.
    } finally {
      inFlight = undefined;
    }
  };
  const check = () => {
    if (stopped) return Promise.resolve();
    inFlight ??= poll();
    return inFlight;
  };
  const timer = setInterval(() => void check(), intervalMs);
  timer.unref?.();
  void check();
  return {
    check,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}

/** Shared by both kinds: stoppers registered by watchLowVoltage, run at close(). */
function withWatch(probes: SystemProbes, leds: LedController, stoppers: (() => void)[]) {
  return (options?: LowVoltageWatchOptions) => {
    const watch = watchLowVoltage(probes, leds, options);
    stoppers.push(() => watch.stop());
    return watch;
  };
}

function ledErrorHandler(config: DeviceConfig): (err: Error, led: string) => void {
  return (err, led) => config.onError?.(new Error(`${led} LED write failed: ${err.message}`, { cause: err }));
}

/** A Raspberry Pi with usable sysfs GPIO, judged from the device tree and the gpiochips. */
export async function detectPi(
  roots: DeviceConfig["roots"] = {},
): Promise<{ isPi: boolean; model: string | null }> {
  const modelPath = roots.deviceTreeModel ?? "/proc/device-tree/model";
  const model = await readFile(modelPath, "utf8")
    .then((t) => t.replace(/\0/g, "").trim())
    .catch(() => null);
  if (!model?.includes("Raspberry Pi")) return { isPi: false, model };
  const chips = await listGpioChips(roots.gpio ?? DEFAULT_GPIO_ROOT).catch(() => []);
  return { isPi: chips.length > 0, model };
}

/** Wired LEDs when pins are configured, else the onboard ones, else wired on the default pins. */
async function openRealLeds(
  config: DeviceConfig,
  pins: { status: number; alert: number },
): Promise<LedDriver> {
  const pinsConfigured = config.leds?.statusPin !== undefined || config.leds?.alertPin !== undefined;
  const onboard = pinsConfigured ? null : await OnboardLedDriver.open(config.roots?.leds);
  return onboard ?? OnoffLedDriver.open(pins, { activeLow: config.leds?.activeLow ?? false });
}

export async function createDevice(config: DeviceConfig = {}): Promise<Device> {
  const mode = config.mode ?? "auto";
  const { isPi, model } = await detectPi(config.roots);
  const real = mode === "real" || (mode === "auto" && isPi);
  const probes = new SystemProbes(config.probes);
  const buttonConfig = config.button === false ? null : (config.button ?? {});
  const warnings: string[] = [];

  if (!real) {
    const ledDriver = new SimulatedLedDriver();
    const button = buttonConfig ? new SimulatedButton(buttonConfig) : null;
    const wifi = new SimulatedWifi(config.wifi?.simulated);
    const leds = new LedController(ledDriver, ledErrorHandler(config));
    const stoppers: (() => void)[] = [];
    return {
      kind: "simulated",
      model,
      leds,
      button,
      wifi,
      probes,
      warnings,
      sim: { leds: ledDriver, button, wifi },
      watchLowVoltage: withWatch(probes, leds, stoppers),
      close() {
        for (const stop of stoppers) stop();
        leds.close();
        button?.close();
      },
    };
  }

  const gpioRoot = config.roots?.gpio ?? DEFAULT_GPIO_ROOT;
  const pins = await sysfsGpioNumbers(
    {
      status: config.leds?.statusPin ?? DEFAULT_PINS.status,
      alert: config.leds?.alertPin ?? DEFAULT_PINS.alert,
      button: buttonConfig?.pin ?? DEFAULT_PINS.button,
    },
    gpioRoot,
  );
  const ledDriver = await openRealLeds(config, pins);
  const leds = new LedController(ledDriver, ledErrorHandler(config));
  let button: OnoffButton | null = null;
  if (buttonConfig) {
    let opened: OnoffButton | null = null;
    try {
      opened = await OnoffButton.open({ ...buttonConfig, gpio: pins.button });
      button = opened.watch();
    } catch (err) {
      // The LEDs and the server still work without a button: warn, do not die.
      warnings.push(`button disabled: ${(err as Error).message}`);
      opened?.close();
    }
  }
  const stoppers: (() => void)[] = [];
  return {
    kind: "real",
    model,
    leds,
    button,
    wifi: new NmcliWifi(config.wifi),
    probes,
    warnings,
    watchLowVoltage: withWatch(probes, leds, stoppers),
    close() {
      for (const stop of stoppers) stop();
      leds.close();
      button?.close();
    },
  };
}

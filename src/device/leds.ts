// LED patterns per agent state, and the timer-driven engine that plays them.
//
// Patterns are plain data (on/off steps per LED). The engine arms one setTimeout per
// blinking LED and none for steady ones, so an idle agent wakes the CPU a few times a
// second at most. The same engine drives the real LEDs (onoff) and the simulated twin,
// which records a timeline instead of touching pins.
import { readFileSync, writeFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import type { Gpio as OnoffGpio } from "onoff";

export const LED_NAMES = ["status", "alert"] as const;
/** status: green "what am I doing"; alert: red/amber "something needs you". */
export type LedName = (typeof LED_NAMES)[number];

export const LED_STATES = [
  "off",
  "serving",
  "network-seen",
  "checking",
  "syncing",
  "verifying",
  "updated",
  "error",
  "shutting-down",
] as const;
export type LedState = (typeof LED_STATES)[number];

/** One step of a pattern. `ms: Infinity` means hold this level until the pattern changes. */
export interface Step {
  on: boolean;
  ms: number;
}
/** A cycle of steps for one LED, repeated forever. */
export type Track = readonly Step[];
export type LedPattern = Readonly<Record<LedName, Track>>;

export const STEADY_ON: Track = [{ on: true, ms: Number.POSITIVE_INFINITY }];
export const STEADY_OFF: Track = [{ on: false, ms: Number.POSITIVE_INFINITY }];

export function blink(onMs: number, offMs: number): Track {
  return [
    { on: true, ms: onMs },
    { on: false, ms: offMs },
  ];
}

/** Slow heartbeat: a short flash every 3 s says "alive and serving" at almost no CPU or power. */
const HEARTBEAT: Track = blink(200, 2800);

/**
 * Syncing blink: half-period falls from 600 ms at 0 % to 100 ms at 100 %, in 10 % steps
 * so a carrier sees a few distinct speeds and the pattern does not churn on every byte.
 */
export function syncHalfPeriodMs(progress: number): number {
  const p = Number.isFinite(progress) ? Math.min(1, Math.max(0, progress)) : 0;
  return 600 - 50 * Math.floor(p * 10);
}

export interface PatternOptions {
  /** Sync progress 0..1; only used by "syncing". */
  progress?: number;
  /** Under-voltage seen: the alert LED goes steady on, whatever the state. */
  lowVoltage?: boolean;
}

/** The pattern for a state. Pure: the table in the README is this function. */
export function ledPattern(state: LedState, options: PatternOptions = {}): LedPattern {
  let pattern: LedPattern;
  switch (state) {
    case "off":
      pattern = { status: STEADY_OFF, alert: STEADY_OFF };
      break;
    case "serving":
      pattern = { status: HEARTBEAT, alert: STEADY_OFF };
      break;
    case "network-seen":
      // Double flash every 2 s.
      pattern = {
        status: [
          { on: true, ms: 150 },
          { on: false, ms: 150 },
          { on: true, ms: 150 },
          { on: false, ms: 1550 },
        ],
        alert: STEADY_OFF,
      };
      break;
    case "checking":
      pattern = { status: blink(500, 500), alert: STEADY_OFF };
      break;
    case "syncing": {
      const half = syncHalfPeriodMs(options.progress ?? 0);
      pattern = { status: blink(half, half), alert: STEADY_OFF };
      break;
    }
    case "verifying":
      // Green and red take turns: "checking what arrived, keep it powered".
      pattern = { status: blink(300, 300), alert: [...blink(300, 300)].reverse() };
      break;
    case "updated":
      pattern = { status: STEADY_ON, alert: STEADY_OFF };
      break;
    case "error":
      // Still serving (heartbeat) but red flashes: the sync failed and will retry by itself.
      pattern = { status: HEARTBEAT, alert: blink(500, 1500) };
      break;
    case "shutting-down":
      pattern = { status: STEADY_OFF, alert: blink(100, 100) };
      break;
  }
  if (options.lowVoltage && state !== "off") pattern = { ...pattern, alert: STEADY_ON };
  return pattern;
}

/** What the pattern engine needs from hardware: switch one LED. */
export interface LedDriver {
  set(led: LedName, on: boolean): void;
  /** Switch everything off and release the pins. */
  close(): void;
}

function sameTrack(a: Track, b: Track): boolean {
  return a.length === b.length && a.every((s, i) => s.on === b[i]!.on && s.ms === b[i]!.ms);
}

function checkTrack(led: LedName, track: Track): void {
  if (track.length === 0) throw new RangeError(`LED pattern for ${led} has no steps`);
  for (const step of track) {
    const holds = step.ms === Number.POSITIVE_INFINITY && track.length === 1;
    if (!holds && !(Number.isFinite(step.ms) && step.ms > 0)) {
      throw new RangeError(`LED pattern for ${led} has a step of ${step.ms} ms; steps must be > 0 ms`);
    }
  }
}

/** Plays one LED's track with a chain of timeouts; a steady track arms no timer at all. */
class TrackPlayer {
  private track: Track = []; // nothing played yet: the first play() always writes
  private index = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly write: (on: boolean) => void) {}

  /**
   * Start a track from its first step. With `smooth` (same state, new durations, e.g. sync
   * progress) and the same number of steps, the running step finishes and the new durations
   * apply from the next one, so the blink never stutters.
   */
  play(track: Track, smooth = false): void {
    if (sameTrack(track, this.track)) return;
    const smoothSwap =
      smooth && this.timer !== undefined && track.length === this.track.length && track.length > 1;
    this.track = track;
    if (smoothSwap) return; // the running timer picks the new durations up at its next step
    this.stop();
    this.index = 0;
    this.enter();
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private enter(): void {
    const step = this.track[this.index]!;
    this.write(step.on);
    if (this.track.length > 1) {
      this.timer = setTimeout(() => {
        this.index = (this.index + 1) % this.track.length;
        this.enter();
      }, step.ms);
      this.timer.unref?.();
    } else {
      this.timer = undefined;
    }
  }
}

/** Shows agent states on two LEDs. Call show() on every state change; it is cheap. */
export class LedController {
  private readonly players: Record<LedName, TrackPlayer>;
  private readonly lit: Record<LedName, boolean | undefined> = { status: undefined, alert: undefined };
  private current: LedState = "off";
  private progress = 0;
  private lowVoltage = false;
  private closed = false;

  /** The last failed pin write, if any (for the status page). */
  lastError: Error | undefined;

  /**
   * @param onError called when a pin write fails. The pattern keeps running and retries at
   *   the next step: a blinking LED must never crash the agent from inside a timer.
   */
  constructor(
    private readonly driver: LedDriver,
    private readonly onError: (err: Error, led: LedName) => void = () => {},
  ) {
    const writer = (led: LedName) => (on: boolean) => {
      if (this.lit[led] === on) return; // only real changes reach the pins
      try {
        this.driver.set(led, on);
        this.lit[led] = on;
      } catch (err) {
        this.lit[led] = undefined; // unknown: write again next time
        this.lastError = err as Error;
        this.onError(err as Error, led);
      }
    };
    this.players = { status: new TrackPlayer(writer("status")), alert: new TrackPlayer(writer("alert")) };
    this.apply();
  }

  get state(): LedState {
    return this.current;
  }

  show(state: LedState, options: { progress?: number } = {}): void {
    if (!LED_STATES.includes(state)) throw new RangeError(`unknown LED state "${String(state)}"`);
    const sameState = state === this.current;
    this.current = state;
    if (options.progress !== undefined) this.progress = options.progress;
    this.apply(sameState);
  }

  setProgress(progress: number): void {
    this.progress = progress;
    this.apply(true);
  }

  setLowVoltage(lowVoltage: boolean): void {
    this.lowVoltage = lowVoltage;
    this.apply();
  }

  /** The pattern currently playing (for the status API and tests). */
  pattern(): LedPattern {
    return ledPattern(this.current, { progress: this.progress, lowVoltage: this.lowVoltage });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const led of LED_NAMES) this.players[led].stop();
    this.driver.close();
  }

  private apply(smooth = false): void {
    if (this.closed) throw new Error("LedController is closed");
    const pattern = this.pattern();
    for (const led of LED_NAMES) {
      checkTrack(led, pattern[led]);
      this.players[led].play(pattern[led], smooth);
    }
  }
}

export interface LedEvent {
  /** ms since the twin was created (fake timers make this exact). */
  t: number;
  led: LedName;
  on: boolean;
}

/** Simulated twin: records every LED change instead of driving pins. */
export class SimulatedLedDriver implements LedDriver {
  /** The most recent changes, oldest first; capped so a long demo run does not grow forever. */
  readonly timeline: LedEvent[] = [];
  readonly levels: Record<LedName, boolean> = { status: false, alert: false };
  closed = false;
  private readonly t0: number;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxEvents = 10_000,
  ) {
    this.t0 = now();
  }

  set(led: LedName, on: boolean): void {
    this.levels[led] = on;
    this.timeline.push({ t: this.now() - this.t0, led, on });
    // Trim in chunks of a tenth so trimming stays rare.
    if (this.timeline.length > this.maxEvents) this.timeline.splice(0, Math.ceil(this.maxEvents / 10));
  }

  close(): void {
    this.set("status", false);
    this.set("alert", false);
    this.closed = true;
  }
}

/** Where the kernel lists the board's LEDs. */
export const ONBOARD_LED_ROOT = "/sys/class/leds";

/** Names of the onboard LEDs on Pi OS kernels (ACT/PWR), and on older ones (led0/led1). */
const ONBOARD_NAMES: Readonly<Record<LedName, readonly string[]>> = {
  status: ["ACT", "led0"],
  alert: ["PWR", "led1"],
};

/** The selected trigger in a sysfs "trigger" file: "none rc-feedback [mmc0] timer" → "mmc0". */
export function currentTrigger(text: string): string | null {
  return /\[([^\]]+)\]/.exec(text)?.[1] ?? null;
}

/**
 * The board's own LEDs through /sys/class/leds, for a bare Pi with nothing wired: green ACT
 * shows the status track, red PWR the alert track. A board with ACT only (Pi Zero 2 W)
 * shows both on ACT: lit while either is. The kernel's triggers (ACT blinks on SD access)
 * are switched to "none" while the agent drives the LEDs and restored at close().
 */
export class OnboardLedDriver implements LedDriver {
  private readonly levels: Record<LedName, boolean> = { status: false, alert: false };

  private constructor(
    private readonly dirs: Readonly<Record<LedName, string | null>>,
    private readonly savedTriggers: ReadonlyMap<string, string>,
  ) {}

  /** null when the board has no ACT LED (not a Pi, or a kernel without it). */
  static async open(root: string = ONBOARD_LED_ROOT): Promise<OnboardLedDriver | null> {
    const present = new Set(await readdir(root).catch(() => [] as string[]));
    const find = (led: LedName) => {
      const name = ONBOARD_NAMES[led].find((n) => present.has(n));
      return name === undefined ? null : path.join(root, name);
    };
    const dirs = { status: find("status"), alert: find("alert") };
    if (dirs.status === null) return null;
    const saved = new Map<string, string>();
    for (const dir of [dirs.status, dirs.alert]) {
      if (dir === null) continue;
      try {
        const trigger = currentTrigger(readFileSync(path.join(dir, "trigger"), "utf8"));
        if (trigger !== null) saved.set(dir, trigger);
        writeFileSync(path.join(dir, "trigger"), "none");
      } catch (err) {
        throw new Error(`cannot take the onboard LED ${dir}: ${(err as Error).message}`, { cause: err });
      }
    }
    const driver = new OnboardLedDriver(dirs, saved);
    driver.set("status", false);
    driver.set("alert", false);
    return driver;
  }

  /** What the board has: "ACT+PWR", or "ACT" alone (both tracks on it). */
  get layout(): string {
    return [this.dirs.status, this.dirs.alert]
      .filter((dir): dir is string => dir !== null)
      .map((dir) => path.basename(dir))
      .join("+");
  }

  set(led: LedName, on: boolean): void {
    this.levels[led] = on;
    if (this.dirs.alert !== null) {
      this.write(this.dirs[led] as string, on);
    } else {
      this.write(this.dirs.status as string, this.levels.status || this.levels.alert);
    }
  }

  close(): void {
    for (const [dir, trigger] of this.savedTriggers) {
      this.write(dir, false);
      writeFileSync(path.join(dir, "trigger"), trigger);
    }
  }

  private write(dir: string, on: boolean): void {
    writeFileSync(path.join(dir, "brightness"), on ? "1" : "0");
  }
}

export interface RealLedPins {
  /** sysfs GPIO numbers (see gpio.ts), not BCM pins. */
  status: number;
  alert: number;
}

/** Real LEDs over onoff's sysfs Gpio. LEDs wired pin → resistor → LED → GND unless activeLow. */
export class OnoffLedDriver implements LedDriver {
  private readonly gpios: Record<LedName, OnoffGpio>;

  private constructor(gpios: Record<LedName, OnoffGpio>) {
    this.gpios = gpios;
  }

  static async open(pins: RealLedPins, options: { activeLow?: boolean } = {}): Promise<OnoffLedDriver> {
    const { Gpio } = (await import("onoff")).default;
    const activeLow = options.activeLow ?? false;
    const open = (led: LedName): OnoffGpio => {
      try {
        return new Gpio(pins[led], "out", undefined, { activeLow });
      } catch (err) {
        throw new Error(`cannot open ${led} LED on GPIO ${pins[led]}: ${(err as Error).message}`, {
          cause: err,
        });
      }
    };
    const status = open("status");
    let alert: OnoffGpio;
    try {
      alert = open("alert");
    } catch (err) {
      status.unexport();
      throw err;
    }
    const driver = new OnoffLedDriver({ status, alert });
    driver.set("status", false);
    driver.set("alert", false);
    return driver;
  }

  set(led: LedName, on: boolean): void {
    this.gpios[led].writeSync(on ? 1 : 0);
  }

  close(): void {
    // Release both pins even if one fails, then report the first failure.
    const errors: unknown[] = [];
    for (const led of LED_NAMES) {
      for (const step of [() => this.gpios[led].writeSync(0), () => this.gpios[led].unexport()]) {
        try {
          step();
        } catch (err) {
          errors.push(err);
        }
      }
    }
    if (errors.length > 0) throw errors[0];
  }
}

// One push button: short press = "sync-now", long press = "shutdown" (only when the agent
// owns shutdown; otherwise the firmware overlay gpio-shutdown may own the pin).
//
// The real pin (onoff, edge "both") and the simulated twin feed raw levels into the same
// ButtonClassifier, which debounces contact bounce and classifies presses with timers only.
import { EventEmitter } from "node:events";
import type { Gpio as OnoffGpio } from "onoff";

export type ButtonAction = "sync-now" | "shutdown";

export interface ButtonOptions {
  /** A level must hold this long to count (contact bounce is a few ms). Default 30 ms. */
  debounceMs?: number;
  /** Holding at least this long is a long press. Default 3000 ms. */
  longPressMs?: number;
  /**
   * true: a long press emits "shutdown" as soon as it has been held long enough.
   * false (default): the overlay or nobody owns shutdown; every press is "sync-now".
   */
  ownsShutdown?: boolean;
}

export interface ButtonEvents {
  action: [ButtonAction];
}

/** Turns raw levels into debounced presses and classified actions. */
export class ButtonClassifier extends EventEmitter<ButtonEvents> {
  readonly debounceMs: number;
  readonly longPressMs: number;
  readonly ownsShutdown: boolean;
  private raw = false;
  private stable = false;
  private longFired = false;
  private debounceTimer: ReturnType<typeof setTimeout> | undefined;
  private longTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: ButtonOptions = {}) {
    super();
    this.debounceMs = options.debounceMs ?? 30;
    this.longPressMs = options.longPressMs ?? 3000;
    this.ownsShutdown = options.ownsShutdown ?? false;
    if (!(this.debounceMs >= 0 && Number.isFinite(this.debounceMs))) {
      throw new RangeError(`button debounceMs must be >= 0, got ${this.debounceMs}`);
    }
    if (!(this.longPressMs > this.debounceMs && Number.isFinite(this.longPressMs))) {
      throw new RangeError(`button longPressMs must be > debounceMs, got ${this.longPressMs}`);
    }
  }

  /** Feed a raw level (true = pressed) whenever the pin changes. */
  level(pressed: boolean): void {
    this.raw = pressed;
    if (this.debounceTimer !== undefined) clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = undefined;
      if (this.raw !== this.stable) this.settle(this.raw);
    }, this.debounceMs);
    this.debounceTimer.unref?.();
  }

  get pressed(): boolean {
    return this.stable;
  }

  close(): void {
    if (this.debounceTimer !== undefined) clearTimeout(this.debounceTimer);
    if (this.longTimer !== undefined) clearTimeout(this.longTimer);
    this.removeAllListeners();
  }

  private settle(pressed: boolean): void {
    this.stable = pressed;
    if (pressed) {
      this.longFired = false;
      if (this.ownsShutdown) {
        // Fire while still held, so the LEDs can confirm before the carrier lets go.
        this.longTimer = setTimeout(() => {
          this.longTimer = undefined;
          this.longFired = true;
          this.emit("action", "shutdown");
        }, this.longPressMs - this.debounceMs); // the level already held for debounceMs
        this.longTimer.unref?.();
      }
      return;
    }
    if (this.longTimer !== undefined) clearTimeout(this.longTimer);
    this.longTimer = undefined;
    if (!this.longFired) this.emit("action", "sync-now");
  }
}

/** What the agent sees: subscribe to actions, close at exit. */
export interface Button {
  on(event: "action", listener: (action: ButtonAction) => void): this;
  off(event: "action", listener: (action: ButtonAction) => void): this;
  close(): void;
}

/** Simulated twin: press(ms) drives the same classifier a real pin would. */
export class SimulatedButton extends ButtonClassifier implements Button {
  private readonly pending = new Set<ReturnType<typeof setTimeout>>();

  /**
   * Press for `ms`, optionally with contact bounce: `bounces` extra toggles 1 ms apart at
   * both press and release, as a cheap tactile switch does.
   */
  press(ms: number, options: { bounces?: number } = {}): void {
    const bounces = options.bounces ?? 0;
    const at = (delay: number, level: boolean) => {
      const timer = setTimeout(() => {
        this.pending.delete(timer);
        this.level(level);
      }, delay);
      this.pending.add(timer);
    };
    this.level(true);
    for (let i = 1; i <= bounces * 2; i++) at(i, i % 2 === 0);
    at(ms, false);
    for (let i = 1; i <= bounces * 2; i++) at(ms + i, i % 2 === 1);
  }

  override close(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
    super.close();
  }
}

export interface RealButtonOptions extends ButtonOptions {
  /** sysfs GPIO number (gpio.ts), not the BCM pin. */
  gpio: number;
  /** Button to GND with a pull-up (config.txt `gpio=N=ip,pu`): pressed reads 0. Default true. */
  activeLow?: boolean;
}

/** Real button on onoff: interrupts on both edges feed the classifier; no polling. */
export class OnoffButton extends ButtonClassifier implements Button {
  private constructor(
    private readonly gpio: OnoffGpio,
    readonly gpioNumber: number,
    options: ButtonOptions,
  ) {
    super(options);
  }

  static async open(options: RealButtonOptions): Promise<OnoffButton> {
    const { Gpio } = (await import("onoff")).default;
    let gpio: OnoffGpio;
    try {
      gpio = new Gpio(options.gpio, "in", "both", { activeLow: options.activeLow ?? true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EBUSY") {
        throw new Error(
          `button GPIO ${options.gpio} is busy: another driver owns it (is dtoverlay=gpio-shutdown set on that pin?)`,
          { cause: err },
        );
      }
      throw err;
    }
    const button = new OnoffButton(gpio, options.gpio, options);
    if (gpio.readSync() === 1) button.level(true); // held at start-up
    return button;
  }

  /** Start listening for edges (epoll on the sysfs value file). */
  watch(): this {
    const listener = (err: Error | null | undefined, value: number) => {
      if (!err) this.level(value === 1);
    };
    try {
      this.gpio.watch(listener);
    } catch (err) {
      // onoff keeps the listener when epoll refuses the fd; drop it so unexport() still works.
      try {
        this.gpio.unwatch(listener);
      } catch {}
      throw new Error(`cannot watch button GPIO ${this.gpioNumber} for edges: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return this;
  }

  override close(): void {
    super.close();
    this.gpio.unexport();
  }
}

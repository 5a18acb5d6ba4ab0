// LED patterns played by the real engine on the simulated twin, under fake timers so every
// edge lands on an exact millisecond.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  LED_STATES,
  LedController,
  type LedEvent,
  type LedName,
  type LedState,
  ledPattern,
  SimulatedLedDriver,
  syncHalfPeriodMs,
} from "../../src/device/leds.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function start(): { driver: SimulatedLedDriver; leds: LedController } {
  const driver = new SimulatedLedDriver();
  return { driver, leds: new LedController(driver) };
}

/** Visible [t, on] edges of one LED within [from, to): of several writes at one instant, the last counts. */
function edges(
  timeline: LedEvent[],
  led: LedName,
  from = 0,
  to = Number.POSITIVE_INFINITY,
): [number, boolean][] {
  const mine = timeline.filter((e) => e.led === led && e.t >= from && e.t < to);
  return mine.filter((e, i) => mine[i + 1]?.t !== e.t).map((e) => [e.t, e.on]);
}

// Every state's pattern written out as data (the README's LED table), rather than read from
// src/device/leds.ts: changing a pattern there fails here until the table is updated too.
const HOLD = Number.POSITIVE_INFINITY;
const on = (ms: number) => ({ on: true, ms });
const off = (ms: number) => ({ on: false, ms });
const EXPECTED_PATTERNS: Record<LedState, { status: object[]; alert: object[] }> = {
  off: { status: [off(HOLD)], alert: [off(HOLD)] },
  serving: { status: [on(200), off(2800)], alert: [off(HOLD)] },
  "network-seen": { status: [on(150), off(150), on(150), off(1550)], alert: [off(HOLD)] },
  checking: { status: [on(500), off(500)], alert: [off(HOLD)] },
  syncing: { status: [on(600), off(600)], alert: [off(HOLD)] },
  verifying: { status: [on(300), off(300)], alert: [off(300), on(300)] },
  updated: { status: [on(HOLD)], alert: [off(HOLD)] },
  error: { status: [on(200), off(2800)], alert: [on(500), off(1500)] },
  "shutting-down": { status: [off(HOLD)], alert: [on(100), off(100)] },
};

describe("LED patterns as data", () => {
  it("has exactly the expected pattern for every state", () => {
    expect(LED_STATES).toEqual(Object.keys(EXPECTED_PATTERNS));
    for (const state of LED_STATES) {
      expect(ledPattern(state, { progress: 0 }), state).toEqual(EXPECTED_PATTERNS[state]);
    }
  });

  it("low voltage holds the alert LED on in every state but off", () => {
    for (const state of LED_STATES) {
      const alert = state === "off" ? [off(HOLD)] : [on(HOLD)];
      expect(ledPattern(state, { progress: 0, lowVoltage: true }), state).toEqual({
        status: EXPECTED_PATTERNS[state].status,
        alert,
      });
    }
  });
});

describe("LED patterns on the simulated twin", () => {
  it("serving: a 200 ms heartbeat every 3 s, alert dark", () => {
    const { driver, leds } = start();
    leds.show("serving");
    vi.advanceTimersByTime(9000);
    expect(edges(driver.timeline, "status")).toEqual([
      [0, true],
      [200, false],
      [3000, true],
      [3200, false],
      [6000, true],
      [6200, false],
      [9000, true],
    ]);
    expect(edges(driver.timeline, "alert")).toEqual([[0, false]]);
    leds.close();
  });

  it("network-seen: double flash every 2 s", () => {
    const { driver, leds } = start();
    leds.show("network-seen");
    vi.advanceTimersByTime(2500);
    expect(edges(driver.timeline, "status")).toEqual([
      [0, true],
      [150, false],
      [300, true],
      [450, false],
      [2000, true],
      [2150, false],
      [2300, true],
      [2450, false],
    ]);
    leds.close();
  });

  it("verifying: green and red take turns", () => {
    const { driver, leds } = start();
    leds.show("verifying");
    vi.advanceTimersByTime(1000);
    expect(edges(driver.timeline, "status")).toEqual([
      [0, true],
      [300, false],
      [600, true],
      [900, false],
    ]);
    expect(edges(driver.timeline, "alert")).toEqual([
      [0, false],
      [300, true],
      [600, false],
      [900, true],
    ]);
    leds.close();
  });

  it("error: the serving heartbeat goes on, red flashes 500 ms every 2 s", () => {
    const { driver, leds } = start();
    leds.show("error");
    vi.advanceTimersByTime(4400);
    expect(edges(driver.timeline, "status")).toEqual([
      [0, true],
      [200, false],
      [3000, true],
      [3200, false],
    ]);
    expect(edges(driver.timeline, "alert")).toEqual([
      [0, true],
      [500, false],
      [2000, true],
      [2500, false],
      [4000, true],
    ]);
    leds.close();
  });

  it("updated: green steady on, red dark, nothing blinks", () => {
    const { driver, leds } = start();
    leds.show("updated");
    vi.advanceTimersByTime(10_000);
    expect(edges(driver.timeline, "status")).toEqual([[0, true]]);
    expect(edges(driver.timeline, "alert")).toEqual([[0, false]]);
    leds.close();
  });

  it("shutting-down: green dark, red flickers 100/100 ms", () => {
    const { driver, leds } = start();
    leds.show("shutting-down");
    vi.advanceTimersByTime(450);
    expect(edges(driver.timeline, "status")).toEqual([[0, false]]);
    expect(edges(driver.timeline, "alert")).toEqual([
      [0, true],
      [100, false],
      [200, true],
      [300, false],
      [400, true],
    ]);
    leds.close();
  });

  it("syncing: the blink gets faster as progress grows", () => {
    const flashesIn6s = (progress: number) => {
      const { driver, leds } = start();
      leds.show("syncing", { progress });
      vi.advanceTimersByTime(6000);
      leds.close();
      return edges(driver.timeline, "status", 0, 6000).filter(([, on]) => on).length;
    };
    const counts = [0, 0.25, 0.5, 0.75, 1].map(flashesIn6s);
    // half-periods 600, 500, 350, 250, 100 ms → 5, 6, 9, 12, 30 flashes in 6 s
    expect(counts).toEqual([5, 6, 9, 12, 30]);
    for (let i = 1; i < counts.length; i++) expect(counts[i]!).toBeGreaterThan(counts[i - 1]!);
  });

  it("syncing: a progress update takes effect at the next edge, without a glitch", () => {
    const { driver, leds } = start();
    leds.show("syncing", { progress: 0 }); // 600/600
    vi.advanceTimersByTime(1000); // on at 0, off at 600, next on due at 1200
    leds.setProgress(0.95); // 150 ms half-period
    vi.advanceTimersByTime(1000);
    expect(edges(driver.timeline, "status")).toEqual([
      [0, true],
      [600, false],
      [1200, true], // the running off-step kept its 600 ms
      [1350, false],
      [1500, true],
      [1650, false],
      [1800, true],
      [1950, false],
    ]);
    // Same bucket: nothing restarts, no extra writes.
    const before = driver.timeline.length;
    leds.setProgress(0.96);
    expect(driver.timeline.length).toBe(before);
    leds.close();
  });

  it("low voltage holds the alert LED on over any state and lets go when it clears", () => {
    const { driver, leds } = start();
    leds.show("error");
    vi.advanceTimersByTime(100);
    leds.setLowVoltage(true);
    vi.advanceTimersByTime(5000);
    expect(driver.levels.alert).toBe(true);
    expect(edges(driver.timeline, "alert", 100)).toEqual([]); // already on at 100 ms; stays on
    leds.show("syncing", { progress: 0.3 });
    vi.advanceTimersByTime(5000);
    expect(edges(driver.timeline, "alert", 100)).toEqual([]);
    expect(edges(driver.timeline, "status", 5100).length).toBeGreaterThan(4); // green still shows the state
    leds.setLowVoltage(false);
    expect(driver.levels.alert).toBe(false);
    leds.close();
  });

  it("steady states arm no timer; blinking ones at most one per LED (no busy polling)", () => {
    const { leds } = start();
    for (const state of ["off", "updated"] as const) {
      leds.show(state);
      expect(vi.getTimerCount()).toBe(0);
    }
    for (const state of LED_STATES) {
      leds.show(state, { progress: 0.5 });
      expect(vi.getTimerCount()).toBeLessThanOrEqual(2);
    }
    leds.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("an idle serving agent wakes up 40 times a minute for its LEDs", () => {
    const { driver, leds } = start();
    leds.show("serving");
    const t0 = driver.timeline.length;
    vi.advanceTimersByTime(60_000);
    expect(driver.timeline.length - t0).toBe(40);
    leds.close();
  });

  it("a state change shows at once, from the first step of the new pattern", () => {
    const { driver, leds } = start();
    leds.show("checking");
    vi.advanceTimersByTime(700); // mid off-step
    leds.show("error");
    expect(driver.levels).toEqual({ status: true, alert: true });
    expect(edges(driver.timeline, "status", 700)).toEqual([[700, true]]);
    expect(edges(driver.timeline, "alert", 700)).toEqual([[700, true]]);
    leds.close();
  });

  it("every state looks different, so a carrier can tell them apart", () => {
    const seen = new Map<string, LedState>();
    for (const state of LED_STATES) {
      const key = JSON.stringify(ledPattern(state, { progress: 0 }));
      expect(seen.get(key), `${state} looks like ${seen.get(key)}`).toBeUndefined();
      seen.set(key, state);
    }
    expect(seen.size).toBe(LED_STATES.length);
  });

  it("rejects unknown states and use after close; close turns both LEDs off", () => {
    const { driver, leds } = start();
    leds.show("verifying");
    vi.advanceTimersByTime(400); // alert is on now
    expect(() => leds.show("party" as LedState)).toThrow(/unknown LED state "party"/);
    leds.close();
    expect(driver.closed).toBe(true);
    expect(driver.levels).toEqual({ status: false, alert: false });
    expect(() => leds.show("serving")).toThrow(/closed/);
  });

  it("clamps progress into 0..1", () => {
    expect(syncHalfPeriodMs(-3)).toBe(600);
    expect(syncHalfPeriodMs(Number.NaN)).toBe(600);
    expect(syncHalfPeriodMs(7)).toBe(100);
    expect(syncHalfPeriodMs(0.5)).toBe(350);
  });

  it("a failing pin write is reported, not thrown from the timer, and retried at the next step", () => {
    const driver = new SimulatedLedDriver();
    let failing = false;
    const flaky = {
      set(led: LedName, on: boolean) {
        if (failing && led === "status") throw new Error("EIO: i/o error, write");
        driver.set(led, on);
      },
      close: () => driver.close(),
    };
    const errors: string[] = [];
    const leds = new LedController(flaky, (err, led) => errors.push(`${led}: ${err.message}`));
    leds.show("checking"); // 500/500
    failing = true;
    expect(() => vi.advanceTimersByTime(1000)).not.toThrow();
    expect(errors).toEqual(["status: EIO: i/o error, write", "status: EIO: i/o error, write"]);
    expect(leds.lastError?.message).toMatch(/EIO/);
    failing = false;
    vi.advanceTimersByTime(500); // next step (off at 1500) is written again
    expect(edges(driver.timeline, "status")).toEqual([
      [0, true],
      [1500, false],
    ]);
    leds.close();
  });

  it("the twin keeps a bounded timeline", () => {
    const driver = new SimulatedLedDriver(Date.now, 100);
    const leds = new LedController(driver);
    leds.show("syncing", { progress: 1 }); // 10 edges a second
    vi.advanceTimersByTime(60_000);
    expect(driver.timeline.length).toBeLessThanOrEqual(100);
    expect(driver.timeline.at(-1)?.t).toBe(60_000);
    leds.close();
  });
});

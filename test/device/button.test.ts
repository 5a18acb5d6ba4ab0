// Button presses on the simulated twin: the same debounce/classify code the real pin feeds.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type ButtonAction, ButtonClassifier, SimulatedButton } from "../../src/device/button.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function recorder(button: SimulatedButton): { t: number; action: ButtonAction }[] {
  const t0 = Date.now();
  const seen: { t: number; action: ButtonAction }[] = [];
  button.on("action", (action) => seen.push({ t: Date.now() - t0, action }));
  return seen;
}

describe("button on the simulated twin", () => {
  it("a short press is sync-now, reported once the release has settled", () => {
    const button = new SimulatedButton();
    const seen = recorder(button);
    button.press(200);
    vi.advanceTimersByTime(229);
    expect(seen).toEqual([]);
    expect(button.pressed).toBe(true);
    vi.advanceTimersByTime(1);
    expect(seen).toEqual([{ t: 230, action: "sync-now" }]); // release at 200 + 30 ms debounce
    expect(button.pressed).toBe(false);
    button.close();
  });

  it("contact bounce gives one action, not several", () => {
    const button = new SimulatedButton();
    const seen = recorder(button);
    button.press(300, { bounces: 4 });
    vi.advanceTimersByTime(2000);
    expect(seen.map((s) => s.action)).toEqual(["sync-now"]);
    button.close();
  });

  it("a glitch shorter than the debounce time is ignored", () => {
    const button = new SimulatedButton({ debounceMs: 30 });
    const seen = recorder(button);
    button.press(20);
    vi.advanceTimersByTime(1000);
    expect(seen).toEqual([]);
    button.close();
  });

  it("a long press is shutdown, fired while still held, and no sync-now on release", () => {
    const button = new SimulatedButton({ ownsShutdown: true });
    const seen = recorder(button);
    button.press(5000);
    vi.advanceTimersByTime(2999);
    expect(seen).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(seen).toEqual([{ t: 3000, action: "shutdown" }]);
    expect(button.pressed).toBe(true);
    vi.advanceTimersByTime(5000);
    expect(seen.map((s) => s.action)).toEqual(["shutdown"]);
    button.close();
  });

  it("just under the long-press time is still sync-now", () => {
    const button = new SimulatedButton({ ownsShutdown: true, longPressMs: 1000 });
    const seen = recorder(button);
    button.press(960); // settles pressed at 30, released at 960 → held 930 ms < 1000
    vi.advanceTimersByTime(3000);
    expect(seen.map((s) => s.action)).toEqual(["sync-now"]);
    button.press(1100);
    vi.advanceTimersByTime(3000);
    expect(seen.map((s) => s.action)).toEqual(["sync-now", "shutdown"]);
    button.close();
  });

  it("without shutdown ownership every press, long or short, is sync-now", () => {
    const button = new SimulatedButton({ ownsShutdown: false });
    const seen = recorder(button);
    button.press(8000);
    vi.advanceTimersByTime(10_000);
    button.press(100);
    vi.advanceTimersByTime(1000);
    expect(seen.map((s) => s.action)).toEqual(["sync-now", "sync-now"]);
    button.close();
  });

  it("close cancels a press in flight", () => {
    const button = new SimulatedButton({ ownsShutdown: true });
    const seen = recorder(button);
    button.press(4000);
    vi.advanceTimersByTime(1000);
    button.close();
    vi.advanceTimersByTime(10_000);
    expect(seen).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("rejects nonsense timings with a clear error", () => {
    expect(() => new ButtonClassifier({ debounceMs: -1 })).toThrow(/debounceMs must be >= 0, got -1/);
    expect(() => new ButtonClassifier({ debounceMs: 50, longPressMs: 40 })).toThrow(
      /longPressMs must be > debounceMs/,
    );
  });
});

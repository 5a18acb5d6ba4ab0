// The state machine on a real LevelDB: allowed and refused transitions, durability across a
// reopen, what a restart in each state comes back as, and the LEDs it drives on the twin.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  AGENT_STATES,
  type AgentState,
  AgentStateMachine,
  backoffMs,
  driveLeds,
  InvalidTransitionError,
  TRANSITIONS,
} from "../../src/agent/state.js";
import { LedController, ledPattern, SimulatedLedDriver } from "../../src/device/index.js";
import { Store } from "../../src/store/index.js";
import { tempDir } from "./helpers.js";

let dir: Awaited<ReturnType<typeof tempDir>>;
let store: Store;

beforeEach(async () => {
  dir = await tempDir("hc-state-");
  store = await Store.open(`${dir.path}/db`);
});
afterEach(async () => {
  await store.close().catch(() => {});
  await dir.remove();
});

const open = () => AgentStateMachine.open(store.table<AgentState>("state"));

async function reopen(): Promise<AgentStateMachine> {
  await store.close();
  store = await Store.open(`${dir.path}/db`);
  return open();
}

describe("transitions", () => {
  it("starts serving and walks the happy path, emitting every change", async () => {
    const m = await open();
    expect(m.name).toBe("serving");
    const seen: string[] = [];
    m.on("change", (s, prev) => seen.push(`${prev.name}→${s.name}`));
    await m.transition("network-seen");
    await m.transition("checking");
    await m.transition("syncing", { progress: 0.1, course: "c1" });
    await m.transition("syncing", { progress: 0.6, course: "c1" });
    await m.transition("verifying", { course: "c1" });
    await m.transition("updated", {
      lastSync: { at: "2026-01-01T00:00:00Z", ok: true, updated: 1, bytesDown: 5, bytesUp: 1 },
    });
    expect(seen).toEqual([
      "serving→network-seen",
      "network-seen→checking",
      "checking→syncing",
      "syncing→syncing",
      "syncing→verifying",
      "verifying→updated",
    ]);
    // Per-state fields are dropped on leaving; long-lived ones stay.
    expect(m.state.progress).toBeUndefined();
    expect(m.state.course).toBeUndefined();
    expect(m.state.lastSync?.updated).toBe(1);
  });

  it("refuses every transition not in the table, naming both states", async () => {
    const m = await open();
    for (const from of AGENT_STATES) {
      for (const to of AGENT_STATES) {
        if (TRANSITIONS[from].includes(to)) continue;
        // Drive the machine into `from` through allowed steps, then try the forbidden one.
        const path: Record<string, string[]> = {
          serving: [],
          "network-seen": ["network-seen"],
          checking: ["checking"],
          syncing: ["checking", "syncing"],
          verifying: ["checking", "syncing", "verifying"],
          updated: ["checking", "updated"],
          error: ["checking", "error"],
        };
        const fresh = await reopenFresh();
        for (const step of path[from]!) await fresh.transition(step as never);
        expect(fresh.name).toBe(from);
        await expect(fresh.transition(to)).rejects.toThrow(InvalidTransitionError);
        await expect(fresh.transition(to)).rejects.toThrow(`${from} → ${to}`);
      }
    }
    expect(m.name).toBe("serving");
  });

  let n = 0;
  async function reopenFresh(): Promise<AgentStateMachine> {
    return AgentStateMachine.open(store.table<AgentState>(`fresh-${n++}`));
  }
});

describe("persistence", () => {
  it("keeps error with its retry time and failure count across a restart", async () => {
    const m = await open();
    await m.transition("checking");
    await m.transition("error", { error: "master down", retryAt: "2030-01-01T00:00:00.000Z", failures: 3 });
    const back = await reopen();
    expect(back.name).toBe("error");
    expect(back.state.error).toBe("master down");
    expect(back.state.retryAt).toBe("2030-01-01T00:00:00.000Z");
    expect(back.state.failures).toBe(3);
  });

  it("comes back from an interrupted sync as serving with resumePending", async () => {
    const m = await open();
    await m.transition("checking");
    await m.transition("syncing", { progress: 0.4, course: "c" });
    await m.update({ bytesSaved: 1234 });
    const back = await reopen();
    expect(back.name).toBe("serving");
    expect(back.state.resumePending).toBe(true);
    expect(back.state.progress).toBeUndefined();
    expect(back.state.bytesSaved).toBe(1234);
  });

  it("keeps updated; network-seen becomes serving without a pending resume", async () => {
    const m = await open();
    await m.transition("checking");
    await m.transition("updated");
    expect((await reopen()).name).toBe("updated");
    const m2 = await open();
    await m2.transition("network-seen");
    const back = await reopen();
    expect(back.name).toBe("serving");
    expect(back.state.resumePending).toBeFalsy();
  });
});

describe("backoff", () => {
  it("doubles from the minimum and stops at the maximum", () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((f) => backoffMs(f, 30, 600) / 1000)).toEqual([
      30, 60, 120, 240, 480, 600, 600,
    ]);
    expect(backoffMs(100, 30, 600)).toBe(600_000);
  });
});

describe("LEDs on the twin", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("shows each state's pattern and speeds the syncing blink up with progress", async () => {
    vi.useFakeTimers();
    const m = await open();
    const driver = new SimulatedLedDriver();
    const leds = new LedController(driver);
    const stop = driveLeds(m, leds);
    const expectPattern = (state: Parameters<typeof ledPattern>[0], progress?: number) =>
      expect(leds.pattern()).toEqual(ledPattern(state, { progress }));

    expectPattern("serving");
    await m.transition("network-seen");
    expectPattern("network-seen");
    await m.transition("checking");
    expect(leds.state).toBe("checking");
    await m.transition("syncing", { progress: 0 });
    expectPattern("syncing", 0);
    const slow = leds.pattern().status[0]!.ms;
    await m.transition("syncing", { progress: 0.95 });
    const fast = leds.pattern().status[0]!.ms;
    expect(fast).toBeLessThan(slow);
    await m.transition("verifying");
    expectPattern("verifying");
    await m.transition("error", { error: "x" });
    expect(leds.state).toBe("error");
    expect(leds.pattern().alert).toEqual(ledPattern("error").alert);

    // The twin really blinks: in 6 s of serving the status LED flashes twice (every 3 s).
    await m.transition("serving");
    driver.timeline.length = 0;
    await vi.advanceTimersByTimeAsync(6000);
    const onsStatus = driver.timeline.filter((e) => e.led === "status" && e.on).length;
    expect(onsStatus).toBe(2);
    stop();
    leds.close();
  });
});

// The state machine on a real LevelDB: allowed and refused transitions, durability across a
// reopen, what a restart in each state comes back as, and the LEDs it drives on the twin.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  AGENT_STATES,
  type AgentState,
  AgentStateMachine,
  type AgentStateName,
  backoffMs,
  driveLeds,
  InvalidTransitionError,
} from "../../src/agent/state.js";
import { LedController, SimulatedLedDriver } from "../../src/device/index.js";
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

// The expected state machine, written out here rather than read from src/agent/state.ts, so
// that a change to the real table fails this test until someone decides it is intended.
const EXPECTED_MOVES: Record<AgentStateName, AgentStateName[]> = {
  serving: ["network-seen", "checking"],
  "network-seen": ["checking", "serving"],
  checking: ["syncing", "serving", "updated", "error"],
  syncing: ["syncing", "verifying", "updated", "serving", "error"],
  verifying: ["syncing", "updated", "serving", "error"],
  updated: ["network-seen", "checking", "serving"],
  error: ["network-seen", "checking", "serving"],
};
const STATES = Object.keys(EXPECTED_MOVES) as AgentStateName[];
/** Allowed steps from a fresh machine (serving) into each state. */
const PATH_TO: Record<AgentStateName, AgentStateName[]> = {
  serving: [],
  "network-seen": ["network-seen"],
  checking: ["checking"],
  syncing: ["checking", "syncing"],
  verifying: ["checking", "syncing", "verifying"],
  updated: ["checking", "updated"],
  error: ["checking", "error"],
};

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

  it("allows exactly the moves in the expected table and refuses the rest, naming both states", async () => {
    expect(AGENT_STATES).toEqual(STATES);
    for (const from of STATES) {
      for (const to of STATES) {
        const machine = await machineIn(from);
        const allowed = EXPECTED_MOVES[from].includes(to);
        expect(machine.canMove(to), `${from} → ${to}`).toBe(allowed);
        if (allowed) {
          await expect(machine.transition(to), `${from} → ${to}`).resolves.toMatchObject({ name: to });
        } else {
          await expect(machine.transition(to)).rejects.toThrow(InvalidTransitionError);
          await expect(machine.transition(to)).rejects.toThrow(`${from} → ${to}`);
          expect(machine.name).toBe(from);
        }
      }
    }
  });

  let n = 0;
  /** A machine on a fresh table, driven into `from` through allowed steps. */
  async function machineIn(from: AgentStateName): Promise<AgentStateMachine> {
    const machine = await AgentStateMachine.open(store.table<AgentState>(`fresh-${n++}`));
    for (const step of PATH_TO[from]) await machine.transition(step);
    expect(machine.name).toBe(from);
    return machine;
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
    // Which pattern each state shows is checked in test/device/leds.test.ts; here: that the
    // machine drives the controller into the same-named state, with the sync progress.
    expect(leds.state).toBe("serving");
    await m.transition("network-seen");
    expect(leds.state).toBe("network-seen");
    await m.transition("checking");
    expect(leds.state).toBe("checking");
    await m.transition("syncing", { progress: 0 });
    expect(leds.state).toBe("syncing");
    expect(leds.pattern().status).toEqual([
      { on: true, ms: 600 },
      { on: false, ms: 600 },
    ]);
    await m.transition("syncing", { progress: 0.95 });
    expect(leds.pattern().status).toEqual([
      { on: true, ms: 150 },
      { on: false, ms: 150 },
    ]);
    await m.transition("verifying");
    expect(leds.state).toBe("verifying");
    await m.transition("error", { error: "x" });
    expect(leds.state).toBe("error");
    await m.transition("checking");
    await m.transition("updated");
    expect(leds.state).toBe("updated");

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

// The agent's persisted state machine: serving → network-seen → checking → syncing →
// verifying → updated, or error (with a retry time). Only the transitions below are
// allowed; every change is written durably so a restart resumes from the truth, and
// announced so the LEDs, the status API and the pages follow it.
import { EventEmitter } from "node:events";
import type { LedController, LedState } from "../device/index.js";
import type { Table } from "../store/index.js";

export const AGENT_STATES = [
  "serving",
  "network-seen",
  "checking",
  "syncing",
  "verifying",
  "updated",
  "error",
] as const;
export type AgentStateName = (typeof AGENT_STATES)[number];

/** Allowed next states. Everything else is a bug and throws. */
export const TRANSITIONS: Readonly<Record<AgentStateName, readonly AgentStateName[]>> = {
  serving: ["network-seen", "checking"],
  "network-seen": ["checking", "serving"],
  // checking → serving/updated: the master says nothing changed.
  checking: ["syncing", "serving", "updated", "error"],
  // syncing → syncing: progress updates; → checking never (one cycle at a time).
  syncing: ["syncing", "verifying", "updated", "serving", "error"],
  // verifying → syncing: the next course of the same cycle.
  verifying: ["syncing", "updated", "serving", "error"],
  updated: ["network-seen", "checking", "serving"],
  error: ["network-seen", "checking", "serving"],
};

/** States in which a sync is under way: a restart in one of them means "resume". */
export const BUSY_STATES: readonly AgentStateName[] = ["checking", "syncing", "verifying"];

export interface LastSync {
  at: string;
  ok: boolean;
  updated: number;
  bytesDown: number;
  bytesUp: number;
  error?: string;
}

export interface AgentState {
  name: AgentStateName;
  /** ISO time of the last transition. */
  since: string;
  /** 0..1 while syncing. */
  progress?: number;
  /** The course being worked on, while checking/syncing/verifying. */
  course?: string;
  /** Last failure, while in error. */
  error?: string;
  /** When the next automatic retry happens, while in error. */
  retryAt?: string;
  /** Consecutive failures; drives the backoff, reset by a success. */
  failures: number;
  lastSync?: LastSync;
  /** Next scheduled sync while online. */
  nextSyncAt?: string;
  /** Bytes a full download of every update would have cost minus what the deltas cost, summed over time. */
  bytesSaved: number;
  /** Set when a restart interrupted a sync: sync as soon as the network allows. */
  resumePending?: boolean;
}

export class InvalidTransitionError extends Error {
  constructor(
    readonly from: AgentStateName,
    readonly to: AgentStateName,
  ) {
    super(
      `invalid agent state transition: ${from} → ${to} (allowed from ${from}: ${TRANSITIONS[from].join(", ")})`,
    );
    this.name = "InvalidTransitionError";
  }
}

export interface StateEvents {
  change: [state: AgentState, previous: AgentState];
}

const KEY = "current";

/** Fields a transition may set besides the state name. */
export type TransitionPatch = Partial<Omit<AgentState, "name" | "since">>;

export class AgentStateMachine extends EventEmitter<StateEvents> {
  private current: AgentState;
  /** Writes are chained so they land in order even when transitions come fast. */
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    private readonly table: Table<AgentState>,
    initial: AgentState,
    private readonly now: () => Date,
  ) {
    super();
    this.current = initial;
  }

  /**
   * Load the persisted state. A sync interrupted by a restart comes back as "serving" with
   * resumePending (the sync client resumes its pieces); error keeps its retry time, updated
   * stays updated.
   */
  static async open(
    table: Table<AgentState>,
    now: () => Date = () => new Date(),
  ): Promise<AgentStateMachine> {
    const saved = await table.get(KEY);
    let initial: AgentState;
    if (!saved || !AGENT_STATES.includes(saved.name)) {
      initial = { name: "serving", since: now().toISOString(), failures: 0, bytesSaved: 0 };
    } else if (BUSY_STATES.includes(saved.name) || saved.name === "network-seen") {
      initial = {
        ...strip(saved),
        name: "serving",
        since: now().toISOString(),
        resumePending: saved.resumePending || saved.name !== "network-seen",
      };
    } else {
      initial = saved;
    }
    const machine = new AgentStateMachine(table, initial, now);
    await table.put(KEY, initial, true);
    return machine;
  }

  get state(): Readonly<AgentState> {
    return this.current;
  }

  get name(): AgentStateName {
    return this.current.name;
  }

  canMove(to: AgentStateName): boolean {
    return TRANSITIONS[this.current.name].includes(to);
  }

  /**
   * Move to `to`, keeping the long-lived fields (lastSync, bytesSaved, failures, …) and
   * dropping the per-state ones (progress, course, error, retryAt) unless the patch sets them.
   * Resolves once the new state is on disk; with `persist: false` it is announced but not
   * written at all (the next persisted change writes the whole state anyway).
   */
  async transition(
    to: AgentStateName,
    patch: TransitionPatch = {},
    options: { persist?: boolean } = {},
  ): Promise<AgentState> {
    const from = this.current;
    if (!this.canMove(to)) throw new InvalidTransitionError(from.name, to);
    const next: AgentState = {
      ...strip(from),
      ...patch,
      name: to,
      since: to === from.name ? from.since : this.now().toISOString(),
    };
    return this.commit(next, from, options.persist ?? true);
  }

  /** Change long-lived fields (nextSyncAt, resumePending) without a transition. */
  async update(
    patch: Omit<TransitionPatch, "progress" | "course" | "error" | "retryAt">,
  ): Promise<AgentState> {
    return this.commit({ ...this.current, ...patch }, this.current);
  }

  /** Resolves when every write so far is durable. */
  flushed(): Promise<void> {
    return this.writes;
  }

  private async commit(next: AgentState, previous: AgentState, persist = true): Promise<AgentState> {
    this.current = next;
    if (!persist) {
      this.emit("change", next, previous);
      return next;
    }
    // Progress ticks need not be durable (the sync client keeps its own piece progress);
    // state changes are.
    const durable = !(next.name === previous.name && next.name === "syncing");
    const write = this.writes.then(() => this.table.put(KEY, next, durable));
    this.writes = write.catch(() => {});
    this.emit("change", next, previous);
    await write;
    return next;
  }
}

/** Drop the fields that only mean something inside one state. */
function strip(s: AgentState): AgentState {
  const { progress: _p, course: _c, error: _e, retryAt: _r, ...rest } = s;
  return rest;
}

/** The LED pattern for an agent state (the device layer names them the same). */
export function ledStateFor(state: AgentState): LedState {
  return state.name;
}

/** Keep the LEDs in step with the machine. Returns the unsubscribe function. */
export function driveLeds(machine: AgentStateMachine, leds: LedController): () => void {
  const show = (s: AgentState) => {
    if (s.name === "syncing") leds.show("syncing", { progress: s.progress ?? 0 });
    else leds.show(ledStateFor(s));
  };
  show(machine.state);
  const onChange = (s: AgentState) => show(s);
  machine.on("change", onChange);
  return () => machine.off("change", onChange);
}

/** Exponential backoff: min, 2·min, 4·min … capped at max (seconds → ms). */
export function backoffMs(failures: number, minSec: number, maxSec: number): number {
  const exp = Math.min(Math.max(failures - 1, 0), 30);
  return Math.min(maxSec, minSec * 2 ** exp) * 1000;
}

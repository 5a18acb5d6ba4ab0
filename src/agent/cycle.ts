// When the agent syncs, and what one sync cycle does. One cycle at a time, triggered by a
// network appearing, the schedule while online, a retry after a failure (exponential
// backoff), the button, the admin page, or switch mode's routine look for a known network.
// A cycle probes the master, then runs its steps in order: records up, then courses down;
// the courses' outcome decides the state it ends in.
import type { AgentConfig } from "./config.js";
import { type ConnectivityMonitor, checkMaster, waitForClockSync } from "./connectivity.js";
import type { AgentLogger } from "./log.js";
import { backoffMs } from "./state.js";
import type { CoursesOutcome } from "./steps/courses.js";
import type { Transitions } from "./transitions.js";
import type { SwitchModeWifi } from "./wifi.js";

/** The reason of switch mode's routine look: it syncs only if a known network was joined. */
export const LOOK_FOR_UPLINK = "look for uplink";

/** What every step of one cycle is given: the master as the cycle found it, and a way to stop. */
export interface StepContext {
  masterUrl: string;
  token: string | undefined;
  /** Aborted when the network goes away or the agent closes. */
  signal: AbortSignal;
}

export interface CycleSteps {
  /** Learners' records up to the master; its failures are its own (courses still come down). */
  recordsUp?(ctx: StepContext): Promise<void>;
  coursesDown(ctx: StepContext): Promise<CoursesOutcome>;
}

export interface SyncCycleOptions {
  config: Pick<AgentConfig, "sync">;
  transitions: Transitions;
  connectivity: ConnectivityMonitor;
  steps: CycleSteps;
  masterUrl(): string;
  token(): string | undefined;
  /** Switch mode's radio handling; none when the uplink is not the hotspot's radio. */
  wifi?: SwitchModeWifi;
  log: AgentLogger;
}

const NO_COURSES: Omit<CoursesOutcome, "ok"> = { updated: 0, bytesDown: 0, bytesUp: 0, saved: 0 };

export class SyncCycle {
  private closed = false;
  private running: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private wake: ReturnType<typeof setTimeout> | undefined;
  private readonly o: SyncCycleOptions;

  constructor(o: SyncCycleOptions) {
    this.o = o;
    o.connectivity.on("change", (online, seen) => this.onLinkChange(online, seen.iface));
  }

  private get machine() {
    return this.o.transitions.machine;
  }

  /** A cycle is under way (set the moment it starts, before its first state change lands). */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Start a cycle now (or join the one running); resolves when it ends. */
  run(reason: string): Promise<void> {
    if (this.running) return this.running;
    if (this.closed) return Promise.resolve();
    const { wifi, connectivity } = this.o;
    const body = () => this.body(reason);
    const run = wifi?.wanted(connectivity.online)
      ? wifi.over(reason, reason !== LOOK_FOR_UPLINK, body)
      : body();
    this.running = run
      .catch((err: Error) => this.o.log.error({ err: err.message }, "sync cycle crashed"))
      .finally(() => {
        this.running = undefined;
        this.planNext();
      });
    return this.running;
  }

  /** Switch mode, on a timer: look for a known network while no phone is using the hotspot. */
  async lookForUplink(): Promise<void> {
    const { wifi, connectivity } = this.o;
    if (!wifi || this.running || this.closed || !wifi.wanted(connectivity.online)) return;
    if (this.backingOff()) return;
    if (!(await wifi.hotspotIdle())) return; // never cut phones off for a routine look
    await this.run(LOOK_FOR_UPLINK);
  }

  /** Resolves when no cycle is running and every state change has landed. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
    await this.o.transitions.drained();
  }

  /** Arm the one timer: the retry after an error, else the next scheduled sync while online. */
  planNext(): void {
    if (this.wake) clearTimeout(this.wake);
    this.wake = undefined;
    if (this.closed) return;
    const s = this.machine.state;
    const due = s.name === "error" ? s.retryAt : this.o.connectivity.online ? s.nextSyncAt : undefined;
    if (!due) return;
    const delay = Math.min(Math.max(0, Date.parse(due) - Date.now()), 2 ** 31 - 1);
    this.wake = setTimeout(() => {
      this.wake = undefined;
      if (this.o.connectivity.online) void this.run(this.machine.name === "error" ? "retry" : "schedule");
    }, delay);
    this.wake.unref?.();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.wake) clearTimeout(this.wake);
    this.abort?.abort();
    await this.running;
    await this.o.transitions.drained();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private backingOff(): boolean {
    const s = this.machine.state;
    return s.name === "error" && s.retryAt !== undefined && Date.parse(s.retryAt) > Date.now();
  }

  private onLinkChange(online: boolean, iface: string | undefined): void {
    this.o.log.info({ online, iface }, online ? "network up" : "network down");
    if (online) {
      // Backing off after a failure: a link that comes back does not cut the wait short.
      if (this.backingOff()) {
        this.planNext();
        return;
      }
      if (this.running) return;
      void this.o.transitions.networkSeen();
      // Started now (not after the queued step) so idle() sees it; its first step queues behind.
      void this.run("network");
    } else {
      this.abort?.abort();
      void this.o.transitions.networkGone().then(() => this.planNext());
    }
  }

  /** One sync: probe the master, run the steps, record the outcome. */
  private async body(reason: string): Promise<void> {
    const { log, config, transitions } = this.o;
    const masterUrl = this.o.masterUrl();
    if (!masterUrl) {
      // Nothing to sync from yet: keep serving what is installed until an admin sets a master.
      log.warn(
        { reason },
        "no master URL configured (--master, HANDCARRY_MASTER or the admin page); not syncing",
      );
      return;
    }
    log.info({ reason, master: masterUrl }, "sync cycle");
    // Until the master answers, only the first failure of a series is written: an idle Pi
    // retrying an unreachable master must not wear its SD card with a durable put per try.
    const memoryOnly = { persist: false };
    const firstFailure = { persist: this.machine.state.failures === 0 };
    await transitions.queue(() => transitions.moveTo("checking", {}, memoryOnly));
    let reach = await checkMaster(masterUrl, config.sync.reachTimeoutMs, this.o.token());
    // No clock on a Pi: before NTP, TLS says the master's certificate is "not yet valid".
    if (!reach.ok && reach.clockBehind && (await waitForClockSync(() => this.closed)))
      reach = await checkMaster(masterUrl, config.sync.reachTimeoutMs, this.o.token());
    if (!reach.ok) return this.fail(reach.error, NO_COURSES, firstFailure);
    this.abort = new AbortController();
    const ctx: StepContext = { masterUrl, token: this.o.token(), signal: this.abort.signal };
    let outcome: CoursesOutcome;
    try {
      await this.o.steps
        .recordsUp?.(ctx)
        .catch((err: Error) =>
          log.warn({ err: err.message }, "records upload failed; they wait for the next cycle"),
        );
      outcome = await this.o.steps.coursesDown(ctx);
    } finally {
      this.abort = undefined;
    }
    await transitions.drained();
    if (!outcome.ok) return this.fail(outcome.error ?? "sync failed", outcome);
    const { updated, bytesDown, bytesUp, saved } = outcome;
    await transitions.queue(() =>
      transitions.moveTo(updated > 0 ? "updated" : "serving", {
        failures: 0,
        resumePending: false,
        bytesSaved: this.machine.state.bytesSaved + saved,
        nextSyncAt: nowIso(config.sync.intervalHours * 3600_000),
        lastSync: { at: nowIso(), ok: true, updated, bytesDown, bytesUp },
      }),
    );
    log.info({ updated, bytesDown, bytesUp, saved }, "sync done");
  }

  /**
   * Record a failed cycle; `done` counts what the courses that did succeed brought.
   * `persist: false` (the master did not answer): shown and backed off in memory only.
   */
  private async fail(
    error: string,
    done: Omit<CoursesOutcome, "ok">,
    options: { persist?: boolean } = {},
  ): Promise<void> {
    const { config, transitions, log } = this.o;
    const failures = this.machine.state.failures + 1;
    const wait = backoffMs(failures, config.sync.retryMinSec, config.sync.retryMaxSec);
    await transitions.queue(() =>
      transitions.moveTo(
        "error",
        {
          error,
          failures,
          retryAt: nowIso(wait),
          bytesSaved: this.machine.state.bytesSaved + done.saved,
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
  }
}

function nowIso(ms = 0): string {
  return new Date(Date.now() + ms).toISOString();
}

// The "courses down" step of a sync cycle: bring every course up to date with the master
// (the sync client), keep the served library current, and turn the client's events into the
// agent's states (syncing with progress, verifying) so the LEDs and pages follow.
import type { AgentConfig } from "../config.js";
import type { LibraryView } from "../library-view.js";
import type { SyncEvent } from "../sync.js";
import type { Transitions } from "../transitions.js";

/** What one run of the step brought; `error` set when it (or one of its courses) failed. */
export interface CoursesOutcome {
  ok: boolean;
  updated: number;
  bytesDown: number;
  bytesUp: number;
  /** Bytes a full download of the updated courses would have cost beyond what the deltas did. */
  saved: number;
  error?: string;
}

export interface CoursesDownInput {
  config: Pick<AgentConfig, "dataDir" | "courses" | "sync">;
  masterUrl: string;
  token: string | undefined;
  signal: AbortSignal;
  onWarning(message: string): void;
  onEvent(e: SyncEvent): void;
}

/** Run the sync client once; failures come back as an outcome, never as a throw. */
export async function coursesDown(input: CoursesDownInput): Promise<CoursesOutcome> {
  const { config } = input;
  const { syncAll } = await import("../sync.js");
  let result: Awaited<ReturnType<typeof syncAll>>;
  try {
    result = await syncAll({
      dataDir: config.dataDir,
      masterUrl: input.masterUrl,
      token: input.token,
      courses: config.courses,
      signal: input.signal,
      deadlineMs: config.sync.requestDeadlineSec * 1000,
      budgetMs: config.sync.downloadBudgetMin * 60_000,
      reserveBytes: config.sync.reserveMiB << 20,
      onWarning: input.onWarning,
      onEvent: input.onEvent,
    });
  } catch (err) {
    const error = input.signal.aborted ? "network lost during sync" : (err as Error).message;
    return { ok: false, updated: 0, bytesDown: 0, bytesUp: 0, saved: 0, error };
  }
  const outcome: CoursesOutcome = {
    ok: result.ok,
    updated: result.updated,
    bytesDown: 0,
    bytesUp: 0,
    saved: 0,
  };
  for (const c of result.courses) {
    if (c.type !== "course-done") continue;
    outcome.bytesDown += c.bytesDown;
    outcome.bytesUp += c.bytesUp;
    if (c.result === "updated") outcome.saved += Math.max(0, c.size - c.bytesDown - c.bytesUp);
  }
  if (!result.ok) {
    const first = result.courses.find((c) => c.type === "course-failed");
    outcome.error =
      first && first.type === "course-failed" ? `${first.course}: ${first.error}` : "sync failed";
  }
  return outcome;
}

/**
 * The sync client's events as agent states, applied in order: syncing (with whole-percent
 * progress) while pieces arrive, verifying while a course is checked and switched, and a
 * switched course served at once.
 */
export function followSyncEvents(transitions: Transitions, library: LibraryView): (e: SyncEvent) => void {
  const machine = transitions.machine;
  return (e) => {
    if (e.type === "phase") {
      // Decide inside the queue: machine.name is only current once earlier changes landed.
      void transitions.queue(async () => {
        if (e.phase === "negotiating") {
          // Next course of the cycle: checking stays checking; after a verified course, back to syncing.
          if (machine.name === "verifying")
            await transitions.moveTo("syncing", { course: e.course, progress: 0 });
        } else if (e.phase === "verifying" || e.phase === "switching") {
          if (machine.name !== "verifying") await transitions.moveTo("verifying", { course: e.course });
        } else if (machine.name !== "syncing") {
          await transitions.moveTo("syncing", { course: e.course, progress: 0 });
        }
      });
    } else if (e.type === "progress") {
      const progress = e.total > 0 ? e.done / e.total : 0;
      void transitions.queue(async () => {
        if (machine.name !== "syncing") await transitions.moveTo("syncing", { course: e.course, progress });
        // Only whole-percent changes: the LED blink has 10 speeds, the status page shows percent.
        else if (Math.floor(progress * 100) !== Math.floor((machine.state.progress ?? 0) * 100))
          await machine.transition("syncing", { course: e.course, progress });
      });
    } else if (e.type === "course-done" && e.result === "updated") {
      void library.switched(e);
    }
  };
}

export interface CoursesStepOptions {
  config: CoursesDownInput["config"];
  transitions: Transitions;
  library: LibraryView;
  onWarning(message: string): void;
  /** Every event of the sync client, as it happens (the demo prints them). */
  onSyncEvent?: (e: SyncEvent) => void;
}

/** The step as the cycle runs it: sync, then serve what is installed now. */
export function coursesStep(
  o: CoursesStepOptions,
): (ctx: Omit<CoursesDownInput, "config" | "onWarning" | "onEvent">) => Promise<CoursesOutcome> {
  const follow = followSyncEvents(o.transitions, o.library);
  return async (ctx) => {
    const outcome = await coursesDown({
      ...ctx,
      config: o.config,
      onWarning: o.onWarning,
      onEvent: (e) => {
        o.onSyncEvent?.(e);
        follow(e);
      },
    });
    await o.library.refresh().catch((err: Error) => o.onWarning(`course list: ${err.message}`));
    return outcome;
  };
}

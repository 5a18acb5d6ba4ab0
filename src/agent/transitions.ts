// The agent's state changes, applied in order one at a time: sync events arrive as plain
// callbacks, and a change decided before an earlier one landed would read a stale state.
import type { AgentLogger } from "./log.js";
import type { AgentState, AgentStateMachine } from "./state.js";

export type TransitionPatch = Parameters<AgentStateMachine["transition"]>[1];

export class Transitions {
  private ops: Promise<unknown> = Promise.resolve();

  constructor(
    readonly machine: AgentStateMachine,
    private readonly log: AgentLogger,
  ) {}

  /** Run `fn` after every change queued before it. */
  queue<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.ops.then(fn);
    this.ops = next.catch((err: Error) => this.log.error({ err: err.message }, "state change failed"));
    return next;
  }

  /** Resolves once every queued change has landed. */
  async drained(): Promise<void> {
    await this.ops;
  }

  /** Move to `to`, passing through "syncing" where a resumed job jumps ahead (call inside queue). */
  async moveTo(to: AgentState["name"], patch: TransitionPatch = {}, options: { persist?: boolean } = {}) {
    const machine = this.machine;
    if (machine.name === to && to !== "syncing") return;
    if (!machine.canMove(to) && to === "verifying")
      await machine.transition("syncing", { course: patch.course, progress: 1 });
    await machine.transition(to, patch, options);
  }

  /** A network was seen (or joined): say so unless a cycle already moved on. */
  networkSeen(): Promise<void> {
    return this.queue(async () => {
      if (this.machine.canMove("network-seen")) await this.machine.transition("network-seen");
    });
  }

  /** The network went away before a cycle started: back to plain serving. */
  networkGone(): Promise<void> {
    return this.queue(async () => {
      if (this.machine.name === "network-seen") await this.machine.transition("serving");
    });
  }
}

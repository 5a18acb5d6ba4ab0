// The "records up" step of a sync cycle: learners' statements go to the master before the
// courses come down (a short link may last only for the records).
import type { StepContext } from "../cycle.js";
import type { AgentLogger } from "../log.js";
import type { Outbox } from "../records/outbox.js";
import { uploadRecords } from "../records/upload.js";

export interface RecordsStepOptions {
  outbox: Outbox;
  deviceId: string;
  batchSize: number;
  deadlineMs: number;
  log: AgentLogger;
}

export function recordsStep(o: RecordsStepOptions): (ctx: StepContext) => Promise<void> {
  return async (ctx) => {
    if (o.outbox.counts().pending === 0) return;
    const r = await uploadRecords({
      outbox: o.outbox,
      deviceId: o.deviceId,
      batchSize: o.batchSize,
      deadlineMs: o.deadlineMs,
      ...ctx,
    });
    if (!r.ok) throw new Error(`${r.sent} records sent, then: ${r.error}`);
    if (r.setAside > 0)
      o.log.warn({ setAside: r.setAside }, "the master refused some records: set aside on this device");
    o.log.info({ sent: r.sent, conflicts: r.conflicts, bytes: r.bodyBytes }, "records uploaded");
  };
}

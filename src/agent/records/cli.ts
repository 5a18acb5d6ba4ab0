// `handcarry sync`'s records step: the statements an agent's data dir holds go up to the
// master, with the agent's own device id. The agent's database is locked while the agent
// runs; then its own cycle uploads them, and this step says so and leaves them.
import { join } from "node:path";
import { Store } from "../../store/index.js";
import { parseAgentConfig } from "../config.js";
import { deviceId } from "./device-id.js";
import { Outbox } from "./outbox.js";
import { uploadRecords } from "./upload.js";

export interface RecordsStepReport {
  ok: boolean;
  sent: number;
  pending: number;
  /** Statements the master refused, kept apart on the Pi (all of them, not only this run's). */
  setAside: number;
  lastUpload: string | null;
  error?: string;
}

export async function uploadPendingRecords(o: {
  dataDir: string;
  masterUrl: string;
  token?: string;
  timeoutMs: number;
  deadlineMs: number;
  onProgress(p: { sent: number; pending: number }): void;
}): Promise<RecordsStepReport | undefined> {
  let store: Store;
  try {
    store = await Store.open(join(o.dataDir, "agent-db"));
  } catch (err) {
    const error = `the agent's database is in use or missing (${(err as Error).message}); its own cycle uploads the records`;
    return { ok: false, sent: 0, pending: 0, setAside: 0, lastUpload: null, error };
  }
  try {
    const limits = parseAgentConfig({ dataDir: o.dataDir }).records;
    const id = await deviceId(o.dataDir);
    const outbox = await Outbox.open(store, {
      deviceId: id,
      masterUrl: () => o.masterUrl,
      maxPending: limits.maxPending,
      maxPerLearnerPerDay: limits.maxPerLearnerPerDay,
    });
    if (outbox.counts().pending === 0) {
      const c = outbox.counts();
      return { ok: true, sent: 0, pending: 0, setAside: c.setAside, lastUpload: c.lastUpload?.at ?? null };
    }
    const r = await uploadRecords({ outbox, deviceId: id, ...o, batchSize: limits.batchSize });
    const c = outbox.counts();
    return {
      ok: r.ok,
      sent: r.sent,
      pending: c.pending,
      setAside: c.setAside,
      lastUpload: c.lastUpload?.at ?? null,
      ...(r.error ? { error: r.error } : {}),
    };
  } finally {
    await store.close();
  }
}

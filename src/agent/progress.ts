/** Sync progress for people and machines: a bar on a terminal, plain lines otherwise, JSON lines with --json. */
import cliProgress from "cli-progress";
import type { RecordsStepReport } from "./records/cli.js";
import type { SyncEvent, SyncResult } from "./sync.js";

export function progressReporter(mode: "bar" | "lines" | "json") {
  let bar: cliProgress.SingleBar | undefined;
  let lastLine = 0;
  const out = (s: string) => process.stderr.write(`${s}\n`);
  return {
    event(e: SyncEvent) {
      if (mode === "json") {
        process.stdout.write(`${JSON.stringify(e)}\n`);
        return;
      }
      if (e.type === "progress") {
        if (mode === "bar") {
          if (!bar) {
            bar = new cliProgress.SingleBar(
              { format: `${e.course} [{bar}] {percentage}% {value}/{total} bytes` },
              cliProgress.Presets.shades_classic,
            );
            bar.start(e.total, e.done);
          }
          bar.update(e.done);
        } else if (Date.now() - lastLine > 2000 || e.done === e.total) {
          lastLine = Date.now();
          out(`${e.course}: ${e.done}/${e.total} bytes`);
        }
        return;
      }
      bar?.stop();
      bar = undefined;
      if (e.type === "phase") out(`${e.course}: ${e.phase}`);
      else if (e.type === "course-done")
        out(`${e.course}: ${e.result} (${e.plan}, ${e.bytesUp} bytes up, ${e.bytesDown} down) → ${e.path}`);
      else out(`${e.course}: FAILED${e.resumable ? " (will resume)" : ""}: ${e.error}`);
    },
    /** Learners' records going up: a bar of statements sent, or one JSON line per batch. */
    records(p: { sent: number; pending: number }) {
      if (mode === "json") {
        process.stdout.write(`${JSON.stringify({ type: "records-progress", ...p })}\n`);
        return;
      }
      const total = p.sent + p.pending;
      if (mode === "bar") {
        if (!bar) {
          bar = new cliProgress.SingleBar(
            { format: "records [{bar}] {value}/{total} statements" },
            cliProgress.Presets.shades_classic,
          );
          bar.start(total, p.sent);
        }
        bar.setTotal(total);
        bar.update(p.sent);
      } else out(`records: ${p.sent}/${total} statements sent`);
    },
    /** The records step's end: what went up, what waits, and why it stopped if it did. */
    recordsDone(r: RecordsStepReport) {
      bar?.stop();
      bar = undefined;
      if (mode === "json") process.stdout.write(`${JSON.stringify({ type: "records", ...r })}\n`);
      else {
        const counts = `records: ${r.sent} sent, ${r.pending} pending${r.setAside > 0 ? `, ${r.setAside} set aside (refused by the master)` : ""}`;
        out(r.ok ? counts : `${counts}; FAILED (will resume): ${r.error}`);
      }
    },
    finish(r: SyncResult) {
      bar?.stop();
      const only = r.courses.length === 1 && r.courses[0]!.type === "course-done" ? r.courses[0] : undefined;
      if (mode === "json") {
        process.stdout.write(
          `${JSON.stringify({ type: "result", ok: r.ok, updated: r.updated, courses: r.courses, ...(only && { path: only.path, contentHash: only.contentHash }) })}\n`,
        );
      } else {
        out(r.ok ? `done: ${r.updated} updated, ${r.courses.length - r.updated} up to date` : "sync failed");
      }
    },
  };
}

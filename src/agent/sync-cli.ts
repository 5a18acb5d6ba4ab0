/** `handcarry sync` (one-shot sync of the agent's courses) and `handcarry measure`. */
import { type Command, InvalidArgumentError } from "commander";

/** Exit status when a sync failed but will resume on the next run (EX_TEMPFAIL). */
export const EXIT_WILL_RESUME = 75;

function seconds(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("must be a positive number of seconds");
  return n;
}

function mebibytes(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 1024)
    throw new InvalidArgumentError("must be a whole number of MiB, 0-1024");
  return n;
}

export function registerSyncCommands(program: Command): void {
  program
    .command("sync")
    .description("bring the agent's courses up to date with the master, then exit")
    .requiredOption("--data <dir>", "agent data directory")
    .requiredOption("--master <url>", "master URL")
    .option("--course <id...>", "only these courses (default: the master's whole catalog)")
    .option("--token <token>", "read token (env HANDCARRY_TOKEN)")
    .option("--json", "one JSON object per line, for machines", false)
    .option("--parallel <n>", "pieces fetched at once", "3")
    .option("--unknown-base", "do not let the master use a version it holds (send the entry summary)", false)
    .option("--timeout <sec>", "give up a request whose answer stalls this long", seconds, 30)
    .option("--deadline <sec>", "give up a request not finished this long after it started", seconds, 300)
    .option(
      "--budget <sec>",
      "give up a course's download after this long (the next run resumes)",
      seconds,
      600,
    )
    .option("--reserve <MiB>", "disk space kept free for the state database", mebibytes, 8)
    .action(async (o) => {
      const { syncAll } = await import("./sync.js");
      const { progressReporter } = await import("./progress.js");
      const report = progressReporter(o.json ? "json" : process.stderr.isTTY ? "bar" : "lines");
      const { uploadPendingRecords } = await import("./records/cli.js");
      // Records first, as in the agent's cycle: a short link may last only for them.
      const records = await uploadPendingRecords({
        dataDir: o.data,
        masterUrl: o.master,
        token: o.token ?? process.env.HANDCARRY_TOKEN,
        timeoutMs: o.timeout * 1000,
        deadlineMs: o.deadline * 1000,
        onProgress: report.records,
      });
      if (records) report.recordsDone(records);
      const result = await syncAll({
        dataDir: o.data,
        masterUrl: o.master,
        token: o.token ?? process.env.HANDCARRY_TOKEN,
        courses: o.course,
        parallel: Number(o.parallel),
        unknownBase: o.unknownBase,
        timeoutMs: o.timeout * 1000,
        deadlineMs: o.deadline * 1000,
        budgetMs: o.budget * 1000,
        reserveBytes: o.reserve << 20,
        onEvent: report.event,
      });
      report.finish(result);
      const failed = result.courses.filter((c) => c.type === "course-failed");
      if (records && !records.ok && failed.length === 0) process.exitCode = EXIT_WILL_RESUME;
      if (failed.length > 0)
        process.exitCode = failed.every((c) => c.type === "course-failed" && c.resumable)
          ? EXIT_WILL_RESUME
          : 1;
    });

  program
    .command("measure")
    .description(
      "sync OLD → NEW through a real master and agent on loopback and report the bytes on the wire",
    )
    .argument("<old>", "old course archive")
    .argument("<new>", "new course archive")
    .option("--unknown-base", "the master does not use OLD: entry summary and signatures go up", false)
    .option("--json", "print one JSON object", false)
    .action(async (oldPath: string, newPath: string, o) => {
      const { measure } = await import("../measure.js");
      const r = await measure(oldPath, newPath, { unknownBase: o.unknownBase });
      if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else
        process.stdout.write(
          `plan ${r.plan}: ${r.bytesUp} bytes up + ${r.bytesDown} bytes down = ${r.bytesUp + r.bytesDown} ` +
            `(new archive ${r.newSize} bytes) in ${r.seconds.toFixed(2)} s; verified ${r.ok ? "yes" : "NO"}\n`,
        );
      if (!r.ok) process.exitCode = 1;
    });
}

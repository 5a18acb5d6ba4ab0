// npm run bench -- records [--statements 10000]
// Records on the master: a real `handcarry master` child process (built dist/cli.js) takes
// quiz answer statements over loopback HTTP as agents upload them (POST /v1/records, each
// batch a synced LevelDB write before the answer), in batches of 200 and of 20, from 1 and
// from 8 uploaders at once. Statements per second, and bytes each statement takes: on the
// wire (the JSON uploaded) and on disk (the LevelDB directory after a restart, indexes included).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { answerStatement } from "../test/master/records-helpers.js";
import { ensureBuilt, fmt, markdownTable, repoRoot, saveResult } from "./util.js";

const READ_TOKEN = "bench-read-token";

interface Case {
  batch: number;
  uploaders: number;
}

interface Result extends Case {
  statements: number;
  seconds: number;
  statementsPerSecond: number;
  wireBytesPerStatement: number;
  diskBytesPerStatement: number;
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const s = statSync(join(dir, name));
    if (s.isFile()) total += s.size;
  }
  return total;
}

async function startMaster(dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [join(repoRoot, "dist/cli.js"), "master", "--data", dataDir, "--port", "0"],
    {
      stdio: ["ignore", "pipe", "inherit"],
      env: {
        ...process.env,
        HANDCARRY_PUBLISH_TOKEN: "bench-publish-token",
        HANDCARRY_READ_TOKEN: READ_TOKEN,
      },
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`master exited (${code}) before listening`)));
  });
  return { url, child };
}

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });

/** A class's realistic answers: 30 learners, 10 questions each, a few responses. */
function statementsFor(n: number, series: number) {
  return Array.from({ length: n }, (_, i) =>
    answerStatement({
      n: i,
      series,
      learner: `Learner ${i % 30}`,
      question: `q${i % 10}`,
      response: ["a", "b", "c", "d"][i % 4],
      success: i % 4 === 1,
    }),
  );
}

async function runCase(c: Case, total: number, series: number): Promise<Result> {
  const dataDir = mkdtempSync(join(tmpdir(), "hc-bench-records-"));
  try {
    let master = await startMaster(dataDir);
    const bodies: string[] = [];
    const all = statementsFor(total, series);
    for (let i = 0; i < all.length; i += c.batch)
      bodies.push(JSON.stringify({ device: `pi-${i % 7}`, statements: all.slice(i, i + c.batch) }));
    const wire = bodies.reduce((n, b) => n + Buffer.byteLength(b), 0);
    let next = 0;
    const uploader = async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const res = await fetch(`${master.url}/v1/records`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${READ_TOKEN}` },
          body,
        });
        if (res.status !== 200) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: c.uploaders }, uploader));
    const seconds = (performance.now() - started) / 1000;
    await stop(master.child);
    // LevelDB turns its log into tables on open: measure the store as it stays.
    master = await startMaster(dataDir);
    await stop(master.child);
    return {
      ...c,
      statements: total,
      seconds,
      statementsPerSecond: total / seconds,
      wireBytesPerStatement: wire / total,
      diskBytesPerStatement: dirBytes(join(dataDir, "db")) / total,
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function benchRecords(args: string[]): Promise<void> {
  const at = args.indexOf("--statements");
  const total = at >= 0 ? Number(args[at + 1]) : 10_000;
  ensureBuilt();
  const cases: Case[] = [
    { batch: 200, uploaders: 1 },
    { batch: 200, uploaders: 8 },
    { batch: 20, uploaders: 1 },
    { batch: 20, uploaders: 8 },
  ];
  const results: Result[] = [];
  for (const [i, c] of cases.entries()) {
    const r = await runCase(c, total, i + 1);
    results.push(r);
    console.log(
      `batch ${c.batch} × ${c.uploaders} uploaders: ${fmt(r.statementsPerSecond, 0)} statements/s, ` +
        `${fmt(r.wireBytesPerStatement, 0)} B/statement uploaded, ${fmt(r.diskBytesPerStatement, 0)} B/statement on disk`,
    );
  }
  const table = markdownTable(
    [
      "batch",
      "uploaders",
      "statements",
      "seconds",
      "statements/s",
      "bytes/statement uploaded",
      "bytes/statement on disk",
    ],
    results.map((r) => [
      r.batch,
      r.uploaders,
      r.statements,
      fmt(r.seconds, 2),
      fmt(r.statementsPerSecond, 0),
      fmt(r.wireBytesPerStatement, 0),
      fmt(r.diskBytesPerStatement, 0),
    ]),
  );
  console.log(table);
  saveResult("records", { results }, table);
}

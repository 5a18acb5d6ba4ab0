// npm run bench -- idle [--seconds 30]
// Idle agent CPU: a real agent in a child process (hotspot server, connectivity timer, LED
// pattern engine, LevelDB), measured with the child's own process.cpuUsage() over a quiet
// window, as % of one core. Two cases: offline serving (heartbeat LED blinking) and online
// after a sync (steady "updated" LED, scheduled sync hours away). Target: ≤ 1 %.
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { fullCourse, generateCourse, writeCourse } from "../src/demo/sample-course.js";
import { publishCourse, startMaster } from "../src/master/server.js";
import { fmt, markdownTable, repoRoot, saveResult } from "./util.js";

interface Sample {
  case: string;
  seconds: number;
  cpuPercent: number;
  userMs: number;
  systemMs: number;
  state: string;
  ledEvents: number;
  linkChecks: number;
  rssMB: number;
}

type CpuMsg = { type: string; cpu: NodeJS.CpuUsage; at: string } & Record<string, unknown>;

async function measureChild(label: string, args: object, seconds: number): Promise<Sample> {
  const child = fork(join(repoRoot, "bench/idle-child.ts"), [], {
    execArgv: ["--import", pathToFileURL(join(repoRoot, "node_modules/tsx/dist/loader.mjs")).href],
    env: { ...process.env, HANDCARRY_IDLE_ARGS: JSON.stringify(args) },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const next = (type: string) =>
    new Promise<CpuMsg>((resolve, reject) => {
      const onMsg = (m: CpuMsg) => {
        if (m.type === type) {
          child.off("message", onMsg);
          resolve(m);
        }
      };
      child.on("message", onMsg);
      child.once("exit", (code) => reject(new Error(`idle child exited with ${code} before "${type}"`)));
    });
  try {
    await next("ready");
    // Let start-up work (JIT, first probes) finish before the quiet window.
    await new Promise((r) => setTimeout(r, 5000));
    const started = next("start");
    child.send("start");
    const a = await started;
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const stopped = next("stop");
    child.send("stop");
    const b = await stopped;
    const wallUs = Number(BigInt(b.at) - BigInt(a.at)) / 1000;
    const user = b.cpu.user - a.cpu.user;
    const system = b.cpu.system - a.cpu.system;
    return {
      case: label,
      seconds: wallUs / 1e6,
      cpuPercent: ((user + system) / wallUs) * 100,
      userMs: user / 1000,
      systemMs: system / 1000,
      state: String(b.state),
      ledEvents: Number(b.ledEvents),
      linkChecks: Number(b.observations),
      rssMB: Number(b.rssMB),
    };
  } finally {
    child.send("exit");
    await new Promise((r) => child.once("exit", r));
  }
}

export async function benchIdle(argv: string[]): Promise<void> {
  const i = argv.indexOf("--seconds");
  const seconds = i >= 0 ? Number(argv[i + 1]) : 30;
  if (!(seconds > 0)) throw new Error("--seconds must be a positive number");
  const dir = mkdtempSync(join(tmpdir(), "hc-bench-idle-"));
  const token = randomBytes(8).toString("hex");
  const master = await startMaster({ dataDir: join(dir, "master"), publishToken: token, port: 0 });
  try {
    const course = join(dir, "course.mbz");
    await writeCourse(generateCourse(fullCourse({ scale: 0.05 })), "zip", course);
    await publishCourse({
      masterUrl: master.url,
      token,
      course: "health",
      file: course,
      title: "Community health",
    });
    const samples: Sample[] = [];
    samples.push(
      await measureChild(
        "offline, serving",
        { dataDir: join(dir, "offline"), masterUrl: master.url, online: false },
        seconds,
      ),
    );
    samples.push(
      await measureChild(
        "online, after a sync",
        { dataDir: join(dir, "online"), masterUrl: master.url, online: true },
        seconds,
      ),
    );
    const md = [
      `Idle agent CPU over ${seconds} s per case (child process, process.cpuUsage; target ≤ 1 % of one core)`,
      "",
      markdownTable(
        [
          "case",
          "state",
          "CPU % of one core",
          "user ms",
          "system ms",
          "LED changes",
          "link checks",
          "RSS MB",
        ],
        samples.map((s) => [
          s.case,
          s.state,
          fmt(s.cpuPercent, 2),
          fmt(s.userMs, 0),
          fmt(s.systemMs, 0),
          s.ledEvents,
          s.linkChecks,
          fmt(s.rssMB, 0),
        ]),
      ),
    ].join("\n");
    console.log(md);
    saveResult("idle", { seconds, node: process.version, samples }, md);
  } finally {
    await master.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchIdle(process.argv.slice(2));
}

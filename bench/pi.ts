// npm run bench -- pi [--size-mb 1024] [--entries 10000] [--cpu 0.45] [--memory-mb 512]
//                     [--cli LABEL=PATH/cli.js …] [--label NAME] [--only generated|corpus]
// What one course update costs the Pi: the agent's `handcarry sync` process runs inside a
// cgroup with a CPU quota approximating a Pi Zero 2 W (4 cores each ~9× slower than one core
// here ≈ 0.45 of a core) and a 512 MB memory limit. Per update it prints the agent's CPU-s
// (user + sys), bytes written (/proc/PID/io write_bytes), fsync-like calls (strace -c), peak
// RSS and wall time, next to the `rsync` client (rsync:// daemon on loopback, unpacked trees)
// and `zstd -d --patch-from` doing the same update in the same run. Courses: a generated
// 1 GB / 10,000-entry course and a real Moodle 5.1 backup from the corpus, each with a small
// and a medium edit. Also: the idle agent's RSS.
import { execFile, execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { extractArchive, type Manifest, readManifest, writeArchive } from "../src/archive/index.js";
import { prng, randomBytesFrom } from "../src/demo/sample-course.js";
import { publishCourse, startMaster } from "../src/master/server.js";
import { MOODLE51_DIR } from "../test/support/corpus.js";
import { fmt, markdownTable, repoRoot, saveResult } from "./util.js";

interface Cost {
  tool: string;
  ok: boolean;
  cpuSeconds: number;
  wallSeconds: number;
  writeBytes: number;
  fsyncs: number;
  peakRssMB: number;
  note?: string;
}

interface UpdateRow {
  course: string;
  update: string;
  changedBytes: number;
  entries: number;
  costs: Cost[];
}

// ---------------------------------------------------------------- the cgroup

interface Cgroup {
  kind: "v2" | "v1" | "none";
  /** Shell lines that move the current shell into the cgroup. */
  enter: string;
  note: string;
  cleanup(): void;
}

function makeCgroup(cpu: number, memoryMB: number): Cgroup {
  const name = `hc-bench-pi-${process.pid}`;
  const period = 100_000;
  const quota = Math.round(cpu * period);
  const mem = memoryMB * 1024 * 1024;
  const v2 = "/sys/fs/cgroup";
  try {
    const controllers = readFileSync(join(v2, "cgroup.controllers"), "utf8");
    if (/\bcpu\b/.test(controllers) && /\bmemory\b/.test(controllers)) {
      const dir = join(v2, name);
      mkdirSync(dir);
      writeFileSync(join(dir, "cpu.max"), `${quota} ${period}`);
      writeFileSync(join(dir, "memory.max"), String(mem));
      writeFileSync(join(dir, "memory.swap.max"), "0");
      return {
        kind: "v2",
        enter: `echo $$ > ${dir}/cgroup.procs`,
        note: `cgroup v2: cpu.max ${quota} ${period}, memory.max ${memoryMB} MB`,
        cleanup: () => rmSync(dir, { recursive: false, force: true }),
      };
    }
  } catch {}
  try {
    const cpuDir = join(v2, "cpu", name);
    const memDir = join(v2, "memory", name);
    mkdirSync(cpuDir);
    mkdirSync(memDir);
    writeFileSync(join(cpuDir, "cpu.cfs_period_us"), String(period));
    writeFileSync(join(cpuDir, "cpu.cfs_quota_us"), String(quota));
    writeFileSync(join(memDir, "memory.limit_in_bytes"), String(mem));
    return {
      kind: "v1",
      enter: `echo $$ > ${cpuDir}/cgroup.procs; echo $$ > ${memDir}/cgroup.procs`,
      note: `cgroup v1 (no v2 cpu/memory controllers here): cpu.cfs_quota_us ${quota}/${period}, memory.limit_in_bytes ${memoryMB} MB`,
      cleanup: () => {
        spawnSync("rmdir", [cpuDir, memDir]);
      },
    };
  } catch (e) {
    return {
      kind: "none",
      enter: ":",
      note: `no writable cgroup (${(e as Error).message}): measured without CPU quota or memory limit`,
      cleanup: () => {},
    };
  }
}

// ---------------------------------------------------------------- one measured process

const FSYNC_CALLS = ["fsync", "fdatasync", "syncfs", "sync", "sync_file_range", "msync"];

/**
 * Run `cmd` inside the cgroup under GNU time (CPU, peak RSS of the whole process tree) and
 * strace -c (fsync-like calls, children included), then read write_bytes from the wrapper
 * shell's /proc/PID/io, which has the reaped child's counts added in.
 */
async function measure(tool: string, cg: Cgroup | undefined, cmd: string[], work: string): Promise<Cost> {
  const tag = tool.replace(/[^a-z]+/gi, "-");
  const ioFile = join(work, `io-${tag}`);
  const straceFile = join(work, `strace-${tag}`);
  const timeFile = join(work, `time-${tag}`);
  const inner = `"$@"; s=$?; cat /proc/$$/io > ${ioFile}; exit $s`;
  const outer = [
    cg?.enter ?? ":",
    `exec /usr/bin/time -o ${timeFile} -f "HCTIME %U %S %M" strace -f -qq --seccomp-bpf -c -o ${straceFile} -e trace=${FSYNC_CALLS.join(",")} sh -c '${inner}' sh "$@"`,
  ].join("; ");
  const t0 = performance.now();
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn("sh", ["-c", outer, "sh", ...cmd], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => {
      err = (err + d.toString()).slice(-4000);
    });
    child.on("close", (c) => resolve({ code: c, stderr: err }));
  });
  const wallSeconds = (performance.now() - t0) / 1000;
  const time = /HCTIME ([\d.]+) ([\d.]+) (\d+)/.exec(readIf(timeFile));
  const io = /write_bytes: (\d+)/.exec(readIf(ioFile));
  let fsyncs = 0;
  for (const line of readIf(straceFile).split("\n")) {
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$/.exec(line);
    if (m && FSYNC_CALLS.includes(m[2]!)) fsyncs += Number(m[1]);
  }
  const cost: Cost = {
    tool,
    ok: code === 0,
    cpuSeconds: time ? Number(time[1]) + Number(time[2]) : Number.NaN,
    wallSeconds,
    writeBytes: io ? Number(io[1]) : Number.NaN,
    fsyncs,
    peakRssMB: time ? Number(time[3]) / 1024 : Number.NaN,
  };
  if (code !== 0) cost.note = `exit ${code}: ${stderr.trim().split("\n").slice(-2).join(" ")}`;
  return cost;
}

function readIf(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

// ---------------------------------------------------------------- courses

interface GenEntry {
  path: string;
  size: number;
  data: () => Buffer;
}

const WORDS = "water health village lesson quiz answer hygiene nutrition field guide section topic".split(
  " ",
);

function text(seed: string, size: number, insert = ""): Buffer {
  const rand = prng(createHash("sha256").update(seed).digest().readUInt32BE(0));
  const parts: string[] = ["<page><content>"];
  let n = 15;
  while (n < size - 20) {
    const w = WORDS[Math.floor(rand() * WORDS.length)]!;
    parts.push(w, " ");
    n += w.length + 1;
    if (insert && n > size / 2) {
      parts.push(insert);
      n += insert.length;
      insert = "";
    }
  }
  parts.push("</content></page>");
  return Buffer.from(parts.join(""));
}

/** A Moodle-shaped course of `entries` files and about `sizeMB` MB: small XML files plus media. */
function generated(sizeMB: number, entries: number, edit: "old" | "small" | "medium"): GenEntry[] {
  const media = Math.max(4, Math.round(entries / 66));
  const xml = entries - media - 1;
  const dirs = Math.max(1, Math.round(xml / 49));
  const xmlBytes = xml * 8192;
  const mediaSize = Math.max(4096, Math.floor((sizeMB * 1024 * 1024 - xmlBytes) / media));
  const out: GenEntry[] = [];
  const stamp = edit === "old" ? "1700000000" : edit === "small" ? "1700600000" : "1701200000";
  const backup = Buffer.from(`<moodle_backup><backup_date>${stamp}</backup_date></moodle_backup>\n`);
  out.push({ path: "moodle_backup.xml", size: backup.length, data: () => backup });
  for (let i = 0; i < xml; i++) {
    const path = `activities/page_${i % dirs}/file_${i}.xml`;
    const size = 2048 + ((i * 7919) % 12288);
    const edited = (edit === "small" && i === 17) || (edit === "medium" && i % 250 === 3);
    const insert = edited ? " Wash hands with soap for at least twenty seconds. " : "";
    const bytes = () => text(`x${i}`, size, insert);
    out.push({ path, size: bytes().length, data: bytes });
  }
  for (let i = 0; i < media; i++) {
    if (edit === "medium" && i === 5) continue; // one video removed
    out.push({
      path: `files/${i}/media_${i}.bin`,
      size: mediaSize,
      data: () => randomBytesFrom(`m${i}`, mediaSize),
    });
  }
  if (edit === "medium") {
    for (const k of [0, 1]) {
      const size = 5 * 1024 * 1024;
      out.push({ path: `files/new/added_${k}.bin`, size, data: () => randomBytesFrom(`new${k}`, size) });
    }
  }
  return out;
}

async function writeGenerated(path: string, list: GenEntry[], mtime: Date): Promise<void> {
  const byPath = new Map(list.map((e) => [e.path, e]));
  const entries = list.map((e) => ({
    path: e.path,
    type: "file" as const,
    mode: 0o644,
    mtime,
    size: e.size,
  }));
  await writeArchive(path, "zip", entries, (e) => Readable.from([byPath.get(e.path)!.data()]));
}

interface CoursePair {
  course: string;
  old: string;
  updates: Array<{ name: string; file: string }>;
}

async function generatedCourse(sizeMB: number, entries: number): Promise<CoursePair> {
  const dir = join(tmpdir(), "handcarry-bench-pi", `gen-${sizeMB}-${entries}`);
  const files = { old: join(dir, "old.mbz"), small: join(dir, "small.mbz"), medium: join(dir, "medium.mbz") };
  mkdirSync(dir, { recursive: true });
  const day = 86_400_000;
  for (const [k, edit, days] of [
    ["old", "old", 0],
    ["small", "small", 7],
    ["medium", "medium", 14],
  ] as const) {
    // writeArchive renames into place only when whole, so an existing file is complete.
    if (existsSync(files[k])) continue;
    process.stderr.write(`bench pi: generating the ${k} ${sizeMB} MB / ${entries}-entry course in ${dir}…\n`);
    await writeGenerated(files[k], generated(sizeMB, entries, edit), new Date(1.7e12 + days * day));
  }
  return {
    course: `generated ${sizeMB} MB, ${entries} entries (zip)`,
    old: files.old,
    updates: [
      { name: "small edit (1 page + the backup stamp)", file: files.small },
      { name: "medium edit (40 pages, 2 videos added, 1 removed)", file: files.medium },
    ],
  };
}

function corpusCourse(): CoursePair | undefined {
  const f = (name: string) => join(MOODLE51_DIR, `community-health@${name}.mbz`);
  if (!existsSync(f("v1"))) return undefined;
  return {
    course: "Moodle 5.1 community-health (real, tar.gz)",
    old: f("v1"),
    updates: [
      { name: "small edit (v1 → v2: a page, a question, a rename)", file: f("v2") },
      { name: "medium addition (v1 → v3: a section, quiz, 500 KB photo)", file: f("v3") },
    ],
  };
}

// ---------------------------------------------------------------- one course, all tools

function changedBytes(old: Manifest, neu: Manifest): number {
  const have = new Set(old.entries.map((e) => `${e.path}\0${e.sha256}`));
  return neu.entries
    .filter((e) => e.type === "file" && !have.has(`${e.path}\0${e.sha256}`))
    .reduce((s, e) => s + e.size, 0);
}

const sh = (cmd: string, args: string[]) =>
  execFileSync(cmd, args, { stdio: ["ignore", "ignore", "inherit"] });

/** The tree as one tar with names sorted and times, owners zeroed: what zstd patches. */
const normalizedTar = (tree: string, out: string) =>
  sh("tar", [
    "--sort=name",
    "--mtime=@0",
    "--owner=0",
    "--group=0",
    "--numeric-owner",
    "-cf",
    out,
    "-C",
    tree,
    ".",
  ]);

/** A child that talks to the in-process master must not block this event loop. */
const run = (cmd: string, args: string[]) =>
  new Promise<void>((resolve, reject) =>
    execFile(cmd, args, { maxBuffer: 1 << 26 }, (err, _out, stderr) =>
      err ? reject(new Error(`${cmd} ${args.join(" ")}: ${stderr}`)) : resolve(),
    ),
  );

interface Agent {
  label: string;
  cli: string;
}

async function benchCourse(
  pair: CoursePair,
  cg: Cgroup,
  agents: Agent[],
  root: string,
): Promise<UpdateRow[]> {
  const work = join(root, createHash("sha256").update(pair.course).digest("hex").slice(0, 8));
  mkdirSync(work, { recursive: true });
  const token = "bench-pi-token";
  const master = await startMaster({ dataDir: join(work, "master"), publishToken: token, port: 0 });
  const rows: UpdateRow[] = [];
  try {
    const id = "course";
    const publish = (file: string) =>
      publishCourse({ masterUrl: master.url, token, course: id, file, title: pair.course });
    const agentSync = (a: Agent, data: string) => [
      "node",
      a.cli,
      "sync",
      "--data",
      data,
      "--master",
      master.url,
      "--course",
      id,
      "--json",
    ];
    await publish(pair.old);
    // Each agent build installs the old version its own way (the installed form differs).
    const template = (a: Agent) => join(work, `agent-template-${a.label.replace(/\W+/g, "-")}`);
    for (const a of agents) await run("node", agentSync(a, template(a)).slice(1));
    const oldManifest = await readManifest(pair.old);
    const oldTree = join(work, "old-tree");
    await extractArchive(pair.old, oldTree);
    const oldTar = join(work, "old.tar");
    normalizedTar(oldTree, oldTar);
    for (const [n, update] of pair.updates.entries()) {
      process.stderr.write(`bench pi: ${pair.course}: ${update.name}\n`);
      const u = join(work, `u${n}`);
      mkdirSync(u);
      const newManifest = await readManifest(update.file);
      await publish(update.file);
      // Let the master build (and cache) the delta first: the agent's cost is what we measure.
      // A build longer than the answer window is a 503: ask again until the delta is offered.
      for (;;) {
        const r = await fetch(`${master.url}/v1/courses/${id}/sync`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ have: oldManifest.contentHash }),
        });
        await r.arrayBuffer();
        if (r.status !== 503) break;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      const costs: Cost[] = [];
      for (const a of agents) {
        const agent = join(u, "agent");
        sh("cp", ["-a", template(a), agent]);
        costs.push(await measure(a.label, cg, agentSync(a, agent), u));
        if (n === 0)
          costs.push({
            ...(await measure(a.label, cg, agentSync(a, agent), u)),
            tool: `${a.label}, no change`,
          });
        rmSync(agent, { recursive: true, force: true });
      }

      // rsync: the client pulls the new tree over rsync:// into a copy of the old tree.
      const newTree = join(u, "new-tree");
      await extractArchive(update.file, newTree);
      const dest = join(u, "rsync-dest");
      sh("cp", ["-a", oldTree, dest]);
      costs.push(
        await withRsyncDaemon(newTree, u, (url) =>
          measure("rsync", cg, ["rsync", "-a", "--delete", `${url}/`, `${dest}/`], u),
        ),
      );

      // zstd: the patch is made with both versions at hand (unmeasured), applied on the "Pi".
      const newTar = join(u, "new.tar");
      normalizedTar(newTree, newTar);
      const patch = join(u, "patch.zst");
      sh("zstd", ["-q", "-f", "-T0", "-9", "--long=31", `--patch-from=${oldTar}`, newTar, "-o", patch]);
      const unzstd = [
        "zstd",
        "-q",
        "-f",
        "-d",
        "--long=31",
        "--memory=2048MB",
        `--patch-from=${oldTar}`,
        patch,
        "-o",
        join(u, "out.tar"),
      ];
      let z = await measure("zstd --patch-from", cg, unzstd, u);
      if (!z.ok && cg.kind !== "none") {
        z = {
          ...(await measure("zstd --patch-from", undefined, unzstd, u)),
          note: `failed inside the memory limit (${z.note}); measured without the cgroup`,
        };
      }
      costs.push(z);
      rows.push({
        course: pair.course,
        update: update.name,
        changedBytes: changedBytes(oldManifest, newManifest),
        entries: newManifest.entries.length,
        costs,
      });
      rmSync(u, { recursive: true, force: true });
    }
  } finally {
    await master.close();
    rmSync(work, { recursive: true, force: true });
  }
  return rows;
}

async function withRsyncDaemon<T>(tree: string, work: string, run: (url: string) => Promise<T>): Promise<T> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const conf = join(work, "rsyncd.conf");
  writeFileSync(conf, `use chroot = no\nuid = root\ngid = root\n[tree]\npath = ${tree}\nread only = yes\n`);
  const daemon = spawn(
    "rsync",
    ["--daemon", "--no-detach", "--address=127.0.0.1", `--port=${port}`, `--config=${conf}`],
    {
      stdio: "ignore",
    },
  );
  try {
    for (let i = 0; i < 100; i++) {
      if (spawnSync("rsync", [`rsync://127.0.0.1:${port}/`], { stdio: "ignore" }).status === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return await run(`rsync://127.0.0.1:${port}/tree`);
  } finally {
    daemon.kill();
  }
}

// ---------------------------------------------------------------- the idle agent

async function idleAgentRss(cli: string, root: string): Promise<number> {
  const data = join(root, "idle-agent");
  const child = spawn(
    "node",
    [cli, "agent", "--data", data, "--master", "http://127.0.0.1:9", "--port", "0", "--host", "127.0.0.1"],
    {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, HANDCARRY_SIMULATE: "1" },
    },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      let err = "";
      child.stderr.on("data", (d: Buffer) => {
        err += d.toString();
        if (err.includes("agent serving")) resolve();
      });
      child.once("exit", (c) => reject(new Error(`agent exited ${c}: ${err}`)));
    });
    await new Promise((r) => setTimeout(r, 10_000)); // past start-up, first probes and LED timers
    const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
}

// ---------------------------------------------------------------- report

function report(rows: UpdateRow[], label: string, cgNote: string, idle: Record<string, number>): string {
  const table = markdownTable(
    ["course", "update", "changed bytes", "tool", "CPU-s", "wall s", "written", "fsyncs", "peak RSS"],
    rows.flatMap((r) =>
      r.costs.map((c) => [
        r.course,
        r.update,
        mbCell(r.changedBytes),
        c.tool + (c.ok ? "" : ` ✗ ${c.note ?? ""}`) + (c.ok && c.note ? ` (${c.note})` : ""),
        fmt(c.cpuSeconds, 2),
        fmt(c.wallSeconds, 1),
        mbCell(c.writeBytes),
        c.fsyncs,
        `${fmt(c.peakRssMB, 0)} MB`,
      ]),
    ),
  );
  return [
    `Pi-sized update costs (${label}; ${cgNote}; node ${process.version})`,
    "",
    table,
    "",
    `Idle agent RSS: ${Object.entries(idle)
      .map(([k, v]) => `${k} ${fmt(v, 0)} MB`)
      .join(", ")}`,
  ].join("\n");
}

const mbCell = (bytes: number) =>
  bytes >= 1 << 20 ? `${fmt(bytes / (1 << 20), 1)} MB` : `${fmt(bytes / 1024, 1)} KB`;

export async function benchPi(argv: string[]): Promise<void> {
  const flag = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const sizeMB = Number(flag("--size-mb") ?? 1024);
  const entries = Number(flag("--entries") ?? 10_000);
  const cpu = Number(flag("--cpu") ?? 0.45);
  const memoryMB = Number(flag("--memory-mb") ?? 512);
  const label = flag("--label") ?? "pi";
  const only = flag("--only");
  // --cli LABEL=PATH (repeatable) measures other builds of the agent side by side, e.g. the
  // code before a change; the current build is always measured, as "handcarry".
  const agents: Agent[] = argv
    .flatMap((v, i) => (argv[i - 1] === "--cli" ? [v] : []))
    .map((v) => {
      const [label, path] = v.includes("=")
        ? [v.slice(0, v.indexOf("=")), v.slice(v.indexOf("=") + 1)]
        : ["other", v];
      return { label: `handcarry ${label}`, cli: path };
    });
  const r = spawnSync("npm", ["run", "build", "--silent"], { cwd: repoRoot, stdio: "inherit" });
  if (r.status !== 0) throw new Error("npm run build failed");
  agents.push({ label: "handcarry", cli: join(repoRoot, "dist/cli.js") });
  const root = join(tmpdir(), `hc-bench-pi-${process.pid}`);
  mkdirSync(root, { recursive: true });
  const cg = makeCgroup(cpu, memoryMB);
  process.stderr.write(`bench pi: ${cg.note}\n`);
  try {
    const pairs: CoursePair[] = [];
    if (only !== "generated") {
      const c = corpusCourse();
      if (c) pairs.push(c);
      else process.stderr.write("bench pi: corpus not found, skipping the real course\n");
    }
    if (only !== "corpus") pairs.push(await generatedCourse(sizeMB, entries));
    const rows: UpdateRow[] = [];
    for (const p of pairs) rows.push(...(await benchCourse(p, cg, agents, root)));
    const idle: Record<string, number> = {};
    for (const a of agents)
      idle[a.label] = await idleAgentRss(a.cli, join(root, a.label.replace(/\W+/g, "-")));
    const md = report(rows, label, cg.note, idle);
    console.log(md);
    saveResult(`pi-${label}`, { label, cgroup: cg.note, node: process.version, idle, rows }, md);
  } finally {
    cg.cleanup();
    rmSync(root, { recursive: true, force: true });
  }
}

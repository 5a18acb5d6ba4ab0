// npm run bench -- serve [--seconds 10] [--connections 50] [--scale 6]
// Piece serving under load: a real `handcarry master` child process holds a published
// course (~50 MB, so ~200 pieces of 256 KiB); wrk with 50 connections fetches random
// piece URLs for a fixed time. Then nginx serves the same pieces (the blob split into
// piece files, same headers) to the same load in the same run. Requests/s, MB/s, p50/p99
// latency and the servers' peak RSS while under load. Needs Debian's wrk and nginx.
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fullCourse, generateCourse, writeCourse } from "../src/demo/sample-course.js";
import { fmt, markdownTable, outDir, repoRoot, saveResult } from "./util.js";

interface Blob {
  id: string;
  size: number;
  pieceSize: number;
  md5: string[];
}

interface LoadResult {
  server: string;
  requests: number;
  seconds: number;
  bytes: number;
  requestsPerSecond: number;
  mbPerSecond: number;
  p50ms: number;
  p99ms: number;
  maxms: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  /** Server RSS (all its processes) before the load and the peak sampled during it. */
  rssBeforeMB: number;
  rssPeakMB: number;
}

/** wrk script: random piece URLs; done() prints one JSON line that the bench parses. */
const WRK_SCRIPT = `
local prefix = os.getenv("PIECE_PREFIX")
local count = tonumber(os.getenv("PIECE_COUNT"))
local thread_no = 0
function setup(thread)
  thread_no = thread_no + 1
  thread:set("seed", thread_no)
end
function init(args)
  math.randomseed(seed * 7919)
end
function request()
  return wrk.format("GET", prefix .. math.random(0, count - 1))
end
function done(summary, latency, requests)
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\\n',
    summary.requests, summary.duration, summary.bytes, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
`;

/**
 * The master runs as production runs it: compiled JavaScript on plain node (tsx would add
 * its loader's memory). Built into bench/out/build so dist/ is left alone; if the build
 * cannot produce a working CLI, fall back to tsx and say so in the report.
 */
function compiledCli(): { argv: string[]; runtime: string } {
  const root = join(outDir, "build");
  try {
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    // src/version.ts reads ../package.json next to the output folder.
    copyFileSync(join(repoRoot, "package.json"), join(root, "package.json"));
    const tsc = join(repoRoot, "node_modules/typescript/bin/tsc");
    spawnSync(
      process.execPath,
      [tsc, "-p", join(repoRoot, "tsconfig.build.json"), "--outDir", join(root, "dist")],
      {
        cwd: repoRoot,
        stdio: "ignore",
      },
    );
    const cli = join(root, "dist", "cli.js");
    execFileSync(process.execPath, [cli, "master", "--help"], { stdio: "ignore" });
    return { argv: [cli], runtime: "node, compiled" };
  } catch {
    process.stderr.write(
      "bench serve: compiling the CLI failed; running the master under tsx (more memory)\n",
    );
    return { argv: ["--import", "tsx", join(repoRoot, "src/cli.ts")], runtime: "node --import tsx" };
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(url: string, child: ChildProcess, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode} before it answered`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${what} did not answer at ${url}`);
}

/** Resident set of a process and its children (nginx: master + workers), in KB. */
function rssKB(pid: number): number {
  const own = (p: number) => {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, "utf8"));
      return m ? Number(m[1]) : 0;
    } catch {
      return 0;
    }
  };
  let kids: number[] = [];
  try {
    kids = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {}
  return own(pid) + kids.reduce((n, k) => n + rssKB(k), 0);
}

/** Run wrk against prefix+n for `seconds`, sampling the server's RSS meanwhile. */
async function load(
  server: string,
  base: string,
  prefix: string,
  count: number,
  pid: number,
  o: { seconds: number; connections: number; script: string },
): Promise<LoadResult> {
  // Warm up (page cache, JIT, keep-alive) so both servers start hot.
  execFileSync("wrk", ["-t2", `-c${o.connections}`, "-d2s", "-s", o.script, base], {
    env: { ...process.env, PIECE_PREFIX: prefix, PIECE_COUNT: String(count) },
    stdio: "ignore",
  });
  const before = rssKB(pid);
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssKB(pid));
  }, 100);
  const out = await new Promise<string>((resolve, reject) => {
    const w = spawn(
      "wrk",
      ["-t2", `-c${o.connections}`, `-d${o.seconds}s`, "--timeout", "10s", "-s", o.script, base],
      {
        env: { ...process.env, PIECE_PREFIX: prefix, PIECE_COUNT: String(count) },
      },
    );
    let text = "";
    w.stdout.on("data", (d) => {
      text += d;
    });
    w.stderr.on("data", (d) => {
      text += d;
    });
    w.on("error", reject);
    w.on("close", (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited ${code}: ${text}`))));
  });
  clearInterval(sampler);
  peak = Math.max(peak, rssKB(pid));
  const m = /WRKJSON (\{.*\})/.exec(out);
  if (!m) throw new Error(`wrk printed no summary:\n${out}`);
  const j = JSON.parse(m[1]!) as Record<string, number>;
  const seconds = j.duration_us! / 1e6;
  return {
    server,
    requests: j.requests!,
    seconds,
    bytes: j.bytes!,
    requestsPerSecond: j.requests! / seconds,
    mbPerSecond: j.bytes! / seconds / 2 ** 20,
    p50ms: j.p50_us! / 1000,
    p99ms: j.p99_us! / 1000,
    maxms: j.max_us! / 1000,
    errors: { connect: j.connect!, read: j.read!, write: j.write!, status: j.status!, timeout: j.timeout! },
    rssBeforeMB: before / 1024,
    rssPeakMB: peak / 1024,
  };
}

/** Fetch a few pieces and check them against the manifest: the load means nothing if the bytes are wrong. */
async function spotCheck(urlOf: (n: number) => string, blob: Blob, what: string): Promise<void> {
  for (const n of [0, Math.floor(blob.md5.length / 2), blob.md5.length - 1]) {
    const r = await fetch(urlOf(n));
    const md5 = createHash("md5")
      .update(Buffer.from(await r.arrayBuffer()))
      .digest("hex");
    if (r.status !== 200 || md5 !== blob.md5[n])
      throw new Error(`${what} piece ${n}: status ${r.status}, md5 ${md5}, expected ${blob.md5[n]}`);
  }
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 5000).unref();
  });
}

export async function benchServe(args: string[]): Promise<void> {
  const opt = (name: string, dflt: number) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : dflt;
  };
  const seconds = opt("--seconds", 10);
  const connections = opt("--connections", 50);
  const scale = opt("--scale", 6);
  for (const tool of ["wrk", "nginx"]) {
    try {
      execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    } catch {
      throw new Error(`bench serve needs ${tool}: apt-get install -y wrk nginx`);
    }
  }

  // The course: cached between runs, generated deterministically.
  const cache = join(tmpdir(), "handcarry-bench-serve");
  mkdirSync(cache, { recursive: true });
  const archive = join(cache, `course-scale-${scale}.mbz`);
  if (!existsSync(archive)) {
    process.stderr.write(`bench serve: generating a course at scale ${scale}…\n`);
    await writeCourse(generateCourse(fullCourse({ scale })), "zip", `${archive}.tmp`);
    execFileSync("mv", [`${archive}.tmp`, archive]);
  }

  const work = mkdtempSync(join(tmpdir(), "hc-bench-serve-"));
  chmodSync(work, 0o755); // nginx workers run as nobody
  const script = join(work, "pieces.lua");
  writeFileSync(script, WRK_SCRIPT);
  const children: ChildProcess[] = [];
  try {
    // handcarry master as its own process, like in production.
    const port = await freePort();
    const token = "bench-serve-token";
    const cli = compiledCli();
    const master = spawn(
      process.execPath,
      [
        ...cli.argv,
        "master",
        "--data",
        join(work, "master"),
        "--port",
        String(port),
        "--publish-token",
        token,
      ],
      { cwd: repoRoot, stdio: ["ignore", "ignore", "inherit"] },
    );
    children.push(master);
    const base = `http://127.0.0.1:${port}`;
    await waitFor(`${base}/v1/catalog`, master, "handcarry master");
    const startRssKB = rssKB(master.pid!);
    process.stderr.write("bench serve: publishing…\n");
    execFileSync(
      process.execPath,
      [...cli.argv, "publish", "--master", base, "--token", token, "--course", "bench", archive],
      {
        cwd: repoRoot,
        stdio: ["ignore", "ignore", "inherit"],
      },
    );
    const plan = (await (
      await fetch(`${base}/v1/courses/bench/sync`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      })
    ).json()) as {
      plan: string;
      blob?: Blob;
    };
    if (plan.plan !== "full" || !plan.blob)
      throw new Error(`expected a full plan with a blob, got ${JSON.stringify(plan).slice(0, 200)}`);
    const blob = plan.blob;
    const hcPrefix = `/v1/blobs/${blob.id}/pieces/`;
    await spotCheck((n) => `${base}${hcPrefix}${n}`, blob, "handcarry");

    // nginx: the same blob split into piece files, the same immutable headers.
    const www = join(work, "www", "pieces");
    mkdirSync(www, { recursive: true });
    chmodSync(join(work, "www"), 0o755);
    chmodSync(www, 0o755);
    const fd = openSync(archive, "r");
    for (let n = 0; n < blob.md5.length; n++) {
      const len = Math.min(blob.pieceSize, blob.size - n * blob.pieceSize);
      const buf = Buffer.alloc(len);
      readSync(fd, buf, 0, len, n * blob.pieceSize);
      writeFileSync(join(www, String(n)), buf, { mode: 0o644 });
    }
    closeSync(fd);
    const nport = await freePort();
    const cport = await freePort();
    const conf = join(work, "nginx.conf");
    writeFileSync(
      conf,
      `daemon off;
worker_processes 1;
pid ${work}/nginx.pid;
error_log ${work}/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path ${work}/nginx-tmp;
  proxy_temp_path ${work}/nginx-tmp;
  fastcgi_temp_path ${work}/nginx-tmp;
  uwsgi_temp_path ${work}/nginx-tmp;
  scgi_temp_path ${work}/nginx-tmp;
  server {
    listen 127.0.0.1:${nport};
    root ${work}/www;
    location /pieces/ { add_header Cache-Control "public, max-age=31536000, immutable"; }
  }
  # The deployment the master's immutable piece URLs are made for: a cache in front.
  proxy_cache_path ${work}/nginx-cache levels=1:2 keys_zone=pieces:10m max_size=1g inactive=1h use_temp_path=off;
  upstream master { server 127.0.0.1:${port}; keepalive 32; }
  server {
    listen 127.0.0.1:${cport};
    location /v1/blobs/ {
      proxy_pass http://master;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache pieces;
      proxy_cache_lock on;
      add_header X-Cache-Status $upstream_cache_status;
    }
  }
}
`,
    );
    const nginx = spawn("nginx", ["-p", work, "-c", conf], { stdio: ["ignore", "ignore", "inherit"] });
    children.push(nginx);
    const nbase = `http://127.0.0.1:${nport}`;
    await waitFor(`${nbase}/pieces/0`, nginx, "nginx");
    await spotCheck((n) => `${nbase}/pieces/${n}`, blob, "nginx");
    const cbase = `http://127.0.0.1:${cport}`;
    await spotCheck((n) => `${cbase}${hcPrefix}${n}`, blob, "nginx proxy_cache");

    const o = { seconds, connections, script };
    process.stderr.write(
      `bench serve: ${blob.md5.length} pieces of ${blob.pieceSize} bytes; ${connections} connections for ${seconds} s each…\n`,
    );
    // Two rounds each, interleaved, so background noise hits both servers alike and a
    // second round shows whether the master's memory keeps growing under load.
    const hcName = `handcarry master (${cli.runtime})`;
    const results: LoadResult[] = [];
    for (let round = 1; round <= 2; round++) {
      results.push({
        ...(await load(hcName, base, hcPrefix, blob.md5.length, master.pid!, o)),
        server: `${hcName}, round ${round}`,
      });
      results.push({
        ...(await load("nginx (1 worker)", nbase, "/pieces/", blob.md5.length, nginx.pid!, o)),
        server: `nginx (1 worker), round ${round}`,
      });
    }
    // One round through the cache (its warm-up fills it from the master).
    results.push({
      ...(await load(
        "nginx proxy_cache → handcarry master",
        cbase,
        hcPrefix,
        blob.md5.length,
        nginx.pid!,
        o,
      )),
      server: "nginx proxy_cache in front of the master",
    });
    const cached = results[results.length - 1]!;
    const cacheStatus = (await fetch(`${cbase}${hcPrefix}0`)).headers.get("x-cache-status");
    const ours = results.filter((r) => r.server.startsWith("handcarry"));
    const theirs = results.filter((r) => r.server.startsWith("nginx (1 worker)"));
    const mean = (rs: LoadResult[]) => rs.reduce((n, r) => n + r.requestsPerSecond, 0) / rs.length;
    const errs = (r: LoadResult) => Object.values(r.errors).reduce((a, b) => a + b, 0);
    const table = markdownTable(
      [
        "server",
        "piece requests/s",
        "MB/s",
        "p50 latency",
        "p99 latency",
        "errors",
        "RSS before",
        "peak RSS under load",
      ],
      results.map((r) => [
        r.server,
        fmt(r.requestsPerSecond, 0),
        fmt(r.mbPerSecond),
        `${fmt(r.p50ms)} ms`,
        `${fmt(r.p99ms)} ms`,
        errs(r),
        `${fmt(r.rssBeforeMB)} MB`,
        `${fmt(r.rssPeakMB)} MB`,
      ]),
    );
    const ratio = mean(ours) / mean(theirs);
    const minRate = Math.min(...ours.map((r) => r.requestsPerSecond));
    const rateOk = minRate >= 200 && ours.every((r) => errs(r) === 0);
    const [first, second] = [ours[0]!, ours[1]!];
    // Bounded: the second round's peak is not meaningfully above the first's.
    const memoryOk = second.rssPeakMB <= first.rssPeakMB * 1.1 + 8;
    const summary = [
      `${blob.md5.length} pieces of ${blob.pieceSize / 1024} KiB (a ${fmt(blob.size / 2 ** 20)} MB course archive), ${connections} concurrent connections (wrk -t2 on the same 2-core machine), ${seconds} s per round after a 2 s warm-up, a random piece per request, loopback, ${new Date().toISOString()}. Master RSS right after start: ${fmt(startRssKB / 1024)} MB.`,
      "",
      table,
      "",
      `- Target ≥ 200 piece requests/s from ${connections} concurrent clients, no errors: ${rateOk ? "PASS" : "**FAIL**"} (slowest round ${fmt(minRate, 0)}/s).`,
      `- Bounded memory (round 2 peak ≤ round 1 peak × 1.1 + 8 MB): ${memoryOk ? "PASS" : "**FAIL**"} (${fmt(first.rssPeakMB)} MB, then ${fmt(second.rssPeakMB)} MB).`,
      `- Against nginx on the same pieces: handcarry serves ${fmt(ratio * 100, 0)} % of nginx's request rate (mean of the rounds: ${fmt(mean(ours), 0)}/s against ${fmt(mean(theirs), 0)}/s).`,
      `- With nginx proxy_cache in front of the master (pieces are immutable, so after its first request every piece comes from the cache): ${fmt(cached.requestsPerSecond, 0)}/s, ${errs(cached)} errors; a piece fetched afterwards: X-Cache-Status ${cacheStatus}.`,
    ].join("\n");
    saveResult(
      "serve",
      {
        blob: { id: blob.id, size: blob.size, pieceSize: blob.pieceSize, pieces: blob.md5.length },
        connections,
        seconds,
        startRssMB: startRssKB / 1024,
        results,
        ratio,
        cachedRequestsPerSecond: cached.requestsPerSecond,
        rateOk,
        memoryOk,
      },
      summary,
    );
    console.log(summary);
  } finally {
    for (const c of children) await stop(c);
    rmSync(work, { recursive: true, force: true });
  }
}

// Test support: child processes with captured output lines, temp dirs, small tmpfs mounts.
// Used by fault tests to run real handcarry processes, kill them at random moments and
// fill a disk on purpose.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { mulberry32 } from "../../src/util/prng.js";
import { WAIT_LIMIT_MS } from "./wait.js";

const execFileAsync = promisify(execFile);

/** Repository root (two levels above test/support). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface OutputLine {
  stream: "stdout" | "stderr";
  text: string;
  /** Milliseconds since the process was started. */
  at: number;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StartOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Run inside this network namespace (via `ip netns exec`, which execs: the pid is the command's). */
  netns?: string;
  /** Label used in error messages. */
  name?: string;
  /** Keep stdin open as a pipe (for processes controlled through stdin). */
  stdin?: boolean;
}

/** A child process whose output is split into lines and kept for assertions and error messages. */
export class ManagedProcess {
  readonly child: ChildProcess;
  readonly name: string;
  readonly lines: OutputLine[] = [];
  readonly exited: Promise<ProcessExit>;
  exit: ProcessExit | undefined;
  private readonly startedAt = Date.now();
  private readonly lineWaiters = new Set<() => void>();

  constructor(command: string, args: readonly string[], options: StartOptions = {}) {
    const argv = options.netns ? ["ip", ["netns", "exec", options.netns, command, ...args]] : [command, args];
    this.name = options.name ?? [command, ...args].join(" ").slice(0, 120);
    this.child = spawn(argv[0] as string, argv[1] as string[], {
      cwd: options.cwd ?? repoRoot,
      env: options.env ?? process.env,
      stdio: [options.stdin ? "pipe" : "ignore", "pipe", "pipe"],
    });
    this.exited = new Promise<ProcessExit>((resolveExit) => {
      this.child.once("error", (err) => {
        this.pushLine("stderr", `spawn error: ${err.message}`);
        this.exit ??= { code: -1, signal: null };
        resolveExit(this.exit);
        this.wakeLineWaiters();
      });
      this.child.once("close", (code, signal) => {
        this.exit ??= { code, signal };
        resolveExit(this.exit);
        this.wakeLineWaiters();
      });
    });
    this.collect("stdout");
    this.collect("stderr");
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  stdoutLines(): string[] {
    return this.lines.filter((l) => l.stream === "stdout").map((l) => l.text);
  }

  stderrLines(): string[] {
    return this.lines.filter((l) => l.stream === "stderr").map((l) => l.text);
  }

  /** The last lines of output, for error messages. */
  tail(count = 20): string {
    return this.lines
      .slice(-count)
      .map((l) => `[${l.stream}] ${l.text}`)
      .join("\n");
  }

  /** Write a line to the process's stdin (needs `stdin: true`). */
  writeLine(text: string): void {
    if (!this.child.stdin) throw new Error(`${this.name}: started without stdin`);
    this.child.stdin.write(`${text}\n`);
  }

  /**
   * Resolve with the first line (seen so far or later) matching `pattern`, searching from line index
   * `from`. Rejects when the process exits first or after `timeoutMs`, with the output tail.
   */
  async waitForLine(
    pattern: RegExp,
    options: { timeoutMs?: number; stream?: "stdout" | "stderr"; from?: number } = {},
  ): Promise<{ line: string; match: RegExpMatchArray; index: number }> {
    const timeoutMs = options.timeoutMs ?? WAIT_LIMIT_MS;
    let searched = options.from ?? 0;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (; searched < this.lines.length; searched++) {
        const line = this.lines[searched]!;
        if (options.stream && line.stream !== options.stream) continue;
        const match = line.text.match(pattern);
        if (match) return { line: line.text, match, index: searched };
      }
      if (!this.running) {
        throw new Error(
          `${this.name}: exited (code ${this.exit?.code}, signal ${this.exit?.signal}) before printing ${pattern}\n${this.tail()}`,
        );
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0)
        throw new Error(`${this.name}: no line matching ${pattern} after ${timeoutMs} ms\n${this.tail()}`);
      await new Promise<void>((wake) => {
        const timer = setTimeout(done, remaining);
        const self = this;
        function done() {
          clearTimeout(timer);
          self.lineWaiters.delete(done);
          wake();
        }
        this.lineWaiters.add(done);
      });
    }
  }

  /** Send a signal (default SIGKILL); no-op when already exited. */
  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    if (this.running) this.child.kill(signal);
  }

  /**
   * Kill with `signal` after a random delay in [minMs, maxMs] drawn from `random` (seedable).
   * Resolves with the chosen delay once the signal was sent (or the process had already exited).
   */
  async killAtRandom(
    minMs: number,
    maxMs: number,
    random: () => number = Math.random,
    signal: NodeJS.Signals = "SIGKILL",
  ): Promise<number> {
    const delay = minMs + Math.floor(random() * (maxMs - minMs + 1));
    await Promise.race([new Promise((r) => setTimeout(r, delay)), this.exited]);
    this.kill(signal);
    return delay;
  }

  /** Wait for exit; on timeout, SIGKILL the process and reject with the output tail. */
  async waitForExit(timeoutMs = WAIT_LIMIT_MS): Promise<ProcessExit> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((r) => {
      timer = setTimeout(() => r("timeout"), timeoutMs);
    });
    const result = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (result === "timeout") {
      this.kill("SIGKILL");
      await this.exited;
      throw new Error(`${this.name}: still running after ${timeoutMs} ms (killed)\n${this.tail()}`);
    }
    return result;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. Safe to call twice. */
  async stop(graceMs = 2_000): Promise<ProcessExit> {
    if (!this.running) return this.exit!;
    this.kill("SIGTERM");
    const timer = setTimeout(() => this.kill("SIGKILL"), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  private collect(stream: "stdout" | "stderr"): void {
    const source = this.child[stream];
    if (!source) return;
    source.setEncoding("utf8");
    let pending = "";
    source.on("data", (chunk: string) => {
      pending += chunk;
      let newline = pending.indexOf("\n");
      while (newline >= 0) {
        this.pushLine(stream, pending.slice(0, newline).replace(/\r$/, ""));
        pending = pending.slice(newline + 1);
        newline = pending.indexOf("\n");
      }
    });
    source.on("end", () => {
      if (pending) this.pushLine(stream, pending);
      pending = "";
    });
  }

  private pushLine(stream: "stdout" | "stderr", text: string): void {
    this.lines.push({ stream, text, at: Date.now() - this.startedAt });
    this.wakeLineWaiters();
  }

  private wakeLineWaiters(): void {
    for (const wake of [...this.lineWaiters]) wake();
  }
}

export function startProcess(
  command: string,
  args: readonly string[],
  options: StartOptions = {},
): ManagedProcess {
  return new ManagedProcess(command, args, options);
}

/** Start a TypeScript file of this repo with Node + tsx (no build needed). */
export function startTsScript(
  file: string,
  args: readonly string[],
  options: StartOptions = {},
): ManagedProcess {
  return startProcess(process.execPath, ["--import", "tsx", resolve(repoRoot, file), ...args], {
    name: `${file} ${args.join(" ")}`.slice(0, 120),
    ...options,
  });
}

/**
 * Start the handcarry CLI: `node dist/cli.js …` when `mode` is "dist" (needs `npm run build`),
 * otherwise `node --import tsx src/cli.ts …` (default).
 */
export function startCli(
  args: readonly string[],
  options: StartOptions & { mode?: "dist" | "tsx" } = {},
): ManagedProcess {
  const { mode = "tsx", ...rest } = options;
  const nodeArgs =
    mode === "dist"
      ? [join(repoRoot, "dist", "cli.js")]
      : ["--import", "tsx", join(repoRoot, "src", "cli.ts")];
  return startProcess(process.execPath, [...nodeArgs, ...args], {
    name: `handcarry ${args.join(" ")}`,
    ...rest,
  });
}

/** Seeded PRNG (mulberry32): same seed, same sequence; returns floats in [0, 1). */
export const seededRandom = mulberry32;

/** Deterministic pseudo-random bytes (xorshift32): a payload generator for transfer tests. */
export function makePayload(size: number, seed = 1): Buffer {
  const words = new Uint32Array(Math.ceil(size / 4));
  let x = seed >>> 0 || 0x9e3779b9;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    words[i] = x;
  }
  return Buffer.from(words.buffer, 0, size);
}

/** Runs cleanup functions in reverse order of registration; every one runs even if others fail. */
export class Cleanups {
  private readonly tasks: Array<{ label: string; run: () => unknown }> = [];

  add(label: string, run: () => unknown): void {
    this.tasks.push({ label, run });
  }

  async run(): Promise<void> {
    const errors: string[] = [];
    while (this.tasks.length > 0) {
      const task = this.tasks.pop()!;
      try {
        await task.run();
      } catch (err) {
        errors.push(`${task.label}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (errors.length > 0) throw new Error(`cleanup failed:\n${errors.join("\n")}`);
  }
}

export interface TempDir {
  path: string;
  cleanup(): Promise<void>;
}

/** A fresh directory under the OS temp dir; `cleanup()` removes it with everything inside. */
export async function makeTempDir(prefix = "hc-test-"): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

export interface SmallMount {
  path: string;
  sizeBytes: number;
  /** Unmount (lazily if busy) and remove the mount point. */
  cleanup(): Promise<void>;
}

/**
 * Mount a tmpfs of `sizeBytes` (rounded up to whole KiB) at a fresh directory: a small disk that
 * fills up on purpose (writes past the size fail with ENOSPC). Needs root (see `tmpfsAvailable`).
 */
export async function mountSmallTmpfs(sizeBytes: number, prefix = "hc-tmpfs-"): Promise<SmallMount> {
  const dir = await makeTempDir(prefix);
  const sizeKiB = Math.max(1, Math.ceil(sizeBytes / 1024));
  try {
    await execFileAsync("mount", ["-t", "tmpfs", "-o", `size=${sizeKiB}k,mode=0700`, "tmpfs", dir.path]);
  } catch (err) {
    await dir.cleanup();
    throw err;
  }
  return {
    path: dir.path,
    sizeBytes: sizeKiB * 1024,
    async cleanup() {
      try {
        await execFileAsync("umount", [dir.path]);
      } catch {
        // Busy (a killed child may still hold a file): detach now, the kernel frees it later.
        await execFileAsync("umount", ["-l", dir.path]).catch(() => undefined);
      }
      await dir.cleanup();
    },
  };
}

let tmpfsProbe: Promise<{ ok: boolean; reason: string }> | undefined;

/** Whether `mountSmallTmpfs` works here (root and mount permitted); the reason when not. */
export function tmpfsAvailable(): Promise<{ ok: boolean; reason: string }> {
  tmpfsProbe ??= (async () => {
    if (process.platform !== "linux")
      return { ok: false, reason: `tmpfs mounts need Linux, this is ${process.platform}` };
    if (process.getuid?.() !== 0) return { ok: false, reason: "tmpfs mounts need root" };
    try {
      const mount = await mountSmallTmpfs(64 * 1024, "hc-tmpfs-probe-");
      await mount.cleanup();
      return { ok: true, reason: "" };
    } catch (err) {
      return {
        ok: false,
        reason: `mount -t tmpfs failed: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
  })();
  return tmpfsProbe;
}

/** Make sure a directory exists (mkdir -p). */
export async function ensureDir(path: string): Promise<string> {
  await mkdir(path, { recursive: true });
  return path;
}

// Test support: a pair of network namespaces ("master" and "agent") joined by a veth, with
// helpers to run processes inside them, cap the rate with tc tbf and cut the link.
// Needs root and `ip netns`; `netnsAvailable()` says why not, so tests can skip clearly.
import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { type ManagedProcess, type StartOptions, startProcess, startTsScript } from "./procs.js";
import { WAIT_LIMIT_MS } from "./wait.js";

const execFileAsync = promisify(execFile);

/** Every namespace this harness creates starts with this, followed by the creating pid. */
const NS_PREFIX = "hc-";

export interface Availability {
  ok: boolean;
  reason: string;
}

/** Run `ip …` (or `tc …`) and return stdout; errors carry the command and stderr. */
async function run(command: "ip" | "tc", args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, { timeout: WAIT_LIMIT_MS });
    return stdout;
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new Error(`${command} ${args.join(" ")} failed: ${stderr || (err as Error).message}`);
  }
}

let probe: Promise<Availability> | undefined;

/** Whether namespaces + veth can be created here (root, iproute2, kernel support). Cached. */
export function netnsAvailable(): Promise<Availability> {
  probe ??= (async () => {
    if (process.platform !== "linux")
      return { ok: false, reason: `network namespaces need Linux, this is ${process.platform}` };
    if (process.getuid?.() !== 0) return { ok: false, reason: "network namespaces need root (ip netns add)" };
    try {
      await run("ip", ["netns", "list"]);
    } catch (err) {
      return { ok: false, reason: `\`ip netns\` is not usable: ${(err as Error).message}` };
    }
    // Only creating one proves it (containers without CAP_SYS_ADMIN fail here).
    try {
      const pair = await NetnsPair.create();
      await pair.destroy();
      return { ok: true, reason: "" };
    } catch (err) {
      return { ok: false, reason: `cannot create namespaces with a veth: ${(err as Error).message}` };
    }
  })();
  return probe;
}

let tcProbe: Promise<Availability> | undefined;

/** Whether `tc qdisc … tbf` works (inside a throwaway pair). Cached. */
export function tbfAvailable(): Promise<Availability> {
  tcProbe ??= (async () => {
    const ns = await netnsAvailable();
    if (!ns.ok) return ns;
    const pair = await NetnsPair.create();
    try {
      await pair.rateLimit("master", { rate: "1mbit" });
      return { ok: true, reason: "" };
    } catch (err) {
      return { ok: false, reason: `tc tbf is not usable: ${(err as Error).message}` };
    } finally {
      await pair.destroy();
    }
  })();
  return tcProbe;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Delete namespaces left by test processes that died without cleaning up (name holds the
 * creator's pid): kill what still runs inside, then delete. Namespaces of live processes are kept.
 */
export async function sweepStaleNamespaces(): Promise<string[]> {
  const listing = await run("ip", ["netns", "list"]).catch(() => "");
  const swept: string[] = [];
  for (const line of listing.split("\n")) {
    const name = line.split(" ")[0] ?? "";
    const owner = name.match(/^hc-[ma]-(\d+)-[0-9a-f]+$/);
    if (!owner || pidAlive(Number(owner[1]))) continue;
    await killAllInNamespace(name);
    await run("ip", ["netns", "del", name]).catch(() => undefined);
    swept.push(name);
  }
  return swept;
}

async function killAllInNamespace(ns: string): Promise<void> {
  const pids = await run("ip", ["netns", "pids", ns]).catch(() => "");
  for (const pid of pids.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** Pairs not yet destroyed: deleted synchronously if the test process exits without afterAll. */
const livePairs = new Set<NetnsPair>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const pair of livePairs) pair.destroySync();
  });
}

export type Side = "master" | "agent";

export interface RateLimit {
  /** tc rate, e.g. "1mbit", "500kbit". */
  rate: string;
  /** tc burst (bucket size), e.g. "32kbit"; default 32kbit. */
  burst?: string;
  /** tc latency (max queueing before drops), e.g. "400ms"; default 400ms. */
  latency?: string;
}

/**
 * Two namespaces joined by a veth: `hc-m-<pid>-<id>` (10.200.N.1/30 on `hcm`) and
 * `hc-a-<pid>-<id>` (10.200.N.2/30 on `hca`). The addresses only exist inside these namespaces,
 * so parallel pairs never collide and nothing leaves the machine.
 */
export class NetnsPair {
  readonly master: string;
  readonly agent: string;
  readonly masterIp: string;
  readonly agentIp: string;
  readonly masterDev = "hcm";
  readonly agentDev = "hca";
  private readonly processes = new Set<ManagedProcess>();
  private destroyed = false;

  private constructor(id: string, subnet: number) {
    this.master = `${NS_PREFIX}m-${process.pid}-${id}`;
    this.agent = `${NS_PREFIX}a-${process.pid}-${id}`;
    this.masterIp = `10.200.${subnet}.1`;
    this.agentIp = `10.200.${subnet}.2`;
  }

  static async create(): Promise<NetnsPair> {
    await sweepStaleNamespaces();
    const id = randomBytes(3).toString("hex");
    const pair = new NetnsPair(id, 1 + (randomBytes(1)[0]! % 250));
    livePairs.add(pair);
    installExitHook();
    try {
      await run("ip", ["netns", "add", pair.master]);
      await run("ip", ["netns", "add", pair.agent]);
      // Created directly inside the namespaces: the device names never touch the root namespace.
      await run("ip", [
        "link",
        "add",
        pair.masterDev,
        "netns",
        pair.master,
        "type",
        "veth",
        "peer",
        "name",
        pair.agentDev,
        "netns",
        pair.agent,
      ]);
      for (const [ns, dev, ip] of [
        [pair.master, pair.masterDev, pair.masterIp],
        [pair.agent, pair.agentDev, pair.agentIp],
      ] as const) {
        await run("ip", ["-n", ns, "addr", "add", `${ip}/30`, "dev", dev]);
        await run("ip", ["-n", ns, "link", "set", "lo", "up"]);
        await run("ip", ["-n", ns, "link", "set", dev, "up"]);
      }
    } catch (err) {
      await pair.destroy();
      throw err;
    }
    return pair;
  }

  nsOf(side: Side): string {
    return side === "master" ? this.master : this.agent;
  }

  devOf(side: Side): string {
    return side === "master" ? this.masterDev : this.agentDev;
  }

  ipOf(side: Side): string {
    return side === "master" ? this.masterIp : this.agentIp;
  }

  /** Run a command to completion inside one side's namespace (see `execInNamespace`). */
  exec(side: Side, command: string, args: readonly string[] = [], timeoutMs = WAIT_LIMIT_MS) {
    return execInNamespace(this.nsOf(side), command, args, timeoutMs);
  }

  /** Start a long-running process inside a namespace; it is SIGKILLed by `destroy()` if still running. */
  spawn(
    side: Side,
    command: string,
    args: readonly string[] = [],
    options: Omit<StartOptions, "netns"> = {},
  ) {
    return this.track(
      startProcess(command, args, {
        name: `[${side}] ${command} ${args.join(" ")}`,
        ...options,
        netns: this.nsOf(side),
      }),
    );
  }

  /** Start a TypeScript file of this repo (node --import tsx) inside a namespace. */
  spawnTs(side: Side, file: string, args: readonly string[] = [], options: Omit<StartOptions, "netns"> = {}) {
    return this.track(
      startTsScript(file, args, {
        name: `[${side}] ${file} ${args.join(" ")}`,
        ...options,
        netns: this.nsOf(side),
      }),
    );
  }

  /** Let destroy() kill a process started elsewhere (for example with startCli({ netns })). */
  track(proc: ManagedProcess): ManagedProcess {
    this.processes.add(proc);
    return proc;
  }

  /** Egress rate cap with tc tbf on one side's veth (the other direction is not limited). */
  async rateLimit(side: Side, limit: RateLimit): Promise<void> {
    await run("tc", [
      "-n",
      this.nsOf(side),
      "qdisc",
      "replace",
      "dev",
      this.devOf(side),
      "root",
      "tbf",
      "rate",
      limit.rate,
      "burst",
      limit.burst ?? "32kbit",
      "latency",
      limit.latency ?? "400ms",
    ]);
  }

  /** Remove a rate cap set by `rateLimit` (no error when none is set). */
  async clearRateLimit(side: Side): Promise<void> {
    await run("tc", ["-n", this.nsOf(side), "qdisc", "del", "dev", this.devOf(side), "root"]).catch(
      (err: Error) => {
        if (!/No such file|Cannot delete qdisc with handle of zero|Invalid handle/i.test(err.message))
          throw err;
      },
    );
  }

  /**
   * Take the veth down. "agent" behaves like walking out of Wi-Fi range (the agent's own route
   * vanishes, new connections fail at once; open ones stall); "master" leaves the agent's
   * interface without carrier (packets vanish, connections stall until timeouts). Default both.
   */
  async linkDown(side: Side | "both" = "both"): Promise<void> {
    for (const s of side === "both" ? (["master", "agent"] as const) : [side]) {
      await run("ip", ["-n", this.nsOf(s), "link", "set", this.devOf(s), "down"]);
    }
  }

  /** Bring the veth back up (both ends); the connected route returns with the address. */
  async linkUp(): Promise<void> {
    for (const s of ["master", "agent"] as const) {
      await run("ip", ["-n", this.nsOf(s), "link", "set", this.devOf(s), "up"]);
    }
  }

  /**
   * An outage of `ms`: link down, hold, link up. The hold is the length of the fault being
   * injected (how long the carrier is out of range), not a wait for anything to happen.
   */
  async outage(side: Side | "both", ms: number): Promise<void> {
    await this.linkDown(side);
    await new Promise((r) => setTimeout(r, ms));
    await this.linkUp();
  }

  /** Whether a veth end is administratively up, as the kernel reports it. */
  async isUp(side: Side): Promise<boolean> {
    const out = await run("ip", ["-n", this.nsOf(side), "-o", "link", "show", this.devOf(side)]);
    return /<[^>]*\bUP\b[^>]*>/.test(out);
  }

  /** Kill tracked processes, delete the veth and both namespaces. Idempotent. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const proc of this.processes) proc.kill("SIGKILL");
    await Promise.all([...this.processes].map((p) => p.exited));
    for (const ns of [this.master, this.agent]) {
      // Processes started by others (not tracked) would keep the namespace alive: kill them too.
      await killAllInNamespace(ns);
      await run("ip", ["-n", ns, "link", "del", ns === this.master ? this.masterDev : this.agentDev]).catch(
        () => undefined,
      );
      await run("ip", ["netns", "del", ns]).catch(() => undefined);
    }
    livePairs.delete(this);
  }

  /** Last-resort synchronous cleanup for the process exit hook. */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const proc of this.processes) proc.kill("SIGKILL");
    for (const ns of [this.master, this.agent]) {
      try {
        const pids = execFileSync("ip", ["netns", "pids", ns], { encoding: "utf8" });
        for (const pid of pids.split(/\s+/).filter(Boolean)) process.kill(Number(pid), "SIGKILL");
      } catch {
        // namespace already gone
      }
      try {
        execFileSync("ip", ["netns", "del", ns], { stdio: "ignore" });
      } catch {
        // already gone
      }
    }
    livePairs.delete(this);
  }
}

/** Run a command to completion inside namespace `ns`; rejects on non-zero exit or timeout with stderr. */
export async function execInNamespace(
  ns: string,
  command: string,
  args: readonly string[] = [],
  timeoutMs = WAIT_LIMIT_MS,
) {
  try {
    return await execFileAsync("ip", ["netns", "exec", ns, command, ...args], {
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as { stderr?: string; code?: unknown; killed?: boolean };
    throw new Error(
      `in namespace ${ns}: ${command} ${args.join(" ")} failed (code ${String(e.code)}${e.killed ? ", timed out" : ""}): ${e.stderr?.trim() ?? ""}`,
    );
  }
}

/** Start a long-running process inside namespace `ns` (same as startProcess with `netns`). */
export function spawnInNamespace(
  ns: string,
  command: string,
  args: readonly string[] = [],
  options: Omit<StartOptions, "netns"> = {},
): ManagedProcess {
  return startProcess(command, args, { ...options, netns: ns });
}

export interface NsHttpResult {
  ok: boolean;
  status?: number;
  bytes?: number;
  md5?: string;
  error?: string;
  ms: number;
}

/**
 * GET `url` from inside a namespace with a short Node script: status, byte count and MD5 of the
 * body, or the error (timeouts included). Never throws for network failures: tests assert on it.
 */
export async function httpGetInNamespace(
  ns: string,
  url: string,
  timeoutMs = WAIT_LIMIT_MS,
): Promise<NsHttpResult> {
  const script = `
    const { createHash } = await import("node:crypto");
    const started = Date.now();
    // Exit at once: an idle keep-alive socket would otherwise hold the process for seconds.
    const out = (o) => process.stdout.write(JSON.stringify({ ...o, ms: Date.now() - started }), () => process.exit(0));
    try {
      const res = await fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(${timeoutMs}) });
      const hash = createHash("md5");
      let bytes = 0;
      for await (const chunk of res.body) { hash.update(chunk); bytes += chunk.length; }
      out({ ok: res.ok, status: res.status, bytes, md5: hash.digest("hex") });
    } catch (err) {
      out({ ok: false, error: String(err?.cause?.code ?? err?.name ?? err) + ": " + String(err?.cause?.message ?? err?.message ?? "") });
    }`;
  const { stdout } = await execFileAsync(
    "ip",
    ["netns", "exec", ns, process.execPath, "--input-type=module", "-e", script],
    { timeout: timeoutMs + 10_000, maxBuffer: 1024 * 1024 },
  );
  return JSON.parse(stdout) as NsHttpResult;
}

// Test support: run fault-proxy.ts as a separate process (optionally inside a network
// namespace) and drive it over its stdin/stdout JSON-line control channel.
import type { Faults, ProxyStats } from "./fault-proxy.js";
import { type ManagedProcess, startTsScript } from "./procs.js";

export interface RemoteProxyOptions {
  /** HOST:PORT to listen on (inside the namespace when `netns` is set); default 127.0.0.1:0. */
  listen?: string;
  /** HOST:PORT to forward to. */
  target: string;
  netns?: string;
  seed?: number;
  faults?: Partial<Faults>;
}

export class RemoteFaultProxy {
  private nextId = 0;

  private constructor(
    readonly process: ManagedProcess,
    readonly host: string,
    readonly port: number,
  ) {}

  /** Start the script and wait for its "listening" line. */
  static async start(options: RemoteProxyOptions): Promise<RemoteFaultProxy> {
    const proc = startTsScript(
      "test/support/fault-proxy.ts",
      [
        "--listen",
        options.listen ?? "127.0.0.1:0",
        "--target",
        options.target,
        "--seed",
        String(options.seed ?? 1),
      ],
      {
        stdin: true,
        name: `fault-proxy → ${options.target}${options.netns ? ` in ${options.netns}` : ""}`,
        ...(options.netns ? { netns: options.netns } : {}),
      },
    );
    try {
      const { line } = await proc.waitForLine(/"event":"listening"/, { stream: "stdout" });
      const ready = JSON.parse(line) as { host: string; port: number };
      const remote = new RemoteFaultProxy(proc, ready.host, ready.port);
      if (options.faults) await remote.setFaults(options.faults);
      return remote;
    } catch (err) {
      proc.kill("SIGKILL");
      throw err;
    }
  }

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  setFaults(faults: Partial<Faults>): Promise<Faults> {
    return this.request<{ faults: Faults }>({ cmd: "set", faults }).then((r) => r.faults);
  }

  stats(): Promise<ProxyStats> {
    return this.request<{ stats: ProxyStats }>({ cmd: "stats" }).then((r) => r.stats);
  }

  async resetStats(): Promise<void> {
    await this.request({ cmd: "reset-stats" });
  }

  /** Cut every open connection; resolves with how many were open. */
  cutAll(): Promise<number> {
    return this.request<{ cut: number }>({ cmd: "cut-all" }).then((r) => r.cut);
  }

  /** SIGTERM (SIGKILL after a grace period). */
  async stop(): Promise<void> {
    await this.process.stop();
  }

  private async request<T>(message: object): Promise<T> {
    const id = ++this.nextId;
    const from = this.process.lines.length;
    this.process.writeLine(JSON.stringify({ id, ...message }));
    const { line } = await this.process.waitForLine(new RegExp(`^\\{"id":${id},`), {
      stream: "stdout",
      from,
    });
    const reply = JSON.parse(line) as { ok: boolean; error?: string } & T;
    if (!reply.ok) throw new Error(`fault-proxy: ${reply.error}`);
    return reply;
  }
}

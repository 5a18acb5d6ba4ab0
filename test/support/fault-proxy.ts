// Test support: a fault-injecting TCP proxy (the kernel here has no netem). Adds latency,
// "loss" (stalls like retransmission timeouts), connection cuts/resets at byte offsets, bit
// corruption, a bandwidth cap and a blackhole; deterministic for a seed; counts bytes per
// direction. Use in-process (`FaultProxy.start`) or as a script, e.g. inside a namespace:
//   ip netns exec NS node --import tsx test/support/fault-proxy.ts \
//     --listen 127.0.0.1:0 --target 10.200.7.1:8080 --delay-ms 300 --loss 0.1
// The script prints {"event":"listening",...} and takes JSON-line commands on stdin
// ({"cmd":"set","faults":{...}}, "stats", "reset-stats", "cut-all"); SIGUSR1 toggles the
// blackhole, SIGUSR2 cuts every connection. See fault-proxy-remote.ts for a driver.
import { EventEmitter } from "node:events";
import { type AddressInfo, createConnection, createServer, isIP, type Server, type Socket } from "node:net";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { mulberry32 } from "../../src/util/prng.js";

/** "up" is client → target, "down" is target → client (server to agent). */
export type Direction = "up" | "down";
export type Directions = Direction | "both";

export interface Faults {
  /** One-way latency added to every chunk, both directions (byte order is kept). */
  delayMs: number;
  /** Extra random latency 0..jitterMs per chunk (order still kept). */
  jitterMs: number;
  /**
   * Probability that a unit of `lossUnitBytes` of the stream (each direction, counted from the
   * connection's first byte) is "lost": delivery stalls `stallMs` there, as a TCP retransmission
   * timeout would. Expected extra time ≈ bytes / lossUnitBytes × loss × stallMs.
   */
  loss: number;
  stallMs: number;
  lossUnitBytes: number;
  /** Expected connection cuts per MiB in `direction`, at random byte offsets (0 = off). */
  resetPerMB: number;
  /** Expected single-bit flips per KiB in `direction` (0 = off). */
  corruptPerKB: number;
  /** Which direction(s) corruption, cuts and `cutAfterBytes` apply to. Default "down". */
  direction: Directions;
  /** Bandwidth cap in bytes per second for each direction, shared by all connections (0 = off). */
  rateBytesPerSec: number;
  /** Cut every connection once it has carried this many bytes in `direction` (0 = off). */
  cutAfterBytes: number;
  /** "reset": RST both sides (ECONNRESET; the last bytes may not all arrive); "close": FIN after exactly the bytes. */
  cutMode: "reset" | "close";
  /** Accept connections and data but forward nothing (until turned off, then everything flows). */
  blackhole: boolean;
}

export const noFaults: Readonly<Faults> = Object.freeze({
  delayMs: 0,
  jitterMs: 0,
  loss: 0,
  stallMs: 250,
  lossUnitBytes: 16 * 1024,
  resetPerMB: 0,
  corruptPerKB: 0,
  direction: "down",
  rateBytesPerSec: 0,
  cutAfterBytes: 0,
  cutMode: "reset",
  blackhole: false,
});

export interface DirectionStats {
  /** Bytes read from the sender. */
  bytesIn: number;
  /** Bytes written to the receiver (what actually crossed the "link"). */
  bytesOut: number;
  stalls: number;
  bitFlips: number;
}

export interface ConnectionStats {
  id: number;
  /** Bytes delivered client → target and target → client. */
  up: number;
  down: number;
  /** Why the proxy cut it ("cut-after-bytes", "reset", "manual", "target-unreachable"), or null. */
  cut: string | null;
}

export interface ProxyStats {
  connections: number;
  active: number;
  cuts: number;
  up: DirectionStats;
  down: DirectionStats;
  /** The most recent connections (at most 1000). */
  perConnection: ConnectionStats[];
}

export interface FaultProxyOptions {
  listenHost?: string;
  listenPort?: number;
  targetHost: string;
  targetPort: number;
  seed?: number;
  faults?: Partial<Faults>;
}

/** The largest piece written at once (shaping granularity). */
const UNIT = 16 * 1024;
/** Pause reading from a sender when this much is queued (delay/rate), resume below LOW_WATER. */
const HIGH_WATER = 4 * 1024 * 1024;
const LOW_WATER = 1024 * 1024;
const KEEP_CONNECTIONS = 1000;

/** Only loopback and the 10.200.0.0/16 namespace subnet: the harness never reaches other hosts. */
export function assertContainedAddress(host: string, what: string): void {
  const ok =
    host === "localhost" ||
    host === "::1" ||
    /^127\.\d+\.\d+\.\d+$/.test(host) ||
    /^10\.200\.\d+\.\d+$/.test(host);
  if (!ok || (host !== "localhost" && isIP(host) === 0)) {
    throw new Error(`${what} ${host} is not allowed: use loopback or a 10.200.x.x namespace address`);
  }
}

/** mulberry32 seeded from a mix of numbers: independent streams per connection/direction/purpose. */
function rng(...parts: number[]): () => number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  }
  return mulberry32(h);
}

/** Gap to the next event of a Poisson process with `perBytes` events per `unit` bytes (≥ 1). */
function exponentialGap(random: () => number, eventsPerUnit: number, unit: number): number {
  return Math.max(1, Math.ceil((-Math.log(1 - random()) * unit) / eventsPerUnit));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function emptyDirectionStats(): DirectionStats {
  return { bytesIn: 0, bytesOut: 0, stalls: 0, bitFlips: 0 };
}

interface QueuedPiece {
  data: Buffer;
  deliverAt: number;
  /** Cut the connection right after writing this piece. */
  cutReason?: string;
}

/** One direction of one connection: queue with delivery times, pumped in order. */
class Pipe {
  readonly queue: QueuedPiece[] = [];
  queuedBytes = 0;
  /** Bytes received from the sender so far: the stream offset faults are positioned by. */
  offset = 0;
  lastDeliverAt = 0;
  sourceEnded = false;
  wake: (() => void) | undefined;
  nextFlipAt = Number.POSITIVE_INFINITY;
  flipRateUsed = 0;
  nextResetAt = Number.POSITIVE_INFINITY;
  resetRateUsed = 0;
  readonly jitterRandom: () => number;
  readonly lossRandom: () => number;
  readonly flipRandom: () => number;
  readonly resetRandom: () => number;

  constructor(
    readonly dir: Direction,
    seed: number,
    connectionId: number,
  ) {
    const d = dir === "up" ? 1 : 2;
    this.jitterRandom = rng(seed, connectionId, d, 1);
    this.lossRandom = rng(seed, connectionId, d, 2);
    this.flipRandom = rng(seed, connectionId, d, 3);
    this.resetRandom = rng(seed, connectionId, d, 4);
  }

  notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

class Connection {
  readonly up: Pipe;
  readonly down: Pipe;
  upstream: Socket | undefined;
  cutReason: string | null = null;
  closed = false;
  /** Bytes accepted so far in the faulted direction(s), for cutAfterBytes. */
  countedBytes = 0;
  readonly record: ConnectionStats;

  constructor(
    readonly proxy: FaultProxy,
    readonly id: number,
    readonly client: Socket,
    seed: number,
  ) {
    this.up = new Pipe("up", seed, id);
    this.down = new Pipe("down", seed, id);
    this.record = { id, up: 0, down: 0, cut: null };
  }

  /** Cut both sides now (proxy decision); idempotent. */
  cut(reason: string, mode: Faults["cutMode"]): void {
    if (this.closed) return;
    this.cutReason = reason;
    this.record.cut = reason;
    this.proxy.noteCut(this);
    this.closed = true;
    const sockets = [this.client, this.upstream].filter((s): s is Socket => s !== undefined);
    if (mode === "close") {
      // FIN after the bytes already written, then let go of the socket.
      for (const s of sockets) s.end(() => s.destroy());
      for (const s of sockets) setTimeout(() => s.destroy(), 5_000).unref();
    } else {
      for (const s of sockets) s.resetAndDestroy();
    }
    this.up.notify();
    this.down.notify();
  }

  /** Tear down after an error or a peer closing abruptly (no proxy decision). */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.destroy();
    this.upstream?.destroy();
    this.up.notify();
    this.down.notify();
  }
}

/** An in-process fault-injecting TCP proxy. Create with `FaultProxy.start(...)`. */
export class FaultProxy extends EventEmitter {
  private faultsNow: Faults;
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  private readonly records: ConnectionStats[] = [];
  private totals = { connections: 0, cuts: 0, up: emptyDirectionStats(), down: emptyDirectionStats() };
  private nextId = 0;
  private readonly linkFreeAt: Record<Direction, number> = { up: 0, down: 0 };
  private blackholeWaiters: Array<() => void> = [];
  private listenAddress: AddressInfo | undefined;

  private constructor(
    private readonly options: Required<Omit<FaultProxyOptions, "faults">>,
    faults: Partial<Faults>,
  ) {
    super();
    this.faultsNow = validateFaults({ ...noFaults, ...faults });
    this.server = createServer({ allowHalfOpen: true, pauseOnConnect: false }, (socket) =>
      this.accept(socket),
    );
  }

  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const full = {
      listenHost: options.listenHost ?? "127.0.0.1",
      listenPort: options.listenPort ?? 0,
      targetHost: options.targetHost,
      targetPort: options.targetPort,
      seed: options.seed ?? 1,
    };
    assertContainedAddress(full.listenHost, "listen address");
    assertContainedAddress(full.targetHost, "target address");
    const proxy = new FaultProxy(full, options.faults ?? {});
    await new Promise<void>((resolve, reject) => {
      proxy.server.once("error", reject);
      proxy.server.listen(full.listenPort, full.listenHost, () => {
        proxy.server.off("error", reject);
        resolve();
      });
    });
    proxy.listenAddress = proxy.server.address() as AddressInfo;
    return proxy;
  }

  get host(): string {
    return this.listenAddress!.address;
  }

  get port(): number {
    return this.listenAddress!.port;
  }

  /** http://host:port of the proxy (IPv6 hosts bracketed). */
  get url(): string {
    return `http://${this.host.includes(":") ? `[${this.host}]` : this.host}:${this.port}`;
  }

  get faults(): Faults {
    return { ...this.faultsNow };
  }

  /** Change faults at run time; returns the faults now in effect. */
  setFaults(changes: Partial<Faults>): Faults {
    this.faultsNow = validateFaults({ ...this.faultsNow, ...changes });
    if (!this.faultsNow.blackhole) {
      const waiters = this.blackholeWaiters;
      this.blackholeWaiters = [];
      for (const wake of waiters) wake();
    }
    return this.faults;
  }

  /** Back to a clean link (seed and counters unchanged). */
  clearFaults(): Faults {
    return this.setFaults({ ...noFaults });
  }

  stats(): ProxyStats {
    return {
      connections: this.totals.connections,
      active: this.connections.size,
      cuts: this.totals.cuts,
      up: { ...this.totals.up },
      down: { ...this.totals.down },
      perConnection: this.records.map((r) => ({ ...r })),
    };
  }

  resetStats(): void {
    this.totals = { connections: 0, cuts: 0, up: emptyDirectionStats(), down: emptyDirectionStats() };
    this.records.length = 0;
  }

  /** Cut every open connection now (like a link drop that kills TCP sessions). Returns how many. */
  cutAll(mode: Faults["cutMode"] = this.faultsNow.cutMode): number {
    const open = [...this.connections].filter((c) => !c.closed);
    for (const conn of open) conn.cut("manual", mode);
    return open.length;
  }

  /** Stop listening and destroy every connection. */
  async close(): Promise<void> {
    for (const conn of this.connections) conn.abort();
    this.setFaults({ blackhole: false });
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** @internal called by Connection. */
  noteCut(conn: Connection): void {
    this.totals.cuts++;
    this.emit("cut", { id: conn.id, reason: conn.cutReason, up: conn.record.up, down: conn.record.down });
  }

  private whenNotBlackholed(): Promise<void> {
    if (!this.faultsNow.blackhole) return Promise.resolve();
    return new Promise((resolve) => this.blackholeWaiters.push(resolve));
  }

  private accept(client: Socket): void {
    const conn = new Connection(this, this.nextId++, client, this.options.seed);
    this.connections.add(conn);
    this.totals.connections++;
    this.records.push(conn.record);
    if (this.records.length > KEEP_CONNECTIONS) this.records.shift();
    this.emit("connection", { id: conn.id });
    client.setNoDelay(true);
    client.on("data", (chunk: Buffer) => this.receive(conn, conn.up, client, chunk));
    client.on("end", () => this.sourceEnded(conn.up));
    client.on("error", () => conn.abort());
    client.on("close", (hadError) => this.socketClosed(conn, hadError));
    void this.connectUpstream(conn);
    void this.pump(conn, conn.up);
    void this.pump(conn, conn.down);
  }

  private async connectUpstream(conn: Connection): Promise<void> {
    await this.whenNotBlackholed();
    if (conn.closed) return;
    const upstream = createConnection({
      host: this.options.targetHost,
      port: this.options.targetPort,
      allowHalfOpen: true,
    });
    conn.upstream = upstream;
    upstream.setNoDelay(true);
    let connected = false;
    upstream.once("connect", () => {
      connected = true;
      conn.up.notify();
    });
    upstream.on("data", (chunk: Buffer) => this.receive(conn, conn.down, upstream, chunk));
    upstream.on("end", () => this.sourceEnded(conn.down));
    upstream.on("error", () => {
      if (!connected) conn.cut("target-unreachable", "reset");
      else conn.abort();
    });
    upstream.on("close", (hadError) => this.socketClosed(conn, hadError));
  }

  private sourceEnded(pipe: Pipe): void {
    pipe.sourceEnded = true;
    pipe.notify();
  }

  private socketClosed(conn: Connection, hadError: boolean): void {
    // A reset peer cannot take more bytes: drop the other side too, as a real link would.
    if (hadError) conn.abort();
    if (conn.client.destroyed && (conn.upstream === undefined || conn.upstream.destroyed)) this.forget(conn);
  }

  private forget(conn: Connection): void {
    conn.closed = true;
    this.connections.delete(conn);
    conn.up.notify();
    conn.down.notify();
  }

  /** Apply position-based faults to arriving bytes and queue them with their delivery time. */
  private receive(conn: Connection, pipe: Pipe, source: Socket, chunk: Buffer): void {
    if (conn.closed) return;
    const f = this.faultsNow;
    const totals = this.totals[pipe.dir];
    totals.bytesIn += chunk.length;
    const faulted = f.direction === "both" || f.direction === pipe.dir;
    const now = Date.now();
    const data = chunk;
    let position = 0;
    while (position < data.length && !this.cutQueued(pipe)) {
      // Pieces never straddle a 16 KiB unit boundary of the stream.
      const offset = pipe.offset;
      const end = Math.min(data.length, position + (UNIT - (offset % UNIT)));
      let piece = Buffer.from(data.subarray(position, end));
      // One loss draw per unit boundary inside this piece: positions, not chunking, decide.
      let stallMs = 0;
      if (f.loss > 0) {
        const units =
          Math.floor((offset + (end - position) - 1) / f.lossUnitBytes) -
          Math.floor((offset - 1) / f.lossUnitBytes);
        for (let i = 0; i < units; i++) {
          if (pipe.lossRandom() < f.loss) {
            stallMs += f.stallMs;
            totals.stalls++;
          }
        }
      }
      let cutReason: string | undefined;
      if (faulted) {
        this.corrupt(pipe, piece, offset, f, totals);
        // Random resets at offsets, then a hard cap per connection.
        if (f.resetPerMB !== pipe.resetRateUsed) {
          pipe.resetRateUsed = f.resetPerMB;
          pipe.nextResetAt =
            f.resetPerMB > 0
              ? offset + exponentialGap(pipe.resetRandom, f.resetPerMB, 1024 * 1024)
              : Number.POSITIVE_INFINITY;
        }
        let keep = piece.length;
        if (pipe.nextResetAt < offset + keep) {
          keep = pipe.nextResetAt - offset;
          cutReason = "reset";
        }
        if (f.cutAfterBytes > 0 && conn.countedBytes + keep >= f.cutAfterBytes) {
          keep = Math.max(0, f.cutAfterBytes - conn.countedBytes);
          cutReason = "cut-after-bytes";
        }
        if (keep < piece.length) piece = piece.subarray(0, keep);
        conn.countedBytes += keep;
      }
      const jitter = f.jitterMs > 0 ? pipe.jitterRandom() * f.jitterMs : 0;
      const deliverAt = Math.max(now + f.delayMs + jitter + stallMs, pipe.lastDeliverAt + stallMs);
      pipe.lastDeliverAt = deliverAt;
      pipe.queue.push({ data: piece, deliverAt, ...(cutReason ? { cutReason } : {}) });
      pipe.queuedBytes += piece.length;
      pipe.offset += end - position;
      position = end;
    }
    if (pipe.queuedBytes > HIGH_WATER) source.pause();
    pipe.notify();
  }

  private cutQueued(pipe: Pipe): boolean {
    const last = pipe.queue[pipe.queue.length - 1];
    return last?.cutReason !== undefined;
  }

  private corrupt(pipe: Pipe, piece: Buffer, offset: number, f: Faults, totals: DirectionStats): void {
    if (f.corruptPerKB !== pipe.flipRateUsed) {
      pipe.flipRateUsed = f.corruptPerKB;
      pipe.nextFlipAt =
        f.corruptPerKB > 0
          ? offset + exponentialGap(pipe.flipRandom, f.corruptPerKB, 1024) - 1
          : Number.POSITIVE_INFINITY;
    }
    while (pipe.nextFlipAt < offset + piece.length) {
      const at = pipe.nextFlipAt - offset;
      piece[at] = piece[at]! ^ (1 << Math.floor(pipe.flipRandom() * 8));
      totals.bitFlips++;
      pipe.nextFlipAt += exponentialGap(pipe.flipRandom, f.corruptPerKB, 1024);
    }
  }

  /** Deliver one direction in order: wait for latency, blackhole and bandwidth, then write. */
  private async pump(conn: Connection, pipe: Pipe): Promise<void> {
    const totals = () => this.totals[pipe.dir];
    for (;;) {
      if (conn.closed) return;
      const dest = pipe.dir === "up" ? conn.upstream : conn.client;
      const item = pipe.queue[0];
      const destReady = dest !== undefined && !dest.connecting;
      if (!item || !destReady) {
        if (!item && pipe.sourceEnded && destReady) {
          dest.end();
          return;
        }
        await new Promise<void>((resolve) => {
          pipe.wake = resolve;
        });
        continue;
      }
      const wait = item.deliverAt - Date.now();
      if (wait > 0) await sleep(wait);
      await this.whenNotBlackholed();
      const rate = this.faultsNow.rateBytesPerSec;
      if (rate > 0) {
        const start = Math.max(Date.now(), this.linkFreeAt[pipe.dir]);
        this.linkFreeAt[pipe.dir] = start + (item.data.length / rate) * 1000;
        const busy = this.linkFreeAt[pipe.dir] - Date.now();
        if (busy >= 1) await sleep(busy);
      }
      if (conn.closed) return;
      pipe.queue.shift();
      pipe.queuedBytes -= item.data.length;
      const source = pipe.dir === "up" ? conn.client : conn.upstream;
      if (pipe.queuedBytes < LOW_WATER && source?.isPaused()) source.resume();
      if (item.data.length > 0) {
        // The callback fires once the bytes reach the kernel: a slow receiver holds the pump back.
        const flushed = await new Promise<boolean>((resolve) =>
          dest.write(item.data, (err) => resolve(!err)),
        );
        if (!flushed) {
          conn.abort();
          return;
        }
        totals().bytesOut += item.data.length;
        if (pipe.dir === "up") conn.record.up += item.data.length;
        else conn.record.down += item.data.length;
      }
      if (item.cutReason) {
        conn.cut(item.cutReason, this.faultsNow.cutMode);
        return;
      }
    }
  }
}

function validateFaults(f: Faults): Faults {
  const nonNegative = [
    "delayMs",
    "jitterMs",
    "stallMs",
    "resetPerMB",
    "corruptPerKB",
    "rateBytesPerSec",
    "cutAfterBytes",
  ] as const;
  for (const key of nonNegative) {
    if (typeof f[key] !== "number" || !Number.isFinite(f[key]) || f[key] < 0) {
      throw new Error(`fault ${key} must be a finite number ≥ 0, got ${String(f[key])}`);
    }
  }
  if (!Number.isInteger(f.lossUnitBytes) || f.lossUnitBytes < 1) {
    throw new Error(`fault lossUnitBytes must be a whole number ≥ 1, got ${String(f.lossUnitBytes)}`);
  }
  if (typeof f.loss !== "number" || !(f.loss >= 0 && f.loss <= 1))
    throw new Error(`fault loss must be in [0, 1], got ${String(f.loss)}`);
  if (!["up", "down", "both"].includes(f.direction))
    throw new Error(`fault direction must be up, down or both, got ${String(f.direction)}`);
  if (!["reset", "close"].includes(f.cutMode))
    throw new Error(`fault cutMode must be reset or close, got ${String(f.cutMode)}`);
  if (typeof f.blackhole !== "boolean")
    throw new Error(`fault blackhole must be true or false, got ${String(f.blackhole)}`);
  const known = new Set(Object.keys(noFaults));
  for (const key of Object.keys(f)) if (!known.has(key)) throw new Error(`unknown fault ${key}`);
  return f;
}

/** "125000" (bytes/s), "800kbit", "1mbit", "1.5gbit", "64kbps" (kilobytes/s, as tc writes it). */
export function parseRate(text: string): number {
  const m = text.trim().match(/^(\d+(?:\.\d+)?)\s*(|bit|kbit|mbit|gbit|bps|kbps|mbps)$/i);
  if (!m)
    throw new Error(
      `rate ${JSON.stringify(text)} not understood: use bytes/s or e.g. 1mbit, 500kbit, 64kbps`,
    );
  const value = Number(m[1]);
  const unit = (m[2] ?? "").toLowerCase();
  const factor: Record<string, number> = {
    "": 1,
    bps: 1,
    kbps: 1000,
    mbps: 1_000_000,
    bit: 1 / 8,
    kbit: 1000 / 8,
    mbit: 1_000_000 / 8,
    gbit: 1_000_000_000 / 8,
  };
  return value * factor[unit]!;
}

function parseHostPort(text: string, what: string): { host: string; port: number } {
  const m = text.match(/^\[?([^\]]+?)\]?:(\d+)$/);
  if (!m) throw new Error(`${what} must be HOST:PORT, got ${JSON.stringify(text)}`);
  return { host: m[1]!, port: Number(m[2]) };
}

/** Script entry: flags set the initial faults; stdin JSON lines change them at run time. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      listen: { type: "string", default: "127.0.0.1:0" },
      target: { type: "string" },
      seed: { type: "string", default: "1" },
      "delay-ms": { type: "string" },
      "jitter-ms": { type: "string" },
      loss: { type: "string" },
      "stall-ms": { type: "string" },
      "loss-unit-bytes": { type: "string" },
      "reset-per-mb": { type: "string" },
      "corrupt-per-kb": { type: "string" },
      direction: { type: "string" },
      rate: { type: "string" },
      "cut-after-bytes": { type: "string" },
      "cut-mode": { type: "string" },
      blackhole: { type: "boolean" },
    },
  });
  if (!values.target) throw new Error("--target HOST:PORT is required");
  const listen = parseHostPort(values.listen, "--listen");
  const target = parseHostPort(values.target, "--target");
  const faults: Partial<Faults> = {};
  const num = (flag: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`--${flag} must be a number, got ${JSON.stringify(v)}`);
    return n;
  };
  const setNum = (key: keyof Faults, flag: string, v: string | undefined) => {
    const n = num(flag, v);
    if (n !== undefined) (faults as Record<string, unknown>)[key] = n;
  };
  setNum("delayMs", "delay-ms", values["delay-ms"]);
  setNum("jitterMs", "jitter-ms", values["jitter-ms"]);
  setNum("loss", "loss", values.loss);
  setNum("stallMs", "stall-ms", values["stall-ms"]);
  setNum("lossUnitBytes", "loss-unit-bytes", values["loss-unit-bytes"]);
  setNum("resetPerMB", "reset-per-mb", values["reset-per-mb"]);
  setNum("corruptPerKB", "corrupt-per-kb", values["corrupt-per-kb"]);
  setNum("cutAfterBytes", "cut-after-bytes", values["cut-after-bytes"]);
  if (values.rate !== undefined) faults.rateBytesPerSec = parseRate(values.rate);
  if (values.direction !== undefined) faults.direction = values.direction as Directions;
  if (values["cut-mode"] !== undefined) faults.cutMode = values["cut-mode"] as Faults["cutMode"];
  if (values.blackhole) faults.blackhole = true;

  const proxy = await FaultProxy.start({
    listenHost: listen.host,
    listenPort: listen.port,
    targetHost: target.host,
    targetPort: target.port,
    seed: num("seed", values.seed) ?? 1,
    faults,
  });
  const print = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
  print({
    event: "listening",
    host: proxy.host,
    port: proxy.port,
    target: values.target,
    faults: proxy.faults,
  });

  createInterface({ input: process.stdin }).on("line", (line) => {
    if (!line.trim()) return;
    let id: unknown = null;
    try {
      const msg = JSON.parse(line) as { id?: unknown; cmd?: string; faults?: Partial<Faults> };
      id = msg.id ?? null;
      switch (msg.cmd) {
        case "set":
          print({ id, ok: true, faults: proxy.setFaults(msg.faults ?? {}) });
          break;
        case "stats":
          print({ id, ok: true, stats: proxy.stats() });
          break;
        case "reset-stats":
          proxy.resetStats();
          print({ id, ok: true });
          break;
        case "cut-all":
          print({ id, ok: true, cut: proxy.cutAll() });
          break;
        default:
          throw new Error(`unknown cmd ${JSON.stringify(msg.cmd)}: use set, stats, reset-stats or cut-all`);
      }
    } catch (err) {
      print({ id, ok: false, error: err instanceof Error ? err.message : String(err) });
    }
  });
  process.on("SIGUSR1", () =>
    print({ event: "faults", faults: proxy.setFaults({ blackhole: !proxy.faults.blackhole }) }),
  );
  process.on("SIGUSR2", () => print({ event: "cut-all", cut: proxy.cutAll() }));
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      void proxy.close().then(() => process.exit(0));
    });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`fault-proxy: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  });
}

// The in-process fault proxy: intact forwarding, corruption, cuts, latency, stalls, rate cap,
// blackhole, determinism by seed and the script's control channel. All on loopback.
import { createHash } from "node:crypto";
import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { assertContainedAddress, FaultProxy, type Faults, parseRate } from "../support/fault-proxy.js";
import { RemoteFaultProxy } from "../support/fault-proxy-remote.js";
import { Cleanups, makePayload } from "../support/procs.js";
import { WAIT_LIMIT_MS } from "../support/wait.js";

const md5 = (b: Buffer) => createHash("md5").update(b).digest("hex");
const MB = 1024 * 1024;
const payload5 = makePayload(5 * MB, 42);
const cleanups = new Cleanups();

/** A raw TCP target: "GET <n>\n" sends the first n bytes of the 5 MB payload; anything else is echoed. */
let target: Server;
let targetPort: number;
let targetConnections = 0;

beforeAll(async () => {
  target = createServer((socket) => {
    targetConnections++;
    socket.on("error", () => undefined);
    let head = "";
    socket.on("data", (chunk: Buffer) => {
      head += chunk.toString("latin1");
      const m = head.match(/^GET (\d+)\n/);
      if (m) {
        socket.end(payload5.subarray(0, Number(m[1])));
        head = "";
      } else if (!head.startsWith("G")) {
        socket.write(chunk);
        head = "";
      }
    });
  });
  await new Promise<void>((r) => target.listen(0, "127.0.0.1", r));
  targetPort = (target.address() as AddressInfo).port;
  cleanups.add("target", () => new Promise<void>((r) => target.close(() => r())));
});

afterAll(() => cleanups.run());

async function startProxy(faults: Partial<Faults> = {}, seed = 7): Promise<FaultProxy> {
  const proxy = await FaultProxy.start({ targetHost: "127.0.0.1", targetPort, seed, faults });
  cleanups.add("proxy", () => proxy.close());
  return proxy;
}

interface Download {
  data: Buffer;
  error: string | null;
  ms: number;
}

/** Ask for `size` bytes through `port` and collect them until the end or an error. */
function download(port: number, size: number): Promise<Download> {
  const started = performance.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, "127.0.0.1", () => socket.write(`GET ${size}\n`));
    let error: string | null = null;
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", (err: NodeJS.ErrnoException) => {
      error = err.code ?? err.message;
    });
    socket.on("close", () =>
      resolve({ data: Buffer.concat(chunks), error, ms: performance.now() - started }),
    );
  });
}

/** Open an echo connection through the proxy. */
async function openEcho(port: number): Promise<Socket> {
  const socket = connect(port, "127.0.0.1");
  socket.on("error", () => undefined);
  await new Promise((r) => socket.once("connect", r));
  return socket;
}

/** Send `text` and resolve with the echoed reply and the round-trip time, or null after `timeoutMs`. */
function roundTrip(
  socket: Socket,
  text: string,
  timeoutMs = WAIT_LIMIT_MS,
): Promise<{ reply: string; ms: number } | null> {
  return new Promise((resolve) => {
    const started = performance.now();
    let reply = "";
    const timer = setTimeout(() => {
      socket.off("data", onData);
      resolve(null);
    }, timeoutMs);
    function onData(chunk: Buffer) {
      reply += chunk.toString();
      if (reply.length >= text.length) {
        clearTimeout(timer);
        socket.off("data", onData);
        resolve({ reply, ms: performance.now() - started });
      }
    }
    socket.on("data", onData);
    socket.write(text);
  });
}

describe("fault proxy (in-process)", () => {
  test("forwards a 5 MB payload intact without faults and counts bytes both ways", async () => {
    const proxy = await startProxy();
    const result = await download(proxy.port, payload5.length);
    expect(result.error).toBeNull();
    expect(result.data.length).toBe(payload5.length);
    expect(md5(result.data)).toBe(md5(payload5));
    const stats = proxy.stats();
    expect(stats.down.bytesOut).toBe(payload5.length);
    expect(stats.up.bytesOut).toBe(`GET ${payload5.length}\n`.length);
    expect(stats.connections).toBe(1);
    expect(stats.cuts).toBe(0);
    expect(stats.perConnection[0]).toMatchObject({ down: payload5.length, cut: null });
  });

  test("corruption flips single bits server→client: same length, MD5 differs, deterministic per seed", async () => {
    const runOnce = async (seed: number) => {
      const proxy = await startProxy({ corruptPerKB: 0.25 }, seed);
      const result = await download(proxy.port, payload5.length);
      const flipped: number[] = [];
      for (let i = 0; i < result.data.length; i++) {
        if (result.data[i] !== payload5[i]) {
          flipped.push(i);
          // Exactly one bit differs at each flipped byte.
          const x = result.data[i]! ^ payload5[i]!;
          expect(x & (x - 1)).toBe(0);
        }
      }
      return { result, flipped, stats: proxy.stats() };
    };
    const a = await runOnce(11);
    expect(a.result.error).toBeNull();
    expect(a.result.data.length).toBe(payload5.length);
    expect(md5(a.result.data)).not.toBe(md5(payload5));
    expect(a.flipped.length).toBe(a.stats.down.bitFlips);
    // 0.25 per KiB over 5 MiB: about 1280 flips.
    expect(a.flipped.length).toBeGreaterThan(900);
    expect(a.flipped.length).toBeLessThan(1700);
    expect(a.stats.up.bitFlips).toBe(0);
    const again = await runOnce(11);
    expect(again.flipped).toEqual(a.flipped);
    const other = await runOnce(12);
    expect(other.flipped).not.toEqual(a.flipped);
  });

  test("corruption leaves the client→server direction alone by default and can target it", async () => {
    const proxy = await startProxy({ corruptPerKB: 50 });
    const echo = await openEcho(proxy.port);
    const text = "x".repeat(4096);
    // Corrupted on the way back only.
    const down = await roundTrip(echo, text);
    expect(down?.reply.length).toBe(text.length);
    expect(down?.reply).not.toBe(text);
    expect(proxy.stats().up.bitFlips).toBe(0);
    proxy.setFaults({ direction: "up" });
    const up = await roundTrip(echo, text);
    expect(up?.reply).not.toBe(text);
    expect(proxy.stats().up.bitFlips).toBeGreaterThan(0);
    echo.destroy();
  });

  test("cutAfterBytes: close mode delivers exactly N bytes then FIN; reset mode resets after at most N", async () => {
    const n = 300_000;
    const proxy = await startProxy({ cutAfterBytes: n, cutMode: "close" });
    const closed = await download(proxy.port, payload5.length);
    expect(closed.error).toBeNull();
    expect(closed.data.length).toBe(n);
    expect(closed.data.equals(payload5.subarray(0, n))).toBe(true);
    expect(proxy.stats().perConnection[0]).toMatchObject({ down: n, cut: "cut-after-bytes" });

    proxy.setFaults({ cutMode: "reset" });
    const reset = await download(proxy.port, payload5.length);
    expect(reset.error).toBe("ECONNRESET");
    expect(reset.data.length).toBeLessThanOrEqual(n);
    expect(reset.data.equals(payload5.subarray(0, reset.data.length))).toBe(true);
    expect(proxy.stats().cuts).toBe(2);
  });

  test("random resets land at seeded byte offsets", async () => {
    const offsets = async (seed: number) => {
      const proxy = await startProxy({ resetPerMB: 1, cutMode: "close" }, seed);
      const result: number[] = [];
      for (let i = 0; i < 3; i++) result.push((await download(proxy.port, payload5.length)).data.length);
      return result;
    };
    const a = await offsets(3);
    // Cut somewhere inside the payload on (almost) every try; with a mean of 1 MiB, 5 MiB rarely survives.
    expect(a.filter((len) => len < payload5.length).length).toBeGreaterThanOrEqual(2);
    expect(await offsets(3)).toEqual(a);
    expect(await offsets(4)).not.toEqual(a);
  });

  test("delay adds latency both ways", async () => {
    const proxy = await startProxy();
    const echo = await openEcho(proxy.port);
    expect((await roundTrip(echo, "warm-up"))?.reply).toBe("warm-up");
    proxy.setFaults({ delayMs: 120 });
    const slow = await roundTrip(echo, "ping");
    expect(slow?.reply).toBe("ping");
    // One delay each way: a lower bound, which load can only make easier to meet.
    expect(slow!.ms).toBeGreaterThanOrEqual(2 * 120 * 0.9);
    echo.destroy();
  });

  test("jitter and loss stalls keep the byte stream ordered and intact; stalls are counted by seed", async () => {
    const runOnce = async (lossUnitBytes = 16 * 1024) => {
      const proxy = await startProxy({ jitterMs: 15, loss: 0.3, stallMs: 20, lossUnitBytes }, 99);
      const result = await download(proxy.port, MB);
      return { result, stats: proxy.stats() };
    };
    const a = await runOnce();
    expect(a.result.error).toBeNull();
    expect(md5(a.result.data)).toBe(md5(payload5.subarray(0, MB)));
    // 64 units of 16 KiB at 0.3: about 19 stalls.
    expect(a.stats.down.stalls).toBeGreaterThan(5);
    expect(a.stats.down.stalls).toBeLessThan(40);
    const b = await runOnce();
    expect(b.stats.down.stalls).toBe(a.stats.down.stalls);
    // Bigger loss units: fewer draws (8 units of 128 KiB).
    const coarse = await runOnce(128 * 1024);
    expect(md5(coarse.result.data)).toBe(md5(payload5.subarray(0, MB)));
    expect(coarse.stats.down.stalls).toBeLessThanOrEqual(8);
  });

  test("rate cap holds a 1 MB transfer to the configured rate", async () => {
    const proxy = await startProxy();
    const rate = parseRate("16mbit"); // 2 MB/s
    proxy.setFaults({ rateBytesPerSec: rate });
    const capped = await download(proxy.port, MB);
    expect(md5(capped.data)).toBe(md5(payload5.subarray(0, MB)));
    // Never faster than the cap allows (plus one 16 KiB unit of slack): a bound load cannot
    // break, unlike a ratio to an uncapped run that a busy machine slows down too.
    expect((MB - 16 * 1024) / (capped.ms / 1000)).toBeLessThanOrEqual(rate * 1.05);
  });

  test("blackhole accepts but forwards nothing until lifted; cutAll resets open connections", async () => {
    const proxy = await startProxy({ blackhole: true });
    const before = targetConnections;
    const echo = await openEcho(proxy.port);
    expect(await roundTrip(echo, "anyone?", 400)).toBeNull();
    expect(targetConnections).toBe(before);
    proxy.setFaults({ blackhole: false });
    const later = await new Promise<string>((resolve) =>
      echo.once("data", (c: Buffer) => resolve(c.toString())),
    );
    expect(later).toBe("anyone?");
    expect(targetConnections).toBe(before + 1);

    const closed = new Promise<string>((resolve) => {
      echo.once("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? "error"));
      echo.once("close", () => resolve("closed"));
    });
    expect(proxy.cutAll("reset")).toBe(1);
    expect(await closed).toBe("ECONNRESET");
  });

  test("a target that is down looks like a reset connection", async () => {
    const spare = createServer();
    await new Promise<void>((r) => spare.listen(0, "127.0.0.1", r));
    const deadPort = (spare.address() as AddressInfo).port;
    await new Promise<void>((r) => spare.close(() => r()));
    const proxy = await FaultProxy.start({ targetHost: "127.0.0.1", targetPort: deadPort });
    cleanups.add("dead proxy", () => proxy.close());
    const result = await download(proxy.port, 10);
    expect(result.data.length).toBe(0);
    expect(result.error).toBe("ECONNRESET");
    expect(proxy.stats().perConnection[0]?.cut).toBe("target-unreachable");
  });

  test("bad settings are refused with the name of the setting; only contained addresses", async () => {
    const proxy = await startProxy();
    expect(() => proxy.setFaults({ loss: 1.5 })).toThrow(/loss/);
    expect(() => proxy.setFaults({ delayMs: -1 })).toThrow(/delayMs/);
    expect(() => proxy.setFaults({ direction: "sideways" as Faults["direction"] })).toThrow(/direction/);
    expect(() => proxy.setFaults({ nonsense: 1 } as Partial<Faults>)).toThrow(/unknown fault nonsense/);
    expect(proxy.faults.loss).toBe(0);
    expect(() => assertContainedAddress("192.0.2.1", "target")).toThrow(/not allowed/);
    expect(() => assertContainedAddress("10.200.3.1", "target")).not.toThrow();
    await expect(FaultProxy.start({ targetHost: "203.0.113.9", targetPort: 80 })).rejects.toThrow(
      /not allowed/,
    );
    expect(parseRate("1mbit")).toBe(125_000);
    expect(parseRate("64kbps")).toBe(64_000);
    expect(() => parseRate("fast")).toThrow(/rate/);
  });
});

describe("fault proxy (as a script, driven over stdin)", () => {
  test("forwards, applies faults set at run time, reports stats, refuses bad commands", async () => {
    const remote = await RemoteFaultProxy.start({ target: `127.0.0.1:${targetPort}`, seed: 5 });
    cleanups.add("remote proxy", () => remote.stop());
    const clean = await download(remote.port, MB);
    expect(md5(clean.data)).toBe(md5(payload5.subarray(0, MB)));

    const faults = await remote.setFaults({ corruptPerKB: 1, cutAfterBytes: 200_000, cutMode: "close" });
    expect(faults).toMatchObject({ corruptPerKB: 1, cutAfterBytes: 200_000 });
    const faulty = await download(remote.port, MB);
    expect(faulty.data.length).toBe(200_000);
    expect(faulty.data.equals(payload5.subarray(0, 200_000))).toBe(false);

    const stats = await remote.stats();
    expect(stats.connections).toBe(2);
    expect(stats.down.bytesOut).toBe(MB + 200_000);
    expect(stats.down.bitFlips).toBeGreaterThan(50);
    expect(stats.perConnection[1]?.cut).toBe("cut-after-bytes");
    await expect(remote.setFaults({ loss: 7 })).rejects.toThrow(/loss/);
    await remote.resetStats();
    expect((await remote.stats()).connections).toBe(0);
    await remote.stop();
    expect(remote.process.exit?.code).toBe(0);
  });
});

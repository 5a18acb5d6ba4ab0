// Network namespaces joined by a veth: talking across it, link down/up, tc tbf rate caps,
// kill -9 of processes inside, the fault proxy running as a script inside a namespace, and
// cleanup. Skips with the reason where namespaces cannot be created (not root, no ip netns).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RemoteFaultProxy } from "../support/fault-proxy-remote.js";
import {
  execInNamespace,
  httpGetInNamespace,
  NetnsPair,
  type NsHttpResult,
  netnsAvailable,
  tbfAvailable,
} from "../support/netns.js";
import { Cleanups, type ManagedProcess, makePayload } from "../support/procs.js";
import { waitFor } from "../support/wait.js";

const availability = await netnsAvailable();
const tbf = availability.ok ? await tbfAvailable() : availability;
if (!availability.ok) console.warn(`netns harness tests skipped: ${availability.reason}`);

const md5 = (b: Buffer) => createHash("md5").update(b).digest("hex");
const MB = 1024 * 1024;
const cleanups = new Cleanups();
let pair: NetnsPair;
let server: ManagedProcess;
let serverUrl: string;

const namespaces = () => execFileSync("ip", ["netns", "list"], { encoding: "utf8" });

/** Retry a GET from the agent namespace until it succeeds (links take a moment to come back). */
function getUntilOk(url: string): Promise<NsHttpResult> {
  return waitFor(async () => {
    const result = await httpGetInNamespace(pair.agent, url, 5_000);
    return result.ok ? result : undefined;
  }, `GET ${url} to succeed again after link up`);
}

describe.skipIf(!availability.ok)(
  `namespaces and veth${availability.ok ? "" : ` (skipped: ${availability.reason})`}`,
  () => {
    beforeAll(async () => {
      pair = await NetnsPair.create();
      cleanups.add("netns pair", () => pair.destroy());
      server = pair.spawnTs("master", "test/support/payload-server.ts", ["--host", pair.masterIp]);
      const { line } = await server.waitForLine(/"event":"listening"/);
      serverUrl = `http://${pair.masterIp}:${(JSON.parse(line) as { port: number }).port}`;
    });

    afterAll(() => cleanups.run());

    test("the agent namespace fetches from a server in the master namespace over the veth", async () => {
      expect(namespaces()).toContain(pair.master);
      expect(namespaces()).toContain(pair.agent);
      const result = await httpGetInNamespace(pair.agent, `${serverUrl}/bytes/${MB}?seed=3`);
      expect(result).toMatchObject({ ok: true, status: 200, bytes: MB, md5: md5(makePayload(MB, 3)) });
      // The master namespace has only its own addresses: the root namespace's loopback services are not there.
      const own = await pair.exec("master", "ip", ["-o", "-4", "addr", "show"]);
      expect(own.stdout).toContain(`${pair.masterIp}/30`);
      expect(own.stdout).not.toContain(pair.agentIp);
      await expect(execInNamespace(pair.agent, "false")).rejects.toThrow(
        /in namespace hc-a-\d+-\w+: false {2}failed \(code 1\)/,
      );
    });

    test("link down makes requests fail on either side; link up restores them", async () => {
      const url = `${serverUrl}/hello`;
      expect((await httpGetInNamespace(pair.agent, url)).ok).toBe(true);

      await pair.linkDown("agent");
      expect(await pair.isUp("agent")).toBe(false);
      const agentDown = await httpGetInNamespace(pair.agent, url, 1_500);
      expect(agentDown.ok).toBe(false);
      expect(agentDown.error).toMatch(/ENETUNREACH|Timeout|ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT/);
      await pair.linkUp();
      expect(await getUntilOk(url)).toMatchObject({ ok: true, status: 200, bytes: 5 });

      // Master side down: the agent still has a route but packets vanish, so the request stalls out.
      await pair.linkDown("master");
      const masterDown = await httpGetInNamespace(pair.agent, url, 1_500);
      expect(masterDown.ok).toBe(false);
      expect(masterDown.error).toMatch(/Timeout|ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|EHOSTUNREACH/);
      await pair.linkUp();
      expect(await getUntilOk(url)).toMatchObject({ ok: true, status: 200 });
    });

    test("a transfer stalled by a short link drop completes intact after link up", async () => {
      // Cap the rate so the transfer is still running when the link goes down.
      await pair.rateLimit("master", { rate: "16mbit" });
      try {
        const size = 2 * MB;
        let finished = false;
        const from = server.lines.length;
        const pending = httpGetInNamespace(pair.agent, `${serverUrl}/bytes/${size}?seed=9`, 20_000).finally(
          () => {
            finished = true;
          },
        );
        // The server has the request: at 16 mbit/s the 2 MB answer takes over a second, so
        // the link goes down mid-transfer.
        await server.waitForLine(/"path":"\/bytes\/2097152\?seed=9"/, { from });
        expect(finished).toBe(false);
        await pair.outage("both", 700);
        const result = await pending;
        expect(result).toMatchObject({ ok: true, bytes: size, md5: md5(makePayload(size, 9)) });
      } finally {
        await pair.clearRateLimit("master");
      }
    });

    test.skipIf(!tbf.ok)("tc tbf caps a 1 MB transfer at 8 mbit/s", async () => {
      const url = `${serverUrl}/bytes/${MB}?seed=4`;
      await httpGetInNamespace(pair.agent, url); // warm the server's payload cache
      await pair.rateLimit("master", { rate: "8mbit", burst: "32kbit", latency: "400ms" });
      try {
        const capped = await httpGetInNamespace(pair.agent, url);
        expect(capped).toMatchObject({ ok: true, bytes: MB, md5: md5(makePayload(MB, 4)) });
        // Never faster than 8 mbit/s (1 MB/s) beyond the burst: a bound that load cannot
        // break (a busy machine only makes it slower), unlike a ratio to an uncapped run.
        expect(MB / (capped.ms / 1000)).toBeLessThanOrEqual(1_000_000 * 1.1);
        const qdisc = await pair.exec("master", "tc", ["qdisc", "show", "dev", pair.masterDev]);
        expect(qdisc.stdout).toMatch(/tbf .*rate 8Mbit/);
      } finally {
        await pair.clearRateLimit("master");
      }
      const qdisc = await pair.exec("master", "tc", ["qdisc", "show", "dev", pair.masterDev]);
      expect(qdisc.stdout).not.toMatch(/tbf/);
    });

    test("the fault proxy runs as a script inside the agent namespace and corrupts on command", async () => {
      const proxy = await RemoteFaultProxy.start({
        netns: pair.agent,
        target: `${pair.masterIp}:${new URL(serverUrl).port}`,
        seed: 8,
      });
      pair.track(proxy.process);
      const url = `${proxy.url}/bytes/${MB}?seed=5`;
      const clean = await httpGetInNamespace(pair.agent, url);
      expect(clean).toMatchObject({ ok: true, bytes: MB, md5: md5(makePayload(MB, 5)) });

      await proxy.setFaults({ corruptPerKB: 0.5 });
      const corrupted = await httpGetInNamespace(pair.agent, url);
      // Flip positions are fixed by the seed; with this one the HTTP head survives and the body does not.
      expect(corrupted).toMatchObject({ ok: true, status: 200, bytes: MB });
      expect(corrupted.md5).not.toBe(md5(makePayload(MB, 5)));
      const stats = await proxy.stats();
      expect(stats.down.bitFlips).toBeGreaterThan(100);
      expect(stats.down.bytesOut).toBeGreaterThan(2 * MB);

      // The root namespace cannot reach the proxy: it listens on the agent namespace's loopback.
      expect(proxy.host).toBe("127.0.0.1");
      proxy.process.kill("SIGKILL");
      expect((await proxy.process.exited).signal).toBe("SIGKILL");
    });

    test("kill -9 reaches the process itself (not an ip wrapper) and destroy() removes everything", async () => {
      const extra = await NetnsPair.create();
      try {
        const sleeper = extra.spawn("agent", process.execPath, [
          "-e",
          "console.log('up'); setInterval(() => {}, 1000)",
        ]);
        await sleeper.waitForLine(/^up$/);
        const inside = (await extra.exec("master", "ip", ["netns", "pids", extra.agent])).stdout.split(/\s+/);
        expect(inside).toContain(String(sleeper.pid));
        sleeper.kill("SIGKILL");
        expect(await sleeper.exited).toEqual({ code: null, signal: "SIGKILL" });
        // One more process left running for destroy() to kill.
        const lingering = extra.spawn("master", process.execPath, [
          "-e",
          "console.log('up'); setInterval(() => {}, 1000)",
        ]);
        await lingering.waitForLine(/^up$/);
        await extra.destroy();
        expect(lingering.running).toBe(false);
        expect(namespaces()).not.toContain(extra.master);
        expect(namespaces()).not.toContain(extra.agent);
      } finally {
        await extra.destroy();
      }
    });
  },
);

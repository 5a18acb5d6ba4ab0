// Listening on chosen addresses only (the Pi: the hotspot's and loopback, never the uplink's):
// a real server on two loopback addresses, a third loopback address standing in for the
// uplink network, which must be refused.
import { connect } from "node:net";
import Koa from "koa";
import { afterEach, describe, expect, it } from "vitest";
import { listen, listenAddresses, type RunningServer } from "../../src/http/listen.js";

const app = new Koa().use((ctx) => {
  ctx.body = `hello from ${ctx.req.socket.localAddress}`;
});

/** Whether a TCP connection to host:port is accepted. */
const accepts = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

let running: RunningServer | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

describe("listen on a list of addresses", () => {
  it("splits a comma-separated host setting", () => {
    expect(listenAddresses("10.42.0.1, 127.0.0.1,")).toEqual(["10.42.0.1", "127.0.0.1"]);
    expect(listenAddresses("0.0.0.0")).toEqual(["0.0.0.0"]);
  });

  it("answers on each listed address with one port, and not on another address of the machine", async () => {
    running = await listen(app, "127.0.0.2,127.0.0.1", 0);
    const port = Number(new URL(running.url).port);
    // Loopback is named in the URL when it is one of the addresses.
    expect(running.url).toBe(`http://127.0.0.1:${port}`);
    const first = await fetch(`http://127.0.0.2:${port}/`);
    expect(await first.text()).toBe("hello from 127.0.0.2");
    const second = await fetch(`http://127.0.0.1:${port}/`);
    expect(await second.text()).toBe("hello from 127.0.0.1");
    // 127.0.0.3 plays the uplink network: a local address the server was not given.
    expect(await accepts("127.0.0.3", port)).toBe(false);
  });

  it("closes every address, and a bad address fails the whole listen", async () => {
    const one = await listen(app, "127.0.0.1,127.0.0.2", 0);
    const port = Number(new URL(one.url).port);
    await one.close();
    expect(await accepts("127.0.0.1", port)).toBe(false);
    expect(await accepts("127.0.0.2", port)).toBe(false);
    // 192.0.2.1 (TEST-NET) is on no interface here; the first address is released again.
    await expect(listen(app, "127.0.0.1,192.0.2.1", port)).rejects.toMatchObject({ code: "EADDRNOTAVAIL" });
    running = await listen(app, "127.0.0.1", port);
    expect(running.url).toBe(`http://127.0.0.1:${port}`);
    await expect(listen(app, "", 0)).rejects.toThrow("no address to listen on in ''");
  });
});

// One phone holding many idle connections cannot take the hotspot away from the others: the
// real hotspot app on loopback, one "phone" at 127.0.0.1 opening many silent sockets, a second
// one at 127.0.0.2 asking for the course list.
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "../agent/helpers.js";
import { hotspotOnLoopback, rawRequest } from "./helpers.js";

let hotspot: Awaited<ReturnType<typeof hotspotOnLoopback>>;
const sockets: Socket[] = [];
beforeAll(async () => {
  // Small numbers so the test is quick; the defaults are 48 per client and 10 s.
  hotspot = await hotspotOnLoopback([], {}, { perClient: 8, headersTimeoutMs: 1500 });
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await hotspot?.close();
});

/** Open a connection that never sends a byte; resolves once connected. */
function idleSocket(port: number): Promise<{ socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1", localAddress: "127.0.0.1" });
    sockets.push(socket);
    const closed = new Promise<void>((r) => socket.once("close", () => r()));
    socket.once("error", () => {});
    socket.once("connect", () => resolve({ socket, closed }));
    socket.once("close", () => reject(new Error("closed before connecting")));
  });
}

describe("connection cap and deadlines", () => {
  it("60 idle sockets from one client: all but 8 closed at once, a second client still gets /, the 8 time out", async () => {
    const port = Number(new URL(hotspot.url).port);
    const opened = await Promise.all(Array.from({ length: 60 }, () => idleSocket(port)));
    let closedCount = 0;
    for (const o of opened) void o.closed.then(() => closedCount++);
    await until(() => closedCount >= 52, "the server to close the sockets over the cap");
    expect(opened.filter((o) => !o.socket.destroyed)).toHaveLength(8);

    const other = await rawRequest(hotspot.url, "/", {}, "GET", "127.0.0.2");
    expect(other.status).toBe(200);
    expect(other.body).toContain("<!doctype html>");

    // Silent sockets do not get to wait forever for a first request.
    await until(() => closedCount === 60, "the idle sockets to time out");
    const back = await rawRequest(hotspot.url, "/", {}, "GET", "127.0.0.1");
    expect(back.status).toBe(200);
  });
});

// Start a Koa app on a limited server (limits.ts) and hand back its URL and a close().
// It can listen on several addresses at once (the Pi: the hotspot's and loopback, not the
// uplink's): one HTTP server, so the per-client and total caps cover all of them.
import type { Server } from "node:http";
import { type AddressInfo, createServer as createNetServer, type Server as NetServer } from "node:net";
import type Koa from "koa";
import { type ConnectionLimits, createLimitedServer } from "./limits.js";

export interface RunningServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** "10.42.0.1,127.0.0.1" → ["10.42.0.1", "127.0.0.1"]: the addresses of a host setting. */
export function listenAddresses(host: string): string[] {
  return host
    .split(",")
    .map((h) => h.trim())
    .filter((h) => h !== "");
}

const isLoopback = (host: string) => host === "127.0.0.1" || host === "::1";
const isWildcard = (host: string) => host === "0.0.0.0" || host === "::";

function bind(server: NetServer, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

const closed = (server: NetServer) => new Promise<void>((res) => server.close(() => res()));

/**
 * Listen on every address of `host` (comma-separated), all on one port (with port 0, the
 * one the first address got), with the per-client connection cap and short deadlines;
 * resolves once every address is bound. The URL names loopback when it is one of them.
 */
export async function listen(
  app: Koa,
  host: string,
  port: number,
  limits: Partial<ConnectionLimits> = {},
): Promise<RunningServer> {
  const [first, ...others] = listenAddresses(host);
  if (first === undefined) throw new Error(`no address to listen on in '${host}'`);
  // Phones on a weak link keep connections open; one of them must not pin the process.
  const server = createLimitedServer(app.callback(), limits);
  await bind(server, first, port);
  const bound = (server.address() as AddressInfo).port;
  // The other addresses hand their connections to the same HTTP server.
  const extra: NetServer[] = [];
  try {
    for (const address of others) {
      const listener = createNetServer((socket) => server.emit("connection", socket));
      listener.maxConnections = server.maxConnections;
      await bind(listener, address, bound);
      extra.push(listener);
    }
  } catch (err) {
    await Promise.all([server, ...extra].map(closed));
    throw err;
  }
  const all = [first, ...others];
  const named = all.find(isLoopback) ?? first;
  const shown = isWildcard(named) ? "127.0.0.1" : named.includes(":") ? `[${named}]` : named;
  return {
    url: `http://${shown}:${bound}`,
    server,
    close: async () => {
      const done = Promise.all([server, ...extra].map(closed));
      server.closeAllConnections();
      await done;
    },
  };
}

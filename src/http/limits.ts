// An HTTP server that one client cannot take over: a cap on the connections each client
// address may hold (and on all of them, below the process's file limit), a short deadline
// for a connection's first request and for every request's headers, and a deadline for a
// whole request. A phone that opens hundreds of idle sockets loses its extra ones at once
// and the rest after a few seconds; every other phone keeps being served.
import { createServer, type RequestListener, type Server } from "node:http";
import type { Socket } from "node:net";

export interface ConnectionLimits {
  /** Connections one client address may hold; more are closed as they arrive. */
  perClient: number;
  /** Connections in all (keep it well under LimitNOFILE). */
  total: number;
  /** A new connection's first request, and every request's headers, must arrive within this. */
  headersTimeoutMs: number;
  /** A whole request (headers and body) must arrive within this. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
}

/** A browser opens at most 6 connections per host; 48 leaves room for several apps on one phone. */
export const DEFAULT_LIMITS: ConnectionLimits = {
  perClient: 48,
  total: 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 10_000,
};

export function createLimitedServer(
  handler: RequestListener,
  limits: Partial<ConnectionLimits> = {},
): Server {
  const l = { ...DEFAULT_LIMITS, ...limits };
  const server = createServer(
    {
      headersTimeout: l.headersTimeoutMs,
      requestTimeout: Math.max(l.requestTimeoutMs, l.headersTimeoutMs),
      // Node checks both deadlines on this tick (default 30 s: far too coarse for a 10 s deadline).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, l.headersTimeoutMs / 4)),
    },
    handler,
  );
  server.keepAliveTimeout = l.keepAliveTimeoutMs;
  server.maxConnections = l.total;

  const perClient = new Map<string, number>();
  // Node's header deadline starts with the first byte: a socket that never sends one needs its own.
  const firstRequest = new WeakMap<Socket, ReturnType<typeof setTimeout>>();
  server.on("connection", (socket: Socket) => {
    const client = socket.remoteAddress ?? "unknown";
    const open = perClient.get(client) ?? 0;
    if (open >= l.perClient) {
      socket.destroy();
      return;
    }
    perClient.set(client, open + 1);
    const timer = setTimeout(() => socket.destroy(), l.headersTimeoutMs);
    timer.unref();
    firstRequest.set(socket, timer);
    socket.once("close", () => {
      clearTimeout(timer);
      const left = (perClient.get(client) ?? 1) - 1;
      if (left > 0) perClient.set(client, left);
      else perClient.delete(client);
    });
  });
  server.on("request", (req) => clearTimeout(firstRequest.get(req.socket)));
  return server;
}

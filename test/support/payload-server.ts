// Test support: a tiny HTTP server that serves deterministic payloads, runnable as a script
// inside a namespace: `node --import tsx test/support/payload-server.ts --host H [--port P]`.
// GET /bytes/<size>?seed=<n> returns makePayload(size, n); GET /hello returns "hello".
// Prints one JSON line {"event":"listening","host","port"} when ready, then {"event":"request","path"}
// for each request.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { makePayload } from "./procs.js";

const MAX_SIZE = 256 * 1024 * 1024;

export function createPayloadServer(onRequest?: (path: string) => void): Server {
  const cache = new Map<string, Buffer>();
  return createServer((req, res) => {
    onRequest?.(req.url ?? "/");
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/hello") {
      res.end("hello");
      return;
    }
    const match = url.pathname.match(/^\/bytes\/(\d+)$/);
    const size = Number(match?.[1]);
    if (!match || size > MAX_SIZE) {
      res.statusCode = 404;
      res.end("not found");
      return;
    }
    const seed = Number(url.searchParams.get("seed") ?? "1");
    const key = `${size}:${seed}`;
    let body = cache.get(key);
    if (!body) {
      body = makePayload(size, seed);
      cache.set(key, body);
    }
    res.setHeader("content-type", "application/octet-stream");
    res.setHeader("content-length", String(body.length));
    res.end(body);
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { host: { type: "string", default: "127.0.0.1" }, port: { type: "string", default: "0" } },
  });
  // One line per request: tests wait for it to know a transfer has really started.
  const server = createPayloadServer((path) =>
    process.stdout.write(`${JSON.stringify({ event: "request", path })}\n`),
  );
  server.listen(Number(values.port), values.host, () => {
    const address = server.address() as AddressInfo;
    process.stdout.write(
      `${JSON.stringify({ event: "listening", host: address.address, port: address.port })}\n`,
    );
  });
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      server.closeAllConnections();
      server.close(() => process.exit(0));
    });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`payload-server: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}

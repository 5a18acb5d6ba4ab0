// Test support: a small hostile "master" on loopback. Each route is a handler the test
// chooses (a plan with a wrong field, a piece that never ends, an answer that trickles), and
// the server counts what it wrote and when the agent hung up, so a test can assert that the
// agent stopped reading instead of taking everything.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Handler = (req: IncomingMessage, res: ServerResponse, server: HostileMaster) => void;

export class HostileMaster {
  /** First matching route answers; anything else is a 404. */
  routes: Array<[RegExp, Handler]> = [];
  /** Paths asked for, in order. */
  readonly requests: string[] = [];
  /** Bytes written by `endless` and `trickle` bodies, and how many of them the agent cut off. */
  sentBytes = 0;
  hangUps = 0;

  private constructor(readonly server: Server) {}

  static async start(): Promise<HostileMaster> {
    const server = createServer();
    const hostile = new HostileMaster(server);
    server.on("request", (req, res) => {
      const path = req.url ?? "/";
      hostile.requests.push(path);
      // Read the request body (the agent's summaries and signatures) and ignore it.
      req.resume();
      const route = hostile.routes.find(([pattern]) => pattern.test(path));
      if (route) route[1](req, res, hostile);
      else res.writeHead(404, { "content-type": "application/json" }).end('{"error":"no such route"}');
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return hostile;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

export function json(body: unknown): Handler {
  return (_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/** A body with no declared length that repeats `chunk` until the agent hangs up. */
export function endless(chunk: Buffer, head: Buffer = Buffer.alloc(0)): Handler {
  return (_req, res, server) => {
    res.writeHead(200, { "content-type": "application/json" });
    let open = true;
    res.once("close", () => {
      open = false;
      server.hangUps++;
    });
    const pump = () => {
      while (open) {
        server.sentBytes += chunk.length;
        if (!res.write(chunk)) return void res.once("drain", pump);
      }
    };
    res.write(head);
    pump();
  };
}

/** A body sent one byte every `everyMs` (slower than any link, faster than a stall timeout). */
export function trickle(body: Buffer, everyMs: number, type = "application/json"): Handler {
  return (_req, res, server) => {
    res.writeHead(200, { "content-type": type, "content-length": String(body.length) });
    let at = 0;
    const timer = setInterval(() => {
      if (at >= body.length) return void res.end();
      server.sentBytes++;
      res.write(body.subarray(at, ++at));
    }, everyMs);
    res.once("close", () => {
      clearInterval(timer);
      if (at < body.length) server.hangUps++;
    });
  };
}

/** A "full" plan for `data` as the course's archive, the way a real master describes it. */
export function fullPlanFor(course: string, data: Buffer, extra: Record<string, unknown> = {}) {
  return {
    plan: "full",
    course,
    title: "A course",
    contentHash: `hc1:${"ab".repeat(32)}`,
    format: "zip",
    publishedAt: "2026-01-01T00:00:00.000Z",
    blob: {
      id: createHash("sha256").update(data).digest("hex"),
      size: data.length,
      pieceSize: Math.max(1, data.length),
      md5: [createHash("md5").update(data).digest("hex")],
    },
    ...extra,
  };
}

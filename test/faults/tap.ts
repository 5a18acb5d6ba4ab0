// A recording TCP pass-through for the fault suites: sits between the agent and the fault
// proxy and keeps, per connection, the exact bytes the agent sent and received, so a test
// can tell which HTTP responses arrived damaged and which pieces were asked for again.
import { type AddressInfo, createConnection, createServer, type Server, type Socket } from "node:net";

export interface TappedConnection {
  id: number;
  up: Buffer[];
  down: Buffer[];
}

export class Tap {
  readonly connections: TappedConnection[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  static async start(targetPort: number, targetHost = "127.0.0.1"): Promise<Tap> {
    const server = createServer();
    const tap = new Tap(server);
    server.on("connection", (client) => {
      const rec: TappedConnection = { id: tap.connections.length, up: [], down: [] };
      tap.connections.push(rec);
      const upstream = createConnection({ host: targetHost, port: targetPort });
      for (const s of [client, upstream]) {
        tap.sockets.add(s);
        s.on("close", () => tap.sockets.delete(s));
        // Either side failing ends both, as a real link would.
        s.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.on("data", (c: Buffer) => {
        rec.up.push(c);
        upstream.write(c);
      });
      upstream.on("data", (c: Buffer) => {
        rec.down.push(c);
        client.write(c);
      });
      client.on("end", () => upstream.end());
      upstream.on("end", () => client.end());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return tap;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export interface ParsedExchange {
  method: string;
  path: string;
  /** Raw response head (status line + headers), as received. */
  head: string;
  body: Buffer;
}

/**
 * Split one connection's recorded bytes into request/response pairs. Requests (which the
 * fault proxy leaves intact) are parsed exactly; responses use their Content-Length. Stops
 * at the first response that cannot be parsed (returned in `unparsed`).
 */
export function parseExchanges(conn: TappedConnection): { exchanges: ParsedExchange[]; unparsed: number } {
  const up = Buffer.concat(conn.up);
  const down = Buffer.concat(conn.down);
  const out: ParsedExchange[] = [];
  let u = 0;
  let d = 0;
  while (u < up.length) {
    const reqEnd = up.indexOf("\r\n\r\n", u);
    if (reqEnd < 0) break;
    const reqHead = up.subarray(u, reqEnd).toString("latin1");
    const [method = "", path = ""] = reqHead.split(" ");
    const reqLen = Number(/\r\ncontent-length:\s*(\d+)/i.exec(reqHead)?.[1] ?? 0);
    u = reqEnd + 4 + reqLen;
    const resEnd = down.indexOf("\r\n\r\n", d);
    if (resEnd < 0) return { exchanges: out, unparsed: down.length - d };
    const head = down.subarray(d, resEnd).toString("latin1");
    const len = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!len) return { exchanges: out, unparsed: down.length - d };
    const bodyStart = resEnd + 4;
    const body = down.subarray(bodyStart, Math.min(down.length, bodyStart + Number(len[1])));
    out.push({ method, path, head, body });
    d = bodyStart + body.length;
  }
  return { exchanges: out, unparsed: down.length - d };
}

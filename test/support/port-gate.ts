// Test support: a loopback port held from the first moment to the last, so an agent can be given
// a master URL that is "not there" now and "there" later without another test's server taking
// the port in between (closing a port and binding it again later is a race on a busy machine).
// Shut, every connection is reset at once, as a client sees a host with nothing listening;
// open, connections are piped to the server behind it.
import { type AddressInfo, createConnection, createServer, type Server, type Socket } from "node:net";

export class PortGate {
  private target: { host: string; port: number } | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {
    server.on("connection", (client) => this.accept(client));
  }

  /** A gate on 127.0.0.1, shut. */
  static async start(): Promise<PortGate> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    return new PortGate(server);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** From now on connections reach `url` (a server on loopback). */
  open(url: string): void {
    const u = new URL(url);
    this.target = { host: u.hostname, port: Number(u.port) };
  }

  /** From now on every connection is reset, and those open now are cut. */
  shut(): void {
    this.target = undefined;
    for (const s of this.sockets) s.resetAndDestroy();
  }

  async close(): Promise<void> {
    this.shut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track(s: Socket): void {
    this.sockets.add(s);
    s.on("close", () => this.sockets.delete(s));
    s.on("error", () => s.destroy());
  }

  private accept(client: Socket): void {
    this.track(client);
    if (!this.target) {
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection(this.target);
    this.track(upstream);
    client.pipe(upstream).on("error", () => client.destroy());
    upstream.pipe(client).on("error", () => upstream.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  }
}

// Start a Koa app on a limited server (limits.ts) and hand back its URL and a close().
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type Koa from "koa";
import { type ConnectionLimits, createLimitedServer } from "./limits.js";

export interface RunningServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Listen with the per-client connection cap and short deadlines; resolves once the port is bound. */
export function listen(
  app: Koa,
  host: string,
  port: number,
  limits: Partial<ConnectionLimits> = {},
): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    // Phones on a weak link keep connections open; one of them must not pin the process.
    const server = createLimitedServer(app.callback(), limits);
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const addr = server.address() as AddressInfo;
      const shown =
        host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
      resolve({
        url: `http://${shown}:${addr.port}`,
        server,
        close: () =>
          new Promise<void>((res) => {
            server.close(() => res());
            server.closeAllConnections();
          }),
      });
    });
  });
}

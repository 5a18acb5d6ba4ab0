/** Start the master: storage + Koa app on HTTP (or HTTPS with a cert and key), counting wire bytes. */
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { createServer as createHttp, type Server } from "node:http";
import { createServer as createHttps } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";
import { Store } from "../store/index.js";
import { requestJson } from "../transfer/index.js";
import { createMasterApp, type MasterOptions } from "./app.js";
import { MasterStorage, type StorageLimits } from "./storage.js";

export interface StartMasterOptions extends MasterOptions, StorageLimits {
  dataDir: string;
  host?: string;
  port?: number;
  keepVersions?: number;
  pieceSize?: number;
  tls?: { cert: string; key: string };
}

export interface RunningMaster {
  url: string;
  server: Server;
  storage: MasterStorage;
  /** Bytes received from and sent to clients, headers included, since start (or reset). */
  traffic(): { up: number; down: number };
  resetTraffic(): void;
  close(): Promise<void>;
}

export async function startMaster(o: StartMasterOptions): Promise<RunningMaster> {
  const store = await Store.open(join(o.dataDir, "db"));
  const storage = new MasterStorage(o.dataDir, store, o.keepVersions, o.pieceSize, o);
  await storage.start();
  const app = createMasterApp(storage, o);
  app.on("error", (err: Error) => {
    // A client that hung up (mid-body: the parser's EOF error) is no fault of the master.
    if (["ECONNRESET", "EPIPE", "HPE_INVALID_EOF_STATE"].includes((err as { code?: string }).code ?? ""))
      return;
    process.stderr.write(`handcarry master: ${err.stack ?? err.message}\n`);
  });
  const handler = app.callback();
  const server = o.tls
    ? createHttps({ cert: await readFile(o.tls.cert), key: await readFile(o.tls.key) }, handler)
    : createHttp(handler);
  const live = new Set<Socket>();
  let closedUp = 0;
  let closedDown = 0;
  server.on("connection", (s: Socket) => {
    live.add(s);
    s.on("close", () => {
      closedUp += s.bytesRead;
      closedDown += s.bytesWritten;
      live.delete(s);
    });
  });
  const host = o.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shown = host.includes(":") ? `[${host}]` : host;
  return {
    url: `${o.tls ? "https" : "http"}://${shown}:${port}`,
    server,
    storage,
    traffic() {
      let up = closedUp;
      let down = closedDown;
      for (const s of live) {
        up += s.bytesRead;
        down += s.bytesWritten;
      }
      return { up, down };
    },
    resetTraffic() {
      closedUp = -[...live].reduce((n, s) => n + s.bytesRead, 0);
      closedDown = -[...live].reduce((n, s) => n + s.bytesWritten, 0);
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      // Builds still running would read (or write) the data dir after close: stop them first.
      await storage.close();
      await store.close();
    },
  };
}

/** Upload an archive to a master as the new version of a course. */
export async function publishCourse(o: {
  masterUrl: string;
  token: string;
  course: string;
  file: string;
  title?: string;
}) {
  const size = (await stat(o.file)).size;
  const q = o.title ? `?title=${encodeURIComponent(o.title)}` : "";
  return requestJson<{
    course: string;
    contentHash: string;
    format: string;
    size: number;
    unchanged: boolean;
  }>(
    { baseUrl: o.masterUrl, token: o.token, timeoutMs: 600_000 },
    `/v1/courses/${encodeURIComponent(o.course)}${q}`,
    {
      method: "PUT",
      body: createReadStream(o.file),
      headers: { "content-type": "application/octet-stream", "content-length": String(size) },
    },
  );
}

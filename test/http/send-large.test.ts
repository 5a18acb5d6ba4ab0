// A large file (a course archive) goes out from two reused buffers instead of a file stream:
// the bytes, the length, one range and a client that leaves half-way must all come out as
// with the stream, on a real server on loopback.
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Koa from "koa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendFile } from "../../src/http/send-file.js";

const SIZE = 9 * 1024 * 1024 + 12_345;
let dir = "";
let bytes: Buffer;
let server: ReturnType<Koa["listen"]>;
let port = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hc-send-large-"));
  bytes = randomBytes(SIZE);
  await writeFile(join(dir, "big.zip"), bytes);
  const app = new Koa().use((ctx) => sendFile(ctx, join(dir, "big.zip")));
  server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

/** GET with headers; status, headers and the whole body. */
function get(headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>(
    (resolve, reject) => {
      request({ host: "127.0.0.1", port, path: "/", headers }, (res) => {
        const parts: Buffer[] = [];
        res.on("data", (d: Buffer) => parts.push(d));
        res.on("end", () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }),
        );
        res.on("error", reject);
      })
        .on("error", reject)
        .end();
    },
  );
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("sending a file of 9 MB", () => {
  it("sends every byte with its length", async () => {
    const r = await get();
    expect(r.status).toBe(200);
    expect(r.headers["content-length"]).toBe(String(SIZE));
    expect(r.body.length).toBe(SIZE);
    expect(sha(r.body)).toBe(sha(bytes));
  });

  it("sends one range past the first buffers", async () => {
    const r = await get({ range: "bytes=1000000-8999999" });
    expect(r.status).toBe(206);
    expect(r.headers["content-range"]).toBe(`bytes 1000000-8999999/${SIZE}`);
    expect(r.body.equals(bytes.subarray(1_000_000, 9_000_000))).toBe(true);
  });

  it("keeps serving after a client leaves half-way", async () => {
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path: "/" }, (res) => {
        let got = 0;
        res.on("data", (d: Buffer) => {
          got += d.length;
          if (got > 1_000_000) req.destroy();
        });
        res.on("close", () => resolve());
      });
      req.on("error", () => resolve());
      req.once("timeout", () => reject(new Error("timeout")));
      req.end();
    });
    const r = await get({ range: "bytes=0-9" });
    expect(r.body.equals(bytes.subarray(0, 10))).toBe(true);
    const again = await get();
    expect(sha(again.body)).toBe(sha(bytes));
  });
});

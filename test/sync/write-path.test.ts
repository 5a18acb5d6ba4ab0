// What an update writes to disk: a real `handcarry sync` process against a real master on
// loopback, its bytes written read from /proc (a wrapper shell's io counters include the
// reaped sync's). The pieces land in the blob file in place, so a 4 MiB incompressible new
// entry is written twice (the blob, then the tree), not three times (pieces, an assembled
// copy, the tree) as before.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeArchive } from "../../src/archive/index.js";
import { publishCourse, type RunningMaster, startMaster } from "../../src/master/server.js";
import { cliCommand } from "../support/cli.js";

const TOKEN = "publish-secret-wp";
const NEW_ENTRY = 4 << 20;
let work = "";
let master: RunningMaster;

async function publishVersion(name: string, files: Record<string, Buffer>): Promise<void> {
  const file = join(work, `${name}.zip`);
  const entries = Object.entries(files).map(([path, data]) => ({
    path,
    type: "file" as const,
    size: data.length,
    mode: 0o644,
    mtime: new Date(0),
  }));
  await writeArchive(file, "zip", entries, (e) => Readable.from([files[e.path]!]));
  await publishCourse({ masterUrl: master.url, token: TOKEN, course: "wp", file });
}

/** Run `handcarry sync` once; its exit code and the bytes it caused to be written. */
async function syncWriting(dataDir: string): Promise<{ code: number | null; written: number; err: string }> {
  const ioFile = join(work, "io");
  const [node, pre] = cliCommand();
  const args = [...pre, "sync", "--data", dataDir, "--master", master.url, "--course", "wp"];
  const script = `"$@" >/dev/null; s=$?; cat /proc/$$/io > ${ioFile}; exit $s`;
  const { code, err } = await new Promise<{ code: number | null; err: string }>((resolve) => {
    const child = spawn("sh", ["-c", script, "sh", node, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.on("close", (c) => resolve({ code: c, err }));
  });
  const io = /write_bytes: (\d+)/.exec(await readFile(ioFile, "utf8"));
  return { code, written: Number(io?.[1]), err };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "hc-write-path-"));
  master = await startMaster({ dataDir: join(work, "master"), publishToken: TOKEN });
});
afterAll(async () => {
  await master?.close();
  await rm(work, { recursive: true, force: true });
});

describe("bytes written by an update", () => {
  it("a 4 MiB new entry: under 2 × its size + 1 MiB written", async () => {
    const pages: Record<string, Buffer> = {};
    for (let i = 0; i < 50; i++) pages[`page${i}.html`] = Buffer.from(`<p>page ${i}</p>\n`.repeat(200));
    await publishVersion("v1", pages);
    const agent = join(work, "agent");
    // The first run installs in full (and warms the transpiler's cache, which writes too).
    const first = await syncWriting(agent);
    expect(first.code, first.err).toBe(0);

    await publishVersion("v2", { ...pages, "video.bin": randomBytes(NEW_ENTRY) });
    const update = await syncWriting(agent);
    expect(update.code, update.err).toBe(0);
    // Before: the pieces, their assembled copy and the tree: > 3 × 4 MiB.
    expect(update.written).toBeLessThan(2 * NEW_ENTRY + (1 << 20));
    expect(update.written).toBeGreaterThanOrEqual(NEW_ENTRY);
  }, 180_000);
});

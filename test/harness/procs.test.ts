// Process helpers (output lines, waiting, kill -9 at random moments), temp dirs, the small tmpfs
// for disk-full tests, and the sweep of namespaces left by dead test processes.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { netnsAvailable, sweepStaleNamespaces } from "../support/netns.js";
import {
  makePayload,
  makeTempDir,
  mountSmallTmpfs,
  repoRoot,
  seededRandom,
  startCli,
  startProcess,
  tmpfsAvailable,
} from "../support/procs.js";

const tmpfs = await tmpfsAvailable();
const netns = await netnsAvailable();

const ticker = `let i = 0; console.log("ready"); console.error("to stderr"); setInterval(() => console.log("tick " + i++), 20);`;

describe("managed processes", () => {
  test("captures stdout and stderr lines and waits for a pattern", async () => {
    const proc = startProcess(process.execPath, ["-e", ticker]);
    try {
      await proc.waitForLine(/^ready$/);
      const { match } = await proc.waitForLine(/^tick (\d+)$/, { stream: "stdout" });
      expect(match[1]).toBe("0");
      await proc.waitForLine(/^tick 3$/);
      expect(proc.stderrLines()).toContain("to stderr");
      expect(proc.stdoutLines().slice(0, 2)).toEqual(["ready", "tick 0"]);
    } finally {
      proc.kill();
    }
  });

  test("kill -9 at a seeded random moment: the same seed picks the same delay", async () => {
    const delays: number[] = [];
    for (const seed of [1, 1, 2]) {
      const proc = startProcess(process.execPath, ["-e", ticker]);
      await proc.waitForLine(/^ready$/);
      delays.push(await proc.killAtRandom(20, 200, seededRandom(seed)));
      expect(await proc.waitForExit()).toEqual({ code: null, signal: "SIGKILL" });
      expect(proc.running).toBe(false);
    }
    expect(delays[0]).toBe(delays[1]);
    expect(delays[0]).not.toBe(delays[2]);
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(20);
    for (const d of delays) expect(d).toBeLessThanOrEqual(200);
  });

  test("waitForLine fails fast with the output tail when the process exits first, and on timeout", async () => {
    const quitter = startProcess(process.execPath, ["-e", `console.log("about to fail"); process.exit(3)`]);
    await expect(quitter.waitForLine(/never/)).rejects.toThrow(/exited \(code 3[\s\S]*about to fail/);
    const silent = startProcess(process.execPath, ["-e", "setInterval(() => {}, 1000)"]);
    try {
      await expect(silent.waitForLine(/never/, { timeoutMs: 200 })).rejects.toThrow(
        /no line matching \/never\/ after 200 ms/,
      );
    } finally {
      silent.kill();
    }
    await expect(silent.waitForExit()).resolves.toEqual({ code: null, signal: "SIGKILL" });
  });

  test("stop() sends SIGTERM first and the process may exit cleanly", async () => {
    const proc = startProcess(process.execPath, [
      "-e",
      `process.on("SIGTERM", () => { console.log("bye"); process.exit(0); }); console.log("ready"); setInterval(() => {}, 1000);`,
    ]);
    await proc.waitForLine(/ready/);
    expect(await proc.stop()).toEqual({ code: 0, signal: null });
    expect(proc.stdoutLines()).toContain("bye");
  });

  test("startCli runs the handcarry CLI from source and reports the package version", async () => {
    const version = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string })
      .version;
    const cli = startCli(["--version"]);
    expect(await cli.waitForExit()).toEqual({ code: 0, signal: null });
    expect(cli.stdoutLines()).toContain(version);
  });
});

describe("temp dirs and payloads", () => {
  test("makeTempDir creates a private dir and cleanup removes it with its contents", async () => {
    const dir = await makeTempDir();
    await mkdir(join(dir.path, "a", "b"), { recursive: true });
    await writeFile(join(dir.path, "a", "b", "f"), "x");
    expect(existsSync(join(dir.path, "a", "b", "f"))).toBe(true);
    await dir.cleanup();
    expect(existsSync(dir.path)).toBe(false);
  });

  test("makePayload is deterministic per seed and not trivially repetitive", () => {
    expect(makePayload(1000, 5).equals(makePayload(1000, 5))).toBe(true);
    expect(makePayload(1000, 5).equals(makePayload(1000, 6))).toBe(false);
    expect(makePayload(1001, 5).subarray(0, 1000).equals(makePayload(1000, 5))).toBe(true);
    const p = makePayload(64 * 1024, 1);
    expect(new Set(p).size).toBe(256);
  });
});

describe.skipIf(!tmpfs.ok)(
  `small tmpfs for disk-full tests${tmpfs.ok ? "" : ` (skipped: ${tmpfs.reason})`}`,
  () => {
    test("writes past the size fail with ENOSPC; cleanup unmounts and removes the dir", async () => {
      const disk = await mountSmallTmpfs(256 * 1024);
      try {
        expect(readFileSync("/proc/mounts", "utf8")).toContain(` ${disk.path} tmpfs `);
        await writeFile(join(disk.path, "fits"), makePayload(100 * 1024));
        await expect(writeFile(join(disk.path, "too-big"), makePayload(512 * 1024))).rejects.toMatchObject({
          code: "ENOSPC",
        });
        // The file that fit is intact.
        expect(readFileSync(join(disk.path, "fits")).equals(makePayload(100 * 1024))).toBe(true);
      } finally {
        await disk.cleanup();
      }
      expect(readFileSync("/proc/mounts", "utf8")).not.toContain(` ${disk.path} `);
      expect(existsSync(disk.path)).toBe(false);
    });
  },
);

describe.skipIf(!netns.ok)(`stale namespace sweep${netns.ok ? "" : ` (skipped: ${netns.reason})`}`, () => {
  test("namespaces of a dead test process are deleted with what runs inside; live ones are kept", async () => {
    const gone = spawnSync(process.execPath, ["-e", "0"]).pid!;
    const stale = `hc-m-${gone}-abc123`;
    const live = `hc-a-${process.pid}-def456`;
    execFileSync("ip", ["netns", "add", stale]);
    execFileSync("ip", ["netns", "add", live]);
    const orphan = startProcess("ip", [
      "netns",
      "exec",
      stale,
      process.execPath,
      "-e",
      "console.log('up'); setInterval(() => {}, 1000)",
    ]);
    try {
      await orphan.waitForLine(/up/);
      const swept = await sweepStaleNamespaces();
      // (Another test file's sweep may have got there first: check the outcome, not who did it.)
      expect(swept).not.toContain(live);
      expect((await orphan.exited).signal).toBe("SIGKILL");
      const list = execFileSync("ip", ["netns", "list"], { encoding: "utf8" });
      expect(list).not.toContain(stale);
      expect(list).toContain(live);
    } finally {
      orphan.kill();
      spawnSync("ip", ["netns", "del", stale]);
      spawnSync("ip", ["netns", "del", live]);
    }
  });
});

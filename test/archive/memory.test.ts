// Streaming keeps memory flat: a course much bigger than one entry's worth of headroom goes
// through write → manifest → transcode (zip → tar → tar.gz) in a child process running
// compiled JavaScript (as the agent does from dist/), under 150 MB peak RSS.
import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { sandbox } from "./helpers.js";

const box = sandbox();
afterAll(() => box.cleanup());

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Compile the probe and the archive layer with tsc into the sandbox (like `npm run build`). */
function buildProbe(): string {
  const out = join(box.dir, "build");
  const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
  const flags = ["--module", "NodeNext", "--moduleResolution", "NodeNext", "--target", "ES2022"];
  const more = [
    "--noCheck",
    "--skipLibCheck",
    "--esModuleInterop",
    "--types",
    "node",
    "--rootDir",
    ROOT,
    "--outDir",
    out,
  ];
  execFileSync(process.execPath, [tsc, ...flags, ...more, join(ROOT, "test/archive/stream-probe.ts")], {
    cwd: ROOT,
  });
  writeFileSync(join(out, "package.json"), '{"type":"module"}');
  symlinkSync(join(ROOT, "node_modules"), join(out, "node_modules"));
  return join(out, "test/archive/stream-probe.js");
}

it("a 160 MB course (64 MB entries) streams through every format in under 150 MB RSS", () => {
  const probe = buildProbe();
  const data = join(box.dir, "data");
  mkdirSync(data);
  const out = execFileSync(process.execPath, [probe, data, "160", "zip", "tar", "tar.gz"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const report = JSON.parse(out.trim().split("\n").pop()!) as {
    maxRssMB: number;
    baselineMB: number;
    hashes: Record<string, string>;
  };
  expect(Object.keys(report.hashes)).toEqual(["zip", "tar", "tar.gz"]);
  expect(new Set(Object.values(report.hashes)).size).toBe(1);
  // Holding any one entry in memory would add 64 MB on top of the runtime baseline.
  expect(report.maxRssMB - report.baselineMB).toBeLessThan(64);
  expect(report.maxRssMB).toBeLessThan(150);
});

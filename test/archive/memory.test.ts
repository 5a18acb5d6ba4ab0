// Streaming keeps memory flat: a course much bigger than the RSS budget goes through
// write → manifest → transcode (zip → tar → tar.gz) in a child process under 150 MB peak RSS.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { sandbox } from "./helpers.js";

const box = sandbox();
afterAll(() => box.cleanup());

it("a 160 MB course (64 MB entries) streams through every format in under 150 MB RSS", () => {
  const probe = fileURLToPath(new URL("./stream-probe.ts", import.meta.url));
  const out = execFileSync(
    process.execPath,
    ["--import", "tsx", probe, box.dir, "160", "zip", "tar", "tar.gz"],
    {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const report = JSON.parse(out.trim().split("\n").pop()!) as {
    maxRssMB: number;
    hashes: Record<string, string>;
  };
  expect(Object.keys(report.hashes)).toEqual(["zip", "tar", "tar.gz"]);
  expect(new Set(Object.values(report.hashes)).size).toBe(1);
  // Holding any one entry in memory would add 64 MB on top of the ~70 MB runtime baseline.
  expect(report.maxRssMB).toBeLessThan(150);
}, 120_000);

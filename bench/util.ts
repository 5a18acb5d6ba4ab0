// Shared benchmark plumbing: timed child processes with peak RSS, tables, output files.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../", import.meta.url));
export const outDir = `${repoRoot}bench/out`;

export interface Timed {
  seconds: number;
  peakRssKB: number;
}

/**
 * Run a command under GNU time for its peak RSS; wall time from our own clock (GNU time
 * rounds to 10 ms, which makes small files meaningless). Throws on failure.
 */
export function timed(cmd: string, args: string[], opts: { cwd?: string } = {}): Timed {
  const t0 = performance.now();
  const r = spawnSync("/usr/bin/time", ["-f", "HCTIME %e %M", cmd, ...args], {
    cwd: opts.cwd,
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  const seconds = (performance.now() - t0) / 1000;
  const m = /HCTIME ([\d.]+) (\d+)/.exec(r.stderr ?? "");
  if (r.status !== 0 || !m) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return { seconds, peakRssKB: Number(m[2]) };
}

/** Best (fastest) of n runs; peak RSS is the largest seen. */
export function bestOf(n: number, run: () => Timed): Timed {
  let best: Timed | undefined;
  let rss = 0;
  for (let i = 0; i < n; i++) {
    const t = run();
    rss = Math.max(rss, t.peakRssKB);
    if (!best || t.seconds < best.seconds) best = t;
  }
  return { seconds: best!.seconds, peakRssKB: rss };
}

export function ensureBuilt(): void {
  const r = spawnSync("npm", ["run", "build", "--silent"], { cwd: repoRoot, stdio: "inherit" });
  if (r.status !== 0 || !existsSync(`${repoRoot}dist/cli.js`)) throw new Error("npm run build failed");
}

export function markdownTable(header: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

export function saveResult(name: string, json: unknown, markdown: string): void {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(`${outDir}/${name}.json`, `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(`${outDir}/${name}.md`, `${markdown}\n`);
}

export const mb = (bytes: number) => bytes / (1 << 20);
export const fmt = (n: number, digits = 1) => n.toFixed(digits);

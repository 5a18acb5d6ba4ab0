// Run the handcarry CLI from source (TypeScript via tsx) in a child process, from any cwd.
import {
  type ChildProcess,
  type SpawnSyncReturns,
  type StdioOptions,
  spawn,
  spawnSync,
} from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const tsxLoader = pathToFileURL(`${repoRoot}node_modules/tsx/dist/loader.mjs`).href;
const cliEntry = `${repoRoot}src/cli.ts`;

/** node arguments that start the CLI; append the command's own arguments. */
export function cliCommand(): [string, string[]] {
  return [process.execPath, ["--import", tsxLoader, cliEntry]];
}

export function runCli(
  args: string[],
  opts: { cwd?: string; input?: string | Buffer; env?: NodeJS.ProcessEnv } = {},
): SpawnSyncReturns<string> {
  const [node, pre] = cliCommand();
  return spawnSync(node, [...pre, ...args], {
    cwd: opts.cwd,
    input: opts.input,
    env: opts.env ?? process.env,
    encoding: "utf8",
  });
}

/** Like runCli, without blocking the event loop (for tests that also run servers in-process). */
export function runCliAsync(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const [node, pre] = cliCommand();
  return new Promise((resolve) => {
    const child = spawn(node, [...pre, ...args], { cwd: opts.cwd, env: opts.env ?? process.env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** `handcarry agent` as a long-running child on 127.0.0.1 with its data in dataDir. */
export function spawnAgentCli(
  o: { dataDir: string; masterUrl: string; port: number; env?: NodeJS.ProcessEnv },
  stdio: StdioOptions = "ignore",
): ChildProcess {
  const [node, pre] = cliCommand();
  const args = [
    "agent",
    "--data",
    o.dataDir,
    "--master",
    o.masterUrl,
    "--port",
    String(o.port),
    "--host",
    "127.0.0.1",
  ];
  return spawn(node, [...pre, ...args], { env: { ...process.env, HANDCARRY_CONFIG: "", ...o.env }, stdio });
}

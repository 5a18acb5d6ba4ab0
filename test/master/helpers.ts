// A real `handcarry master` process on loopback, in its own data dir, for the master suites.
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { type ManagedProcess, makeTempDir, startCli, type TempDir } from "../support/procs.js";

export const PUBLISH_TOKEN = "publish-secret-0123";

export interface MasterProcess {
  url: string;
  dataDir: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/** This process's environment without handcarry settings that would change the master under test. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("HANDCARRY_")));
}

/**
 * Start `handcarry master --port 0` with `flags`; resolves once it prints its URL. With
 * `dataDir` it runs on that (kept) directory, as a master restarted on its data does.
 */
export async function startMasterProcess(flags: string[] = [], dataDir?: string): Promise<MasterProcess> {
  const dir: TempDir = dataDir
    ? { path: dataDir, cleanup: async () => {} }
    : await makeTempDir("hc-master-proc-");
  const proc = startCli(
    ["master", "--data", dir.path, "--port", "0", "--publish-token", PUBLISH_TOKEN, ...flags],
    { env: cleanEnv() },
  );
  try {
    const { match } = await proc.waitForLine(/listening on (http:\/\/\S+)/, { timeoutMs: 60_000 });
    return {
      url: match[1]!,
      dataDir: dir.path,
      process: proc,
      async stop() {
        await proc.stop(10_000);
        await dir.cleanup();
      },
    };
  } catch (e) {
    await proc.stop();
    await dir.cleanup();
    throw e;
  }
}

/** Total bytes of the regular files below `dir` (0 when it does not exist). */
export async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  const names = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  for (const name of names) {
    const s = await stat(join(dir, name)).catch(() => undefined);
    if (s?.isFile()) total += s.size;
  }
  return total;
}

/** Raw answer of the master: status, headers and body text. */
export async function call(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(url, init);
  return { status: res.status, text: await res.text(), headers: res.headers };
}

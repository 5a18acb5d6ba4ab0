// What the image tests share: running the build steps with their output kept, the
// debootstrap/apt cache, cleaning up roots, and installing stage-handcarry into a fresh
// Debian trixie root the way pi-gen would (stage.test.ts checks that root, the boot test
// boots it).
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, existsSync, readFileSync } from "node:fs";
import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const imageTestDir = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(imageTestDir, "../..");

export function commandExists(name: string): boolean {
  return (process.env.PATH ?? "").split(":").some((dir) => dir !== "" && existsSync(join(dir, name)));
}

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a command, output into memory (and a log file when given). */
export function run(
  cmd: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; log?: string; input?: string } = {},
) {
  return new Promise<Result>((resolvePromise, reject) => {
    const child = spawn(cmd, args, { env: options.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    const log = options.log ? createWriteStream(options.log, { flags: "a" }) : undefined;
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      log?.write(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      log?.write(chunk);
    });
    child.on("error", reject);
    child.on("close", (code) => {
      log?.end();
      resolvePromise({ code: code ?? -1, stdout, stderr });
    });
    // A command that exits without reading its input (EPIPE) is judged by its exit code.
    child.stdin.on("error", () => {});
    child.stdin.end(options.input ?? "");
  });
}

/** Run a step that must succeed; on failure the error carries the end of its output. */
export async function step(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv, log: string) {
  const started = performance.now();
  const result = await run(cmd, args, { env, log });
  // Reported, never asserted: where the minutes of these tests go.
  console.log(`image test: ${name} took ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (result.code !== 0) {
    const tail = `${result.stdout}\n${result.stderr}`.trim().split("\n").slice(-40).join("\n");
    throw new Error(`${name} failed (exit ${result.code}); full log ${log}; last lines:\n${tail}`);
  }
  return result;
}

export async function sha256(path: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
}

/** Unmount anything still mounted below dir (the scripts use private mount namespaces; this is the backstop). */
export async function unmountBelow(dir: string) {
  const mounts = readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[1] ?? "")
    .filter((target) => target.startsWith(`${dir}/`))
    .sort()
    .reverse();
  for (const target of mounts) await run("umount", ["-l", target]);
}

/** Roots (~1 GB each) left by runs that were killed: older than two hours, nothing mounted. */
export async function sweepStaleRuns(prefix = "handcarry-image-") {
  const mounts = readFileSync("/proc/self/mounts", "utf8");
  for (const name of await readdir(tmpdir())) {
    if (!name.startsWith(prefix)) continue;
    const dir = join(tmpdir(), name);
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory() || Date.now() - info.mtimeMs < 2 * 3600_000) continue;
    if (mounts.includes(` ${dir}/`)) continue;
    await rm(dir, { recursive: true, force: true });
  }
}

/** This machine's Debian architecture, the one the image tests build for unless told otherwise. */
export const HOST_ARCH = process.arch === "arm64" ? "arm64" : "amd64";

/**
 * What the build scripts share per architecture in the cache: its apt archives (the host's
 * own in `apt`, as before) and its lock, so an arm64 build (tens of minutes under
 * qemu-user) never holds up the host architecture's.
 */
const perArch = (cache: string, arch: string) => {
  const suffix = arch === HOST_ARCH ? "" : `-${arch}`;
  return { apt: join(cache, `apt${suffix}`), lock: join(cache, `.lock${suffix}`) };
};

/** Environment for the build scripts: the shared apt cache, and this host's extra CA if any. */
export function imageEnv(cache: string, arch = HOST_ARCH): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HANDCARRY_TEST_APT_CACHE: perArch(cache, arch).apt };
  delete env.HANDCARRY_IN_MOUNT_NS;
  const extraCa = process.env.NODE_EXTRA_CA_CERTS;
  if (extraCa && existsSync(extraCa)) env.HANDCARRY_TEST_CA_BUNDLE = extraCa;
  return env;
}

/** The debootstrap tarball and apt archives, shared by every run on this machine. */
export const imageCache = () => process.env.HANDCARRY_IMAGE_CACHE ?? "/var/tmp/handcarry-image-test";

export interface StageRoot {
  /** The stage's root filesystem. */
  root: string;
  /** Runs the stage again on the same root (pi-gen's CONTINUE=1); returns its output. */
  rerun(): Promise<string>;
}

export interface StageOptions {
  /** Debian architecture of the root (default: this machine's). */
  arch?: string;
  /**
   * A tarball of a root this stage was already installed into (the boot test's cache):
   * it is unpacked and the stage runs on it again (pi-gen's CONTINUE=1), which brings the
   * code and settings up to date and skips debootstrap and the agent's `npm ci`.
   */
  seedRoot?: string;
}

/**
 * A Debian trixie root with stage-handcarry installed into `tmp`: prepare-base.sh (cached
 * debootstrap), assemble-stage.sh ("npm run build", as build.sh does) and run-stage.sh
 * with the repository's config plus `configLines` (bash, as build.sh appends them).
 */
export async function installStage(
  tmp: string,
  log: string,
  configLines: string,
  options: StageOptions = {},
): Promise<StageRoot> {
  const cache = imageCache();
  const arch = options.arch ?? HOST_ARCH;
  const env = imageEnv(cache, arch);
  const base = join(tmp, "base");
  const stage = join(tmp, "stage-handcarry");
  const work = join(tmp, "work");
  // Steps that touch the shared cache hold a lock, so parallel runs take turns.
  await mkdir(cache, { recursive: true });
  const locked = (script: string, args: string[]): [string, string[]] => [
    "flock",
    [perArch(cache, arch).lock, script, ...args],
  ];
  if (options.seedRoot) {
    await mkdir(join(work, "rootfs"), { recursive: true });
    await step(
      "unpack the cached root",
      "tar",
      ["-C", join(work, "rootfs"), "--numeric-owner", "-xpf", options.seedRoot],
      env,
      log,
    );
  } else {
    await step(
      "prepare-base.sh",
      ...locked(join(imageTestDir, "prepare-base.sh"), [cache, base, arch]),
      env,
      log,
    );
  }
  // HANDCARRY_IMAGE_APP_DIST (a dist/ built some other way) is only for working on the
  // image while src/ is mid-change.
  const appDist = process.env.HANDCARRY_IMAGE_APP_DIST;
  const assembleArgs = appDist ? ["--app-dist", appDist, stage] : [stage];
  await step("assemble-stage.sh", join(repo, "pi-gen-config/assemble-stage.sh"), assembleArgs, env, log);
  const config = join(tmp, "config");
  await writeFile(config, `${await readFile(join(repo, "pi-gen-config/config"), "utf8")}\n${configLines}`);
  const runStage = join(imageTestDir, "run-stage.sh");
  await step("stage, first run", ...locked(runStage, [config, base, stage, work]), env, log);
  return {
    root: join(work, "rootfs"),
    async rerun() {
      const again = await step(
        "stage, second run",
        ...locked(runStage, [config, base, stage, work]),
        env,
        log,
      );
      return again.stdout + again.stderr;
    },
  };
}

/** A value quoted for bash. */
export const bashQuote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

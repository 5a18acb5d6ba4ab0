// pi-gen-config/build.sh up to the Docker build: it clones pi-gen at the pinned tag
// (here from a local git repository standing in for GitHub), assembles our stage inside
// the checkout, writes a config whose overrides survive bash quoting, marks stage2
// SKIP_IMAGES and calls pi-gen's build-docker.sh (here a stand-in that reports what it
// was given, since this machine has no Docker engine).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const TAG = "2099-01-01-raspios-trixie-arm64";

function run(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  return new Promise<{ code: number; output: string }>((resolvePromise, reject) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code: code ?? -1, output }));
  });
}

// What pi-gen's build-docker.sh would be handed: the config (sourced by bash, as pi-gen
// does) and the checkout. One "name=value" line per setting, NUL-free values assumed.
const FAKE_BUILD_DOCKER = `#!/bin/bash
set -euo pipefail
source ./config
{
	for name in IMG_NAME STAGE_LIST WPA_COUNTRY ENABLE_SSH FIRST_USER_PASS DISABLE_FIRST_BOOT_USER_RENAME \\
		ENABLE_CLOUD_INIT HANDCARRY_MASTER HANDCARRY_UPLINK_SSID HANDCARRY_UPLINK_PSK HANDCARRY_HOTSPOT_CHANNEL; do
		printf 'var %s=%s\\n' "$name" "\${!name}"
	done
	printf 'exported %s\\n' "$(bash -c 'echo "$HANDCARRY_MASTER"')"
	[ -f stage2/SKIP_IMAGES ] && echo "stage2 SKIP_IMAGES"
	grep -q "stand-in agent" stage-handcarry/01-agent/files/app/dist/cli.js && echo "agent copied"
	[ -f stage-handcarry/05-firmware/files/config.txt ] && echo "firmware copied"
	[ -x stage-handcarry/04-hotspot/01-run.sh ] && echo "run scripts executable"
} >"$FAKE_REPORT"
mkdir -p deploy
touch "deploy/2099-01-01-$IMG_NAME.img.xz"
`;

describe("pi-gen-config/build.sh", () => {
  let tmp = "";
  let env: NodeJS.ProcessEnv = {};
  let report = "";
  let commit = "";
  let bin = "";

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), "handcarry-build-sh-"));
    // A local "pi-gen" repository with the tag build.sh pins.
    const upstream = join(tmp, "pi-gen-upstream");
    await mkdir(join(upstream, "stage2"), { recursive: true });
    await writeFile(join(upstream, "stage2", "EXPORT_IMAGE"), 'IMG_SUFFIX="-lite"\n');
    await writeFile(join(upstream, "build-docker.sh"), FAKE_BUILD_DOCKER);
    await chmod(join(upstream, "build-docker.sh"), 0o755);
    const git = (...args: string[]) => run("git", ["-C", upstream, ...args]);
    for (const args of [
      ["init", "-q"],
      ["add", "."],
      ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "pi-gen stand-in"],
      ["tag", TAG],
    ]) {
      const result = await git(...args);
      if (result.code !== 0) throw new Error(`git ${args.join(" ")}: ${result.output}`);
    }
    commit = (await git("rev-parse", "HEAD")).output.trim();
    // build.sh only checks that docker and qemu-aarch64 exist; the stand-in build-docker.sh
    // calls neither.
    bin = join(tmp, "bin");
    await mkdir(bin);
    for (const tool of ["docker", "qemu-aarch64"]) {
      await writeFile(join(bin, tool), "#!/bin/sh\nexit 0\n");
      await chmod(join(bin, tool), 0o755);
    }

    report = join(tmp, "report.txt");
    env = {
      ...process.env,
      PATH: `${bin}:${process.env.PATH ?? ""}`,
      PI_GEN_REF: TAG,
      PI_GEN_COMMIT: commit,
      PI_GEN_URL: `file://${upstream}`,
      PI_GEN_DIR: join(tmp, "pi-gen"),
      FAKE_REPORT: report,
      WPA_COUNTRY: "KE",
      HANDCARRY_MASTER: "https://master.example.org/hc?a=1&b=$x;y",
      HANDCARRY_UPLINK_PSK: `it's "quoted" $HOME \`x\``,
    };
    delete env.HANDCARRY_UPLINK_SSID;
    // A built agent stands ready (HANDCARRY_APP_DIST), so this test checks build.sh's own
    // steps; building the agent with "npm run build" is covered by stage.test.ts.
    const dist = join(tmp, "dist");
    await mkdir(dist);
    await writeFile(join(dist, "cli.js"), 'console.log("stand-in agent");\n');
    env.HANDCARRY_APP_DIST = dist;
  });

  afterAll(async () => {
    if (tmp !== "") await rm(tmp, { recursive: true, force: true });
  });

  it("clones the pinned tag, assembles the stage in the checkout and hands pi-gen the config", async () => {
    const result = await run(join(repo, "pi-gen-config/build.sh"), [], { env });
    expect(result.code, result.output).toBe(0);
    const lines = (await readFile(report, "utf8")).split("\n");
    expect(lines).toContain("var IMG_NAME=handcarry");
    expect(lines).toContain("var STAGE_LIST=stage0 stage1 stage2 stage-handcarry");
    expect(lines).toContain("var WPA_COUNTRY=KE");
    expect(lines).toContain("var ENABLE_SSH=0");
    expect(lines).toContain("var DISABLE_FIRST_BOOT_USER_RENAME=1");
    expect(lines).toContain("var ENABLE_CLOUD_INIT=0");
    expect(lines).toContain("var HANDCARRY_MASTER=https://master.example.org/hc?a=1&b=$x;y");
    expect(lines).toContain(`var HANDCARRY_UPLINK_PSK=it's "quoted" $HOME \`x\``);
    expect(lines).toContain("var HANDCARRY_UPLINK_SSID="); // unset in the shell: the config's default
    expect(lines).toContain("exported https://master.example.org/hc?a=1&b=$x;y"); // stage scripts see it
    for (const fact of ["stage2 SKIP_IMAGES", "agent copied", "firmware copied", "run scripts executable"]) {
      expect(lines).toContain(fact);
    }
    expect(result.output).toContain(join(tmp, "pi-gen", "deploy", "2099-01-01-handcarry.img.xz"));
    const head = await run("git", ["-C", join(tmp, "pi-gen"), "describe", "--tags", "--exact-match"]);
    expect(head.output.trim()).toBe(TAG);
  });

  it("stops before cloning when the host has no qemu-aarch64, naming the package", async () => {
    // A PATH of its own: every program the host has, except any qemu-aarch64 (a host with
    // qemu-user installed must not hide the tools next to it in /usr/bin).
    const noQemu = join(tmp, "bin-no-qemu");
    await mkdir(noQemu, { recursive: true });
    await writeFile(join(noQemu, "docker"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    await linkProgramsExcept(
      noQemu,
      (process.env.PATH ?? "").split(":").filter((dir) => dir !== bin),
      "qemu-aarch64",
    );
    const path = noQemu;
    const result = await run(join(repo, "pi-gen-config/build.sh"), [], {
      env: { ...env, PATH: path, PI_GEN_DIR: join(tmp, "pi-gen-no-qemu") },
    });
    expect(result.code).toBe(1);
    expect(result.output).toContain("qemu-aarch64 is not on PATH");
    expect(result.output).toContain("sudo apt-get install qemu-user-binfmt");
    expect(existsSync(join(tmp, "pi-gen-no-qemu"))).toBe(false);
  });

  it("refuses a tag that does not name the pinned commit, and an unpinned build", async () => {
    const moved = await run(join(repo, "pi-gen-config/build.sh"), [], {
      env: { ...env, PI_GEN_COMMIT: "0".repeat(40), PI_GEN_DIR: join(tmp, "pi-gen-moved") },
    });
    expect(moved.code).toBe(1);
    expect(moved.output).toContain(
      `pi-gen tag ${TAG} is commit ${commit}, not the pinned ${"0".repeat(40)}; not building`,
    );
    const unpinned = await run(join(repo, "pi-gen-config/build.sh"), [], {
      env: { ...env, PI_GEN_COMMIT: "", PI_GEN_DIR: join(tmp, "pi-gen-unpinned") },
    });
    expect(unpinned.code).toBe(1);
    expect(unpinned.output).toContain(`PI_GEN_COMMIT must be the 40-hex commit of pi-gen tag ${TAG}`);
    expect(unpinned.output).toContain(`git ls-remote --tags file://`);
  });

  it("reuses the checkout on a second build and re-assembles the stage", async () => {
    await rm(report);
    const result = await run(join(repo, "pi-gen-config/build.sh"), [], { env });
    expect(result.code, result.output).toBe(0);
    expect(result.output).not.toContain("cloning again");
    expect(result.output).toContain(`assembled ${join(tmp, "pi-gen", "stage-handcarry")}`);
    expect(await readFile(report, "utf8")).toContain("agent copied");
  });
});

/** Links into `into` each program found in `dirs` (first one wins), except `missing`. */
async function linkProgramsExcept(into: string, dirs: string[], missing: string): Promise<void> {
  for (const dir of dirs) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      if (name === missing || existsSync(join(into, name))) continue;
      await symlink(join(dir, name), join(into, name));
    }
  }
}

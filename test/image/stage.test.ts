// The appliance image stage, installed for real: debootstrap a Debian trixie root (the
// stand-in for Raspberry Pi OS Lite), run stage-handcarry on it twice through a pi-gen
// shim (on_chroot = chroot with /proc, /sys, /dev mounted), then check inside the root
// that the agent runs, the units are enabled and verify, the user, hotspot profiles and
// firmware fragments are right, the second run changed nothing, and first-boot setup
// gives each device its own hotspot name and passwords.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, existsSync, readFileSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");
const packageVersion = (JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { version: string })
  .version;

// Test-only settings handed to the stage through the pi-gen config, as build.sh does.
const MASTER_URL = "http://master.test:8080/hc";
const UPLINK_SSID = "Field Office: 2.4 GHz";
const UPLINK_PSK = "uplink pass 'quoted' $x";
const COUNTRY = "KE";
const CHANNEL = "11";

function commandExists(name: string): boolean {
  return (process.env.PATH ?? "").split(":").some((dir) => dir !== "" && existsSync(join(dir, name)));
}

const skipReason =
  process.getuid?.() !== 0
    ? "needs root (chroot, mounts)"
    : !commandExists("debootstrap")
      ? "needs debootstrap (apt-get install debootstrap)"
      : "";
if (skipReason !== "") {
  console.warn(
    `test/image/stage.test.ts skipped: ${skipReason}; CI runs it as root with debootstrap installed`,
  );
}

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a command, output into memory (and a log file when given). */
function run(
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
    child.stdin.end(options.input ?? "");
  });
}

/** Run a step that must succeed; on failure the error carries the end of its output. */
async function step(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv, log: string) {
  const started = performance.now();
  const result = await run(cmd, args, { env, log });
  // Reported, never asserted: where the minutes of this test go.
  console.log(`image test: ${name} took ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (result.code !== 0) {
    const tail = `${result.stdout}\n${result.stderr}`.trim().split("\n").slice(-40).join("\n");
    throw new Error(`${name} failed (exit ${result.code}); full log ${log}; last lines:\n${tail}`);
  }
  return result;
}

async function sha256(path: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
}

/** Unmount anything still mounted below dir (the scripts use private mount namespaces; this is the backstop). */
async function unmountBelow(dir: string) {
  const mounts = readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[1] ?? "")
    .filter((target) => target.startsWith(`${dir}/`))
    .sort()
    .reverse();
  for (const target of mounts) await run("umount", ["-l", target]);
}

/** Roots (~1 GB each) left by runs that were killed: older than two hours, nothing mounted. */
async function sweepStaleRuns() {
  const mounts = readFileSync("/proc/self/mounts", "utf8");
  for (const name of await readdir(tmpdir())) {
    if (!name.startsWith("handcarry-image-")) continue;
    const dir = join(tmpdir(), name);
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory() || Date.now() - info.mtimeMs < 2 * 3600_000) continue;
    if (mounts.includes(` ${dir}/`)) continue;
    await rm(dir, { recursive: true, force: true });
  }
}

describe.skipIf(skipReason !== "")("stage-handcarry on a debootstrapped Debian trixie root", () => {
  let tmp = "";
  let root = "";
  let log = "";
  let secondRunOutput = "";
  const firstRunHashes = new Map<string, string>();
  const watched = [
    "boot/firmware/config.txt",
    "boot/firmware/cmdline.txt",
    "etc/NetworkManager/system-connections/handcarry-hotspot.nmconnection",
    "etc/NetworkManager/system-connections/handcarry-uplink.nmconnection",
    "etc/handcarry/agent.env",
    "opt/handcarry/node_modules/.handcarry-deps",
    "opt/handcarry/dist/cli.js",
  ];

  /** A command inside the built root, with /proc, /dev, /sys mounted for it alone. */
  const inRoot = (args: string[], input?: string) =>
    run(join(here, "in-root.sh"), [root, ...args], { input });
  const rootFile = (path: string) => readFile(join(root, path), "utf8");
  const profile = (name: string) => `/etc/NetworkManager/system-connections/${name}.nmconnection`;
  /** The profile as nmcli parses it: nmcli --offline re-emits a keyfile it could read. */
  const parseProfile = (name: string) =>
    inRoot(["sh", "-c", `nmcli --offline connection modify connection.id ${name} < ${profile(name)}`]);

  beforeAll(async () => {
    await sweepStaleRuns();
    tmp = await mkdtemp(join(tmpdir(), "handcarry-image-"));
    log = join(tmp, "build.log");
    const cache = process.env.HANDCARRY_IMAGE_CACHE ?? "/var/tmp/handcarry-image-test";
    const env: NodeJS.ProcessEnv = { ...process.env, HANDCARRY_TEST_APT_CACHE: join(cache, "apt") };
    delete env.HANDCARRY_IN_MOUNT_NS;
    const extraCa = process.env.NODE_EXTRA_CA_CERTS;
    if (extraCa && existsSync(extraCa)) env.HANDCARRY_TEST_CA_BUNDLE = extraCa;

    const base = join(tmp, "base");
    const stage = join(tmp, "stage-handcarry");
    const work = join(tmp, "work");
    root = join(work, "rootfs");
    // The cache (debootstrap tarball, apt archives) is shared by every test run on this
    // machine: steps that touch it hold a lock, so parallel "npm test" runs take turns.
    await mkdir(cache, { recursive: true });
    const locked = (script: string, args: string[]): [string, string[]] => [
      "flock",
      [join(cache, ".lock"), script, ...args],
    ];
    await step("prepare-base.sh", ...locked(join(here, "prepare-base.sh"), [cache, base]), env, log);
    // The agent is built with "npm run build", as build.sh does. HANDCARRY_IMAGE_APP_DIST
    // (a dist/ built some other way) is only for working on the image while src/ is mid-change.
    const appDist = process.env.HANDCARRY_IMAGE_APP_DIST;
    const assembleArgs = appDist ? ["--app-dist", appDist, stage] : [stage];
    await step("assemble-stage.sh", join(repo, "pi-gen-config/assemble-stage.sh"), assembleArgs, env, log);

    // The repository's config plus overrides, the way build.sh writes them.
    const config = join(tmp, "config");
    const quote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;
    await writeFile(
      config,
      `${await readFile(join(repo, "pi-gen-config/config"), "utf8")}
WPA_COUNTRY=${COUNTRY}
export HANDCARRY_MASTER=${quote(MASTER_URL)}
export HANDCARRY_UPLINK_SSID=${quote(UPLINK_SSID)}
export HANDCARRY_UPLINK_PSK=${quote(UPLINK_PSK)}
export HANDCARRY_HOTSPOT_CHANNEL=${CHANNEL}
`,
    );
    const runStage = join(here, "run-stage.sh");
    await step("stage, first run", ...locked(runStage, [config, base, stage, work]), env, log);
    for (const path of watched) firstRunHashes.set(path, await sha256(join(root, path)));
    const second = await step(
      "stage, second run",
      ...locked(runStage, [config, base, stage, work]),
      env,
      log,
    );
    secondRunOutput = second.stdout + second.stderr;
    // Two whole stage runs (plus waiting for the shared cache lock while another checkout's
    // run holds it): minutes on an idle machine, over 10 min on a loaded one.
  }, 30 * 60_000);

  afterAll(async () => {
    if (tmp === "") return;
    await unmountBelow(tmp);
    await rm(tmp, { recursive: true, force: true });
  });

  it("runs the agent from /opt/handcarry with the image's own node", async () => {
    const version = await inRoot(["node", "/opt/handcarry/dist/cli.js", "--version"]);
    expect(version.stderr).toBe("");
    expect(version.stdout.trim()).toBe(packageVersion);
    const node = await inRoot(["sh", "-c", "command -v node; node --version"]);
    const [path, nodeVersion] = node.stdout.trim().split("\n");
    expect(path).toBe("/usr/bin/node"); // Debian's nodejs, as the unit's ExecStart expects
    const [major = 0, minor = 0] = (nodeVersion ?? "").replace(/^v/, "").split(".").map(Number);
    expect(major * 1000 + minor).toBeGreaterThanOrEqual(20 * 1000 + 19); // package.json engines
  });

  it("built the native modules for the target and kept only its prebuilds", async () => {
    const script = [
      'const { Epoll } = require("epoll");',
      'if (typeof Epoll !== "function") throw new Error("epoll did not load");',
      'const { ClassicLevel } = require("classic-level");',
      'const db = new ClassicLevel("/tmp/handcarry-level-check");',
      '(async () => { await db.put("k", "v1"); const v = await db.get("k"); await db.close();',
      "  console.log(v); })().catch((e) => { console.error(e); process.exit(1); });",
    ].join("\n");
    const check = await inRoot(["sh", "-c", "cd /opt/handcarry && node -", ""], script);
    expect(check.stderr).toBe("");
    expect(check.stdout.trim()).toBe("v1");
    const prebuilds = await inRoot(["sh", "-c", "ls /opt/handcarry/node_modules/classic-level/prebuilds"]);
    const arch = (await inRoot(["node", "-p", "process.arch"])).stdout.trim();
    expect(prebuilds.stdout.trim().split("\n")).toEqual([`linux-${arch}`]);
  });

  it("removed the build tools it installed and kept nodejs", async () => {
    const status = await inRoot([
      "dpkg-query",
      "-W",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a dpkg-query format, not a JS template
      "-f=${Package} ${db:Status-Abbrev}\\n",
      "nodejs",
      "npm",
      "g++",
      "make",
    ]);
    const installed = status.stdout
      .split("\n")
      .filter((line) => /\sii\s*$/.test(line))
      .map((line) => line.split(" ")[0]);
    expect(installed).toEqual(["nodejs"]);
  });

  it("installs, enables and verifies the units on the image's systemd", async () => {
    const units = ["handcarry-agent.service", "handcarry-setup.service", "handcarry-wifi-interfaces.service"];
    const enabled = await inRoot(["systemctl", "is-enabled", ...units]);
    expect(enabled.stdout.trim().split("\n")).toEqual(["enabled", "enabled", "enabled"]);
    const verify = await inRoot([
      "systemd-analyze",
      "verify",
      "--man=no",
      ...units.map((unit) => `/usr/local/lib/systemd/system/${unit}`),
    ]);
    expect(verify.stdout + verify.stderr).toBe("");
    expect(verify.code).toBe(0);
    const journald = await inRoot(["systemd-analyze", "cat-config", "systemd/journald.conf"]);
    expect(journald.stdout).toMatch(/^Storage=volatile$/m);
    expect((await stat(join(root, "usr/local/sbin/handcarry-setup"))).mode & 0o777).toBe(0o755);
  });

  it("lets the agent's user bind port 80 with the unit's capability and nothing more", async () => {
    // What systemd does with User=, AmbientCapabilities=, CapabilityBoundingSet= and
    // NoNewPrivileges=, done by setpriv, in a network namespace of our own.
    const unit = await rootFile("usr/local/lib/systemd/system/handcarry-agent.service");
    const setting = (key: string) => unit.match(new RegExp(`^${key}=(.*)$`, "m"))?.[1]?.trim() ?? "";
    expect(setting("NoNewPrivileges")).toBe("yes");
    const caps = setting("AmbientCapabilities")
      .split(/\s+/)
      .map((cap) => cap.toLowerCase().replace(/^cap_/, ""));
    expect(caps).toEqual(["net_bind_service"]);
    expect(setting("CapabilityBoundingSet")).toBe(setting("AmbientCapabilities"));
    const listen80 =
      'const s = require("node:net").createServer(); s.on("error", (e) => { console.log(e.code); });' +
      's.listen(80, "0.0.0.0", () => { console.log("bound"); s.close(); });';
    const asAgent = (capabilities: string[]) => {
      const list = capabilities.map((cap) => `+${cap}`).join(",");
      const capArgs = list === "" ? [] : [`--inh-caps=${list}`, `--ambient-caps=${list}`];
      return run("unshare", [
        "--net",
        "--",
        join(here, "in-root.sh"),
        root,
        "setpriv",
        `--reuid=${setting("User")}`,
        `--regid=${setting("Group")}`,
        "--init-groups",
        ...capArgs,
        `--bounding-set=-all${list === "" ? "" : `,${list}`}`,
        "--no-new-privs",
        "/usr/bin/node",
        "-e",
        listen80,
      ]);
    };
    const withCap = await asAgent(caps);
    expect(withCap.stderr).toBe("");
    expect(withCap.stdout.trim()).toBe("bound");
    const without = await asAgent([]);
    expect(without.stdout.trim()).toBe("EACCES");
    // And the same user cannot touch the installed agent.
    const write = await inRoot([
      "setpriv",
      "--reuid=handcarry",
      "--regid=handcarry",
      "--init-groups",
      "sh",
      "-c",
      "echo x > /opt/handcarry/dist/cli.js",
    ]);
    expect(write.code).not.toBe(0);
  });

  it("creates the handcarry system user, its data directory and settings file", async () => {
    const passwd = (await inRoot(["getent", "passwd", "handcarry"])).stdout.trim().split(":");
    expect(passwd[0]).toBe("handcarry");
    expect(Number(passwd[2])).toBeLessThan(1000);
    expect(passwd[5]).toBe("/var/lib/handcarry");
    expect(passwd[6]).toBe("/usr/sbin/nologin");
    const groups = (await inRoot(["id", "-nG", "handcarry"])).stdout.trim().split(" ");
    expect(groups).toContain("gpio");

    const dataDir = await inRoot(["stat", "-c", "%U:%G %a", "/var/lib/handcarry"]);
    expect(dataDir.stdout.trim()).toBe("handcarry:handcarry 750");
    const envFile = await inRoot(["stat", "-c", "%U:%G %a", "/etc/handcarry/agent.env"]);
    expect(envFile.stdout.trim()).toBe("root:handcarry 640");
    const masterLines = (await rootFile("etc/handcarry/agent.env"))
      .split("\n")
      .filter((l) => l.startsWith("HANDCARRY_MASTER="));
    expect(masterLines).toEqual([`HANDCARRY_MASTER=${MASTER_URL}`]);
  });

  it("ships a config.json the shipped agent accepts, with the pins the firmware sets up", async () => {
    const mode = await inRoot(["stat", "-c", "%U:%G %a", "/etc/handcarry/config.json"]);
    expect(mode.stdout.trim()).toBe("root:handcarry 640");
    // The agent's own loader, as handcarry-agent.service runs it (HANDCARRY_CONFIG + env).
    const load = [
      'const { loadAgentConfig } = await import("/opt/handcarry/dist/agent/config.js");',
      "const config = await loadAgentConfig({ env: { HANDCARRY_CONFIG: '/etc/handcarry/config.json',",
      "  HANDCARRY_DATA: '/var/lib/handcarry', HANDCARRY_MASTER: 'http://master.test' } });",
      "console.log(JSON.stringify(config.device));",
    ].join("\n");
    const loaded = await inRoot(["node", "--input-type=module", "-e", load]);
    expect(loaded.stderr).toBe("");
    const device = JSON.parse(loaded.stdout) as {
      leds: { statusPin: number; alertPin: number };
      button: { pin: number; ownsShutdown: boolean };
    };
    const firmware = await readFile(join(repo, "firmware/config.txt"), "utf8");
    const outputs = firmware
      .match(/^gpio=([\d,]+)=op,dl$/m)?.[1]
      ?.split(",")
      .map(Number);
    const pulledUp = firmware.match(/^gpio=(\d+)=ip,pu$/m)?.[1];
    const shutdownPin = firmware.match(/^dtoverlay=gpio-shutdown,gpio_pin=(\d+)/m)?.[1];
    expect(outputs).toEqual([device.leds.statusPin, device.leds.alertPin]);
    expect(Number(pulledUp)).toBe(device.button.pin);
    // The kernel owns the shutdown pin (gpio-shutdown): the agent must not try to export it.
    expect(Number(shutdownPin)).not.toBe(device.button.pin);
    expect(device.button.ownsShutdown).toBe(false);
  });

  it("expires the first user's password so the first login must change it", async () => {
    const chage = await inRoot(["chage", "-l", "pi"]);
    expect(chage.stdout).toMatch(/Last password change\s*:\s*password must be changed/);
  });

  it("writes a hotspot profile that nmcli parses: AP, shared IPv4, channel from the config", async () => {
    expect((await stat(join(root, profile("handcarry-hotspot").slice(1)))).mode & 0o777).toBe(0o600);
    const parsed = await parseProfile("handcarry-hotspot");
    expect(parsed.stderr).toBe("");
    expect(parsed.code).toBe(0);
    for (const line of [
      "mode=ap",
      "ssid=handcarry-setup",
      `channel=${CHANNEL}`,
      "method=shared",
      "address1=10.42.0.1/24",
      "key-mgmt=wpa-psk",
    ]) {
      expect(parsed.stdout.split("\n")).toContain(line);
    }
    const dns = await rootFile("etc/NetworkManager/dnsmasq-shared.d/handcarry.conf");
    expect(dns).toMatch(/^address=\/#\/10\.42\.0\.1$/m);
    const polkit = await rootFile("etc/polkit-1/rules.d/50-handcarry-networkmanager.rules");
    expect(polkit).toContain('subject.user === "handcarry"');
    // polkitd reads that rule; without it NetworkManager refuses the agent (not root).
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a dpkg-query format, not a JS template
    const polkitd = await inRoot(["dpkg-query", "-W", "-f=${db:Status-Abbrev}", "polkitd"]);
    expect(polkitd.stdout.trim()).toBe("ii");
  });

  it("writes the uplink profile with an SSID and password that need quoting", async () => {
    const parsed = await parseProfile("handcarry-uplink");
    expect(parsed.code).toBe(0);
    const lines = parsed.stdout.split("\n");
    expect(lines).toContain(`ssid=${UPLINK_SSID}`);
    expect(lines).toContain(`psk=${UPLINK_PSK}`);
    expect(lines).toContain("autoconnect-priority=10");
  });

  it("appends the firmware fragments once and keeps what was there", async () => {
    const config = await rootFile("boot/firmware/config.txt");
    const fixture = await readFile(join(here, "fixtures/config.txt"), "utf8");
    expect(config.startsWith(fixture.trimEnd())).toBe(true);
    expect(config.split("# >>> handcarry (firmware/config.txt) >>>").length - 1).toBe(1);
    const fragment = await readFile(join(repo, "firmware/config.txt"), "utf8");
    expect(config.trimEnd().endsWith(`${fragment.trimEnd()}\n# <<< handcarry <<<`)).toBe(true);

    const cmdline = await rootFile("boot/firmware/cmdline.txt");
    expect(cmdline.trimEnd().split("\n")).toHaveLength(1);
    const tokens = cmdline.trim().split(" ");
    expect(tokens.filter((t) => t.startsWith("cfg80211.ieee80211_regdom="))).toEqual([
      `cfg80211.ieee80211_regdom=${COUNTRY}`,
    ]);
    expect(tokens.filter((t) => t.startsWith("fsck.repair="))).toEqual(["fsck.repair=yes"]);
    expect(tokens).toContain("root=PARTUUID=0badcafe-02");
  });

  it("changes nothing on a second run, and skips reinstalling dependencies", async () => {
    for (const path of watched) {
      expect(await sha256(join(root, path)), path).toBe(firstRunHashes.get(path));
    }
    expect(secondRunOutput).toContain("production dependencies already installed for this lockfile");
  });

  it("puts the hotspot beside the client only when asked and the radio allows it", async () => {
    // A stand-in for iw (there is no radio here): logs its arguments, prints a real-shaped
    // "iw phy" from the fixtures, and "creates" uap0 in a fake /sys/class/net.
    const fakeIw =
      '#!/bin/sh\necho "$*" >>/tmp/fake-iw.log\ncase "$1" in\n  phy) cat /tmp/fake-iw-phy.txt ;;\n  dev) mkdir -p /tmp/fake-net/uap0 ;;\nesac\n';
    await writeFile(join(root, "tmp/fake-iw"), fakeIw, { mode: 0o755 });
    const decide = async (concurrent: string, phyFixture: string, hasWlan0 = true) => {
      await rm(join(root, "tmp/fake-net"), { recursive: true, force: true });
      await rm(join(root, "tmp/fake-iw.log"), { force: true });
      if (hasWlan0) await mkdir(join(root, "tmp/fake-net/wlan0"), { recursive: true });
      await copyFile(join(here, "fixtures", phyFixture), join(root, "tmp/fake-iw-phy.txt"));
      const result = await inRoot([
        "env",
        `HANDCARRY_WIFI_CONCURRENT=${concurrent}`,
        "HANDCARRY_IW=/tmp/fake-iw",
        "HANDCARRY_SYS_CLASS_NET=/tmp/fake-net",
        "HANDCARRY_WIFI_STATE=/tmp/wifi.env",
        "HANDCARRY_WIFI_WAIT_SECONDS=0",
        "/usr/local/sbin/handcarry-wifi-interfaces",
      ]);
      expect(result.code, result.stderr).toBe(0);
      const parsed = await parseProfile("handcarry-hotspot");
      expect(parsed.code).toBe(0);
      const iwLog = existsSync(join(root, "tmp/fake-iw.log")) ? await rootFile("tmp/fake-iw.log") : "";
      return {
        interface: parsed.stdout.split("\n").find((line) => line.startsWith("interface-name=")),
        state: await rootFile("tmp/wifi.env"),
        iwCalls: iwLog.split("\n").filter((line) => line !== ""),
      };
    };

    expect(await decide("0", "iw-phy-ap-and-client.txt")).toEqual({
      interface: "interface-name=wlan0",
      state: "HANDCARRY_WIFI_MODE=switch\nHANDCARRY_HOTSPOT_INTERFACE=wlan0\n",
      iwCalls: [],
    });
    expect(await decide("1", "iw-phy-ap-and-client.txt")).toEqual({
      interface: "interface-name=uap0",
      state: "HANDCARRY_WIFI_MODE=concurrent\nHANDCARRY_HOTSPOT_INTERFACE=uap0\n",
      iwCalls: ["phy", "dev wlan0 interface add uap0 type __ap"],
    });
    expect(await decide("1", "iw-phy-one-role.txt")).toEqual({
      interface: "interface-name=wlan0",
      state: "HANDCARRY_WIFI_MODE=switch\nHANDCARRY_HOTSPOT_INTERFACE=wlan0\n",
      iwCalls: ["phy"],
    });
    const noRadio = await decide("1", "iw-phy-ap-and-client.txt", false);
    expect(noRadio.interface).toBe("interface-name=wlan0");
    expect(noRadio.iwCalls).toEqual([]);
  });

  describe("first boot (handcarry-setup run inside the root)", () => {
    const MACHINE_A = "0123456789abcdef0123456789abcdef";
    const MACHINE_B = "fedcba9876543210fedcba98765432a7";
    let pristine = new Map<string, string>();
    const setupFiles = [
      "etc/NetworkManager/system-connections/handcarry-hotspot.nmconnection",
      "etc/handcarry/agent.env",
    ];

    const envValue = (text: string, key: string) =>
      text
        .split("\n")
        .filter((line) => line.startsWith(`${key}=`))
        .map((line) => line.slice(key.length + 1));

    async function firstBoot(machineId: string) {
      // Back to the image as built, on a "device" with this machine id.
      for (const [path, backup] of pristine) await copyFile(backup, join(root, path));
      await rm(join(root, "etc/handcarry/device.env"), { force: true });
      await rm(join(root, "boot/firmware/handcarry.txt"), { force: true });
      await writeFile(join(root, "etc/machine-id"), `${machineId}\n`);
      const setup = await inRoot(["/usr/local/sbin/handcarry-setup"]);
      expect(setup.code, setup.stderr).toBe(0);
      const device = await rootFile("etc/handcarry/device.env");
      const hotspot = await parseProfile("handcarry-hotspot");
      expect(hotspot.code).toBe(0);
      return {
        ssid: envValue(device, "HOTSPOT_SSID")[0] ?? "",
        psk: envValue(device, "HOTSPOT_PSK")[0] ?? "",
        admin: envValue(await rootFile("etc/handcarry/agent.env"), "HANDCARRY_ADMIN_PASSWORD"),
        profile: hotspot.stdout.split("\n"),
        note: await rootFile("boot/firmware/handcarry.txt"),
      };
    }

    beforeAll(async () => {
      pristine = new Map();
      for (const path of setupFiles) {
        const backup = join(tmp, `pristine-${path.replaceAll("/", "_")}`);
        await copyFile(join(root, path), backup);
        pristine.set(path, backup);
      }
    });

    it("names the hotspot after the device and writes fresh passwords where the carrier reads them", async () => {
      const a = await firstBoot(MACHINE_A);
      expect(a.ssid).toBe("handcarry-CDEF"); // last four hex digits of the machine id, upper case
      expect(a.profile).toContain(`ssid=${a.ssid}`);
      expect(a.profile).toContain(`psk=${a.psk}`);
      expect(a.psk).toMatch(/^[a-km-np-z2-9]{10}$/);
      expect(a.admin).toHaveLength(1);
      expect(a.admin[0]).toMatch(/^[a-km-np-z2-9]{12}$/);
      expect(a.note).toContain(`Wi-Fi name (SSID):  ${a.ssid}`);
      expect(a.note).toContain(`Wi-Fi password:     ${a.psk}`);
      expect(a.note).toContain(`Admin password:     ${a.admin[0]}`);
      const modes = await inRoot([
        "stat",
        "-c",
        "%n %U:%G %a",
        profile("handcarry-hotspot"),
        "/etc/handcarry/agent.env",
        "/etc/handcarry/device.env",
      ]);
      expect(modes.stdout.trim().split("\n")).toEqual([
        `${profile("handcarry-hotspot")} root:root 600`,
        "/etc/handcarry/agent.env root:handcarry 640",
        "/etc/handcarry/device.env root:root 600",
      ]);
      // The master URL from the build survives.
      expect(envValue(await rootFile("etc/handcarry/agent.env"), "HANDCARRY_MASTER")).toEqual([MASTER_URL]);

      // Later boots keep everything.
      const before = await Promise.all(setupFiles.map((p) => sha256(join(root, p))));
      expect((await inRoot(["/usr/local/sbin/handcarry-setup"])).code).toBe(0);
      expect(await Promise.all(setupFiles.map((p) => sha256(join(root, p))))).toEqual(before);

      const b = await firstBoot(MACHINE_B);
      expect(b.ssid).toBe("handcarry-32A7");
      expect(b.psk).not.toBe(a.psk);
      expect(b.admin[0]).not.toBe(a.admin[0]);
    });

    it("takes the master URL from the boot partition, and ignores a line that is not one", async () => {
      await writeFile(
        join(root, "boot/firmware/handcarry-master.txt"),
        "# our master\r\n  https://master.example.org/hc  \r\n",
      );
      expect((await inRoot(["/usr/local/sbin/handcarry-setup"])).code).toBe(0);
      const agentEnv = () => rootFile("etc/handcarry/agent.env");
      expect(envValue(await agentEnv(), "HANDCARRY_MASTER")).toEqual(["https://master.example.org/hc"]);

      await writeFile(join(root, "boot/firmware/handcarry-master.txt"), "ftp://master.example.org/\n");
      const ignored = await inRoot(["/usr/local/sbin/handcarry-setup"]);
      expect(ignored.code).toBe(0);
      expect(ignored.stderr).toContain("is not an http(s) URL");
      expect(envValue(await agentEnv(), "HANDCARRY_MASTER")).toEqual(["https://master.example.org/hc"]);
      await rm(join(root, "boot/firmware/handcarry-master.txt"));
    });
  });
});

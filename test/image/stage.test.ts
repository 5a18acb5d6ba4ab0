// The appliance image stage, installed for real: debootstrap a Debian trixie root (the
// stand-in for Raspberry Pi OS Lite), run stage-handcarry on it twice through a pi-gen
// shim (on_chroot = chroot with /proc, /sys, /dev mounted), then check inside the root
// that the agent runs, the units are enabled and verify, the user, hotspot profiles and
// firmware fragments are right, the second run changed nothing, and first-boot setup
// gives each device its own hotspot name and passwords.
import { existsSync, readFileSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bashQuote,
  commandExists,
  imageTestDir as here,
  installStage,
  repo,
  run,
  sha256,
  sweepStaleRuns,
  unmountBelow,
} from "./support.js";

const packageVersion = (JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { version: string })
  .version;

// Test-only settings handed to the stage through the pi-gen config, as build.sh does.
const MASTER_URL = "http://master.test:8080/hc";
const UPLINK_SSID = "Field Office: 2.4 GHz";
const UPLINK_PSK = "uplink pass 'quoted' $x";
const COUNTRY = "KE";
const CHANNEL = "11";

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
    "etc/fstab",
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
    const stage = await installStage(
      tmp,
      log,
      `WPA_COUNTRY=${COUNTRY}
export HANDCARRY_MASTER=${bashQuote(MASTER_URL)}
export HANDCARRY_UPLINK_SSID=${bashQuote(UPLINK_SSID)}
export HANDCARRY_UPLINK_PSK=${bashQuote(UPLINK_PSK)}
export HANDCARRY_HOTSPOT_CHANNEL=${CHANNEL}
`,
    );
    root = stage.root;
    for (const path of watched) firstRunHashes.set(path, await sha256(join(root, path)));
    secondRunOutput = await stage.rerun();
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
    // NetworkManager's state (leases, timestamps) in RAM, mounted before it starts.
    const nmState = await inRoot(["systemctl", "is-enabled", "var-lib-NetworkManager.mount"]);
    expect(nmState.stdout.trim()).toBe("enabled");
    const verifyMount = await inRoot([
      "systemd-analyze",
      "verify",
      "--man=no",
      "/usr/local/lib/systemd/system/var-lib-NetworkManager.mount",
    ]);
    expect(verifyMount.stdout + verifyMount.stderr).toBe("");
    // The boot partition (the card note's passwords) readable by root only.
    const fstab = (await rootFile("etc/fstab")).split("\n").filter((line) => line.includes("/boot/firmware"));
    expect(fstab).toEqual([
      "BOOTDEV  /boot/firmware  vfat    defaults,fmask=0077,dmask=0077          0       2",
    ]);
    expect(await rootFile("etc/udev/rules.d/60-handcarry-leds.rules")).toContain(
      'KERNEL=="ACT|PWR|led0|led1"',
    );
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

  it("ships a config.json the shipped agent accepts: onboard LEDs, the button the firmware sets up", async () => {
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
      leds?: { statusPin?: number; alertPin?: number };
      button: { pin: number; ownsShutdown: boolean };
    };
    // No LED pins: a bare Pi shows its states on the onboard ACT/PWR LEDs.
    expect(device.leds?.statusPin).toBeUndefined();
    expect(device.leds?.alertPin).toBeUndefined();
    const firmware = await readFile(join(repo, "firmware/config.txt"), "utf8");
    // Wired LEDs, when someone adds them, go on the pins the firmware keeps dark: 17 and 27.
    expect(firmware.match(/^gpio=([\d,]+)=op,dl$/m)?.[1]).toBe("17,27");
    const pulledUp = firmware.match(/^gpio=(\d+)=ip,pu$/m)?.[1];
    const shutdownPin = firmware.match(/^dtoverlay=gpio-shutdown,gpio_pin=(\d+)/m)?.[1];
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
    expect(parsed.stdout.split("\n")).toContain("shared-dhcp-lease-time=3600");
    const dns = await rootFile("etc/NetworkManager/dnsmasq-shared.d/handcarry.conf");
    expect(dns).toMatch(/^address=\/#\/10\.42\.0\.1$/m);
    // No forwarding from the hotspot: the dispatcher script, executable, for that profile only.
    const dispatcher = "etc/NetworkManager/dispatcher.d/50-handcarry-no-forward";
    expect((await stat(join(root, dispatcher))).mode & 0o777).toBe(0o755);
    // avahi announces handcarry.local on the hotspot interfaces only.
    const avahi = (await rootFile("etc/avahi/avahi-daemon.conf")).split("\n");
    expect(avahi.filter((line) => line.startsWith("allow-interfaces="))).toEqual([
      "allow-interfaces=wlan0,uap0",
    ]);
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
      expect(a.ssid).toBe("handcarry-ABCDEF"); // last six hex digits of the machine id, upper case
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
      expect(b.ssid).toBe("handcarry-5432A7");
      expect(b.psk).not.toBe(a.psk);
      expect(b.admin[0]).not.toBe(a.admin[0]);
    });

    it("has a fail-safe that names the hotspot without nmcli when setup failed", async () => {
      for (const [path, backup] of pristine) await copyFile(backup, join(root, path));
      await rm(join(root, "etc/handcarry/device.env"), { force: true });
      await rm(join(root, "boot/firmware/handcarry.txt"), { force: true });
      await writeFile(join(root, "etc/machine-id"), `${MACHINE_A}\n`);
      // Setup fails: nmcli is broken. The unit's ExecStopPost then runs the fail-safe.
      await writeFile(join(root, "tmp/nmcli"), "#!/bin/sh\necho 'nmcli: broken' >&2\nexit 8\n", {
        mode: 0o755,
      });
      const failed = await inRoot([
        "env",
        "PATH=/tmp:/usr/sbin:/usr/bin:/sbin:/bin",
        "/usr/local/sbin/handcarry-setup",
      ]);
      expect(failed.code).not.toBe(0);
      expect(existsSync(join(root, "etc/handcarry/device.env"))).toBe(false);
      const safe = await inRoot([
        "env",
        "PATH=/tmp:/usr/sbin:/usr/bin:/sbin:/bin",
        "/usr/local/sbin/handcarry-setup",
        "--fail-safe",
      ]);
      expect(safe.code, safe.stderr).toBe(0);
      expect(safe.stderr).toContain("setup did not complete; fail-safe hotspot name and password");
      const device = await rootFile("etc/handcarry/device.env");
      const psk = envValue(device, "HOTSPOT_PSK")[0] ?? "";
      expect(envValue(device, "HOTSPOT_SSID")).toEqual(["handcarry-ABCDEF"]);
      expect(psk).toMatch(/^[a-km-np-z2-9]{10}$/);
      // The real nmcli reads the sed-edited profile back with the new name and password.
      const hotspot = await parseProfile("handcarry-hotspot");
      expect(hotspot.code, hotspot.stderr).toBe(0);
      expect(hotspot.stdout.split("\n")).toEqual(
        expect.arrayContaining(["ssid=handcarry-ABCDEF", `psk=${psk}`]),
      );
      const note = await rootFile("boot/firmware/handcarry.txt");
      expect(note).toContain("Set up by the fail-safe");
      expect(note).toContain(`Wi-Fi password:     ${psk}`);
      // A fail-safe run after a setup that did complete changes nothing.
      const before = await sha256(join(root, "etc/handcarry/device.env"));
      expect((await inRoot(["/usr/local/sbin/handcarry-setup", "--fail-safe"])).code).toBe(0);
      expect(await sha256(join(root, "etc/handcarry/device.env"))).toBe(before);
      await rm(join(root, "tmp/nmcli"));
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

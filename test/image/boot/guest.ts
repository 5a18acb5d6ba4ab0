// The boot test's machine: the image's root and boot partition booted with qemu (TCG,
// user-mode network with port 80 forwarded to 127.0.0.1 only), the probe's report read
// from the second serial port, and the disks read back with debugfs and mtools once it
// is off. Nothing here waits a fixed time: every wait is for a condition, with a limit.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { join } from "node:path";
import { waitFor } from "../../support/wait.js";
import { run } from "../support.js";
import type { BootArch } from "./arch.js";

/** What prepare-boot-root.sh leaves: kernel, initramfs and the two disks as built. */
export interface Disks {
  dir: string;
  kernel: string;
  initrd: string;
  root: string;
  boot: string;
}

export function disksIn(dir: string): Disks {
  return {
    dir,
    kernel: join(dir, "vmlinuz"),
    initrd: join(dir, "initrd.img"),
    root: join(dir, "root.img"),
    boot: join(dir, "boot.img"),
  };
}

/** A free port on 127.0.0.1 for qemu's hostfwd. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface BootOptions {
  /** The machine: amd64 or arm64 (arch.ts). */
  arch: BootArch;
  /** Kernel command-line words for the probe (handcarry.course=…). */
  probeArgs: string[];
  /** Ports on 127.0.0.1 forwarded to the guest's port 80: on the hotspot address, and on the uplink one. */
  ports: { hotspot: number; uplink: number };
  /** Per boot: console log and report file names. */
  name: string;
}

/** The hotspot's address in the guest (the image's profile). */
export const HOTSPOT_ADDRESS = "10.42.0.1";

/** One boot of the disks (in place: state carries over to the next boot, as on a card). */
export class Guest {
  readonly console: string;
  readonly reportFile: string;
  readonly exited: Promise<number | null>;
  private readonly qemu: ChildProcess;
  private readonly monitor: string;
  readonly startedAt = Date.now();

  constructor(
    readonly disks: Disks,
    readonly options: BootOptions,
  ) {
    this.console = join(disks.dir, `${options.name}.console.log`);
    this.reportFile = join(disks.dir, `${options.name}.report.log`);
    this.monitor = join(disks.dir, `${options.name}.monitor.sock`);
    const { arch } = options;
    const append = [
      "root=/dev/vda",
      "rw",
      `console=${arch.console}`,
      // Where the probe writes its report (systemd hands this to every service).
      `systemd.setenv=PROBE_TTY=${arch.reportDevice}`,
      "cfg80211.ieee80211_regdom=KE",
      "fsck.repair=yes",
      "panic=-1",
      // TCG on a loaded 2-core machine runs tens of times slower than a Pi: let udev and
      // systemd wait as long as it takes (start jobs, module loads) instead of killing them.
      "udev.event_timeout=900",
      "systemd.default_timeout_start_sec=900",
      "systemd.default_device_timeout_sec=900",
      ...options.probeArgs,
    ].join(" ");
    // biome-ignore format: one qemu option per line
    const args = [
      // One vCPU: with two, multi-threaded TCG let one vCPU run a stale translation of kernel
      // code the other was patching (an int3 Oops in inet_getpeer, a panic in softirq).
      ...arch.machine, "-m", "1024", "-smp", "1", "-display", "none", "-no-reboot",
      "-device", "virtio-rng-pci",
      "-kernel", disks.kernel, "-initrd", disks.initrd, "-append", append,
      "-drive", `file=${disks.root},if=none,id=root,format=raw`, "-device", `${arch.disk},drive=root`,
      "-drive", `file=${disks.boot},if=none,id=boot,format=raw`, "-device", `${arch.disk},drive=boot`,
      // The uplink is qemu's user network (the guest is 10.0.2.15); the hotspot's address
      // is reached through it too, as a host on the same wire would.
      "-netdev", `user,id=n0,hostfwd=tcp:127.0.0.1:${options.ports.hotspot}-${HOTSPOT_ADDRESS}:80,hostfwd=tcp:127.0.0.1:${options.ports.uplink}-:80`,
      "-device", `${arch.net},netdev=n0`,
      "-serial", `file:${this.console}`, ...arch.reportPort(this.reportFile),
      "-monitor", `unix:${this.monitor},server,nowait`,
    ];
    // HANDCARRY_BOOT_NICE=<n>: qemu at that CPU niceness and idle I/O, for a shared machine
    // (every wait here is for a condition); unset, it runs at normal priority.
    const nice = process.env.HANDCARRY_BOOT_NICE;
    const [command, ...prefix] = nice ? ["nice", "-n", nice, "ionice", "-c3", arch.qemu] : [arch.qemu];
    this.qemu = spawn(command!, [...prefix, ...args], { stdio: "ignore" });
    this.exited = new Promise((resolve) => this.qemu.once("exit", (code) => resolve(code)));
  }

  /** The probe's JSON report, once it has written it; fails at once if qemu exits first. */
  async report(timeoutMs: number): Promise<ProbeReport> {
    const framed = /HANDCARRY-PROBE-BEGIN\r?\n(.*?)\r?\nHANDCARRY-PROBE-END/;
    const exitedFirst = this.exited.then(() => {
      throw new Error(`qemu exited before the probe reported (${this.lastStep()}); console: ${this.console}`);
    });
    const text = await Promise.race([
      waitFor(
        () => framed.exec(this.probeOutput())?.[1],
        () => `the probe's report (${this.lastStep()}; console: ${this.console})`,
        { timeoutMs, intervalMs: 2000 },
      ),
      exitedFirst,
    ]);
    return JSON.parse(text) as ProbeReport;
  }

  private probeOutput(): string {
    return existsSync(this.reportFile) ? readFileSync(this.reportFile, "utf8") : "";
  }

  /** The probe's last progress line ("boot-probe: waiting for …"), for messages. */
  lastStep(): string {
    const steps = this.probeOutput().match(/^boot-probe: .*$/gm);
    return steps?.at(-1)?.trim() ?? "the probe has not started";
  }

  /** Seconds since qemu started (reported, never asserted). */
  elapsedSec(): number {
    return Math.round((Date.now() - this.startedAt) / 1000);
  }

  /** A clean shutdown through ACPI, as the power button would; killed if it hangs. */
  async powerOff(timeoutMs = 5 * 60_000): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const socket = connect(this.monitor, () => socket.end("system_powerdown\n", () => resolve()));
      socket.on("error", reject);
      // Read (and drop) the monitor's banner: a socket nobody reads never sees qemu's close.
      socket.resume();
    });
    const timer = setTimeout(() => this.qemu.kill("SIGKILL"), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** The power cut: qemu killed, nothing flushed. */
  async cutPower(): Promise<void> {
    this.qemu.kill("SIGKILL");
    await this.exited;
  }
}

/** A file of the (powered-off) root disk, read with debugfs; null when absent. */
export async function rootFile(disks: Disks, path: string): Promise<string | null> {
  const result = await run("debugfs", ["-R", `cat ${path}`, disks.root]);
  return result.code === 0 && !/File not found/.test(result.stderr) ? result.stdout : null;
}

/** A file of the FAT boot partition, read with mtools; null when absent. */
export async function bootFile(disks: Disks, name: string): Promise<string | null> {
  const result = await run("mtype", ["-i", disks.boot, `::${name}`]);
  return result.code === 0 ? result.stdout : null;
}

/** Put a file on the FAT boot partition, as the carrier would from any computer. */
export async function putBootFile(disks: Disks, name: string, content: string, tmp: string): Promise<void> {
  const local = join(tmp, name);
  const { writeFile } = await import("node:fs/promises");
  await writeFile(local, content);
  const result = await run("mcopy", ["-o", "-i", disks.boot, local, `::${name}`]);
  if (result.code !== 0) throw new Error(`mcopy ${name}: ${result.stderr}`);
}

export interface ProbeReport {
  agentListening: boolean;
  bootFinished: boolean;
  coursesInstalled: boolean;
  hotspotUp: boolean;
  systemState: string;
  failedUnits: string[];
  bootId: string;
  journal: { runtimeFiles: number; persistentFiles: number };
  cardNoteMode: string;
  /** Who answers on port 80: the bound addresses (ss), the agent's own log line, HTTP codes (0: refused). */
  listen: {
    addresses: string[];
    log: string;
    uplinkIp: string;
    codes: { loopback: number; hotspot: number; uplink: number };
  };
  /** Seconds from kernel start to a listening agent and to the report (printed, never asserted). */
  uptimeSec: { agentUp: number; reported: number };
  /** The per-device values as the running system has them. */
  settings: { ssid: string; psk: string; admin: string; master: string; profileSsid: string; note: string };
  hotspotForwarding: string;
  networkManagerState: string;
  status: {
    state: string;
    device: string;
    leds: string;
    masterUrl: string;
    resumePending: boolean;
    courses: { id: string; title: string; contentHash: string }[];
  } | null;
  /** The twin button pressed (SIGUSR1), and what the agent's journal said after it. */
  button: {
    settled: boolean;
    messages: string[];
    states: { state: string; leds: string }[];
    /** Why the pressed sync failed, if it did. */
    errors: string[];
    ledsAfter: string;
  } | null;
  phone: {
    associated: boolean;
    lease: { ip: string; router: string; dns: string } | null;
    dns: { name: string; address: string }[];
    generate204: { code: number; location: string } | null;
    homeCode: number;
    course: { code: number; title: string } | null;
    reachesUplink: boolean | null;
  } | null;
}

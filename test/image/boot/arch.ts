// The boot test's machines, one per architecture: what differs between booting the image
// on an x86-64 PC (q35) and on an arm64 board (qemu's "virt" with a Cortex-A72, the Pi's
// core family), i.e. the qemu program and machine, the kernel console, the disk and network
// devices, and the port the probe writes its report to. Everything else (the root, the
// probe, the assertions) is the same for both. HANDCARRY_BOOT_ARM64=1 picks arm64.
import { existsSync, readFileSync } from "node:fs";

export type DebianArch = "amd64" | "arm64";

export interface BootArch {
  /** Debian's name; the root is debootstrapped for it and gets `linux-image-<arch>`. */
  debian: DebianArch;
  /** The qemu system emulator. */
  qemu: string;
  /** Machine and CPU options (always TCG: /dev/kvm fails nested on these hosts). */
  machine: string[];
  /** The kernel's console (the first serial port). */
  console: string;
  /** qemu devices for the two disks (vda, vdb) and the network card. */
  disk: string;
  net: string;
  /** qemu options giving the guest a second port, backed by `file`, for the probe's report. */
  reportPort(file: string): string[];
  /** That port inside the guest (handed to the probe as PROBE_TTY). */
  reportDevice: string;
  /** What the host needs besides qemu to build and boot this root, with a reason when missing. */
  hostProblem(): string | null;
}

const amd64: BootArch = {
  debian: "amd64",
  qemu: "qemu-system-x86_64",
  // q35: no floppy controller, whose probing stalls udev for minutes under TCG.
  machine: ["-machine", "q35", "-accel", "tcg"],
  console: "ttyS0",
  disk: "virtio-blk-pci",
  net: "virtio-net-pci",
  reportPort: (file) => ["-serial", `file:${file}`],
  reportDevice: "/dev/ttyS1",
  hostProblem: () => null,
};

/** binfmt_misc's entry for arm64 programs; `F` (fix binary) makes it work inside a chroot. */
const BINFMT_AARCH64 = "/proc/sys/fs/binfmt_misc/qemu-aarch64";

const arm64: BootArch = {
  debian: "arm64",
  qemu: "qemu-system-aarch64",
  machine: ["-machine", "virt", "-cpu", "cortex-a72", "-accel", "tcg"],
  // virt's one UART is a PL011.
  console: "ttyAMA0",
  disk: "virtio-blk-pci",
  net: "virtio-net-pci",
  // virt has a single UART, so the report goes over a named virtio serial port (udev links
  // it as /dev/virtio-ports/<name>; not a tty, so no getty claims it).
  // biome-ignore format: one qemu option per line
  reportPort: (file) => [
    "-device", "virtio-serial-pci",
    "-chardev", `file,id=report,path=${file}`,
    "-device", "virtserialport,chardev=report,name=handcarry.report",
  ],
  reportDevice: "/dev/virtio-ports/handcarry.report",
  hostProblem() {
    if (!existsSync(BINFMT_AARCH64) || !/^enabled$/m.test(readFileSync(BINFMT_AARCH64, "utf8"))) {
      return "needs arm64 programs to run through qemu-user (apt-get install qemu-user-static; with no systemd, mount binfmt_misc and write /usr/lib/binfmt.d/qemu-aarch64.conf to /proc/sys/fs/binfmt_misc/register)";
    }
    if (!/^flags: .*F/m.test(readFileSync(BINFMT_AARCH64, "utf8"))) {
      return "needs the qemu-aarch64 binfmt entry with the F flag, so it works in a chroot (qemu-user-static's, not qemu-user-binfmt's)";
    }
    return null;
  },
};

/** The machine to boot: arm64 when HANDCARRY_BOOT_ARM64=1, else amd64. */
export function bootArch(env: NodeJS.ProcessEnv = process.env): BootArch {
  return env.HANDCARRY_BOOT_ARM64 === "1" ? arm64 : amd64;
}

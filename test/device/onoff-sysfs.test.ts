// The REAL onoff path (createDevice → OnoffLedDriver/OnoffButton → onoff → sysfs files)
// against a fake /sys/class/gpio. onoff hardcodes /sys/class/gpio, so the child runs in a
// private mount namespace with a tmpfs over /sys/class:
//   unshare --mount --propagation private sh -c 'mount -t tmpfs tmpfs /sys/class && ...'
// The tree has gpiochip512 (pinctrl-bcm2711, as on a Pi 4 with kernel >= 6.6) and gpiochip570
// (the firmware expander), plus `export` and `unexport` files. The child
// (fixtures/real-onoff-child.ts) plays the kernel's part right after each write to them,
// creating and removing gpio<N>/{direction,value,edge,active_low}. So onoff really exports,
// configures, writes and unexports, and the test reads back what it wrote.
//
// What this cannot cover, and is left to the twin (button.test.ts): edge interrupts.
// onoff's watch() adds the value fd to epoll with EPOLLPRI, and epoll refuses regular tmpfs
// files (EPERM). So in this tree the real button opens and configures its pin but cannot
// watch it, and createDevice then disables the button with a warning, which we assert.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.join(here, "..", "..");

function unshareWorks(): string | null {
  if (process.getuid?.() !== 0) return "not root";
  try {
    execFileSync("unshare", ["--mount", "--propagation", "private", "true"], { stdio: "ignore" });
    return null;
  } catch (err) {
    return `unshare --mount failed: ${(err as Error).message}`;
  }
}
const cannot = unshareWorks();
if (cannot) console.warn(`SKIPPED real onoff sysfs tests: ${cannot}`);

const SCRIPT = `
set -e
mount -t tmpfs tmpfs /sys/class
G=/sys/class/gpio
mkdir -p $G/gpiochip512 $G/gpiochip570
echo 512 > $G/gpiochip512/base; echo 58 > $G/gpiochip512/ngpio; echo pinctrl-bcm2711 > $G/gpiochip512/label
echo 570 > $G/gpiochip570/base; echo 8 > $G/gpiochip570/ngpio; echo raspberrypi-exp-gpio > $G/gpiochip570/label
: > $G/export; : > $G/unexport
node --import tsx "$FIXTURES/real-onoff-child.ts" "$MODEL"
`;

describe.skipIf(cannot !== null)("real onoff path on a fake sysfs GPIO tree", () => {
  let tmp: string;
  // biome-ignore lint/suspicious/noExplicitAny: parsed JSON from the child
  let out: any;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), "hc-onoff-"));
    const model = path.join(tmp, "model");
    await writeFile(model, "Raspberry Pi 4 Model B Rev 1.5\0");
    const run = spawnSync("unshare", ["--mount", "--propagation", "private", "sh", "-c", SCRIPT], {
      cwd: repo,
      env: { ...process.env, FIXTURES: path.join(here, "fixtures"), MODEL: model },
      encoding: "utf8",
      timeout: 30_000,
    });
    if (run.status !== 0) throw new Error(`child failed (${run.status}): ${run.stderr}`);
    out = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it("detects a Pi and exports base 512 + BCM pin for LEDs 17, 27 and button 23", () => {
    expect(out.kind).toBe("real");
    expect(out.model).toBe("Raspberry Pi 4 Model B Rev 1.5");
    expect(out.exported.slice(0, 3)).toEqual(["529", "539", "535"]);
  });

  it("configures the LED pins as outputs, off, active high", () => {
    for (const led of [out.afterOpen.status, out.afterOpen.alert]) {
      expect(led).toEqual({ direction: "out", value: "0", edge: "none", active_low: "0" });
    }
  });

  it("writes each state's levels to the value files", () => {
    // status then alert
    expect(out.steps).toEqual({ updated: "10", error: "11", off: "00", servingLowVoltage: "11" });
  });

  it("blinks with real timers (the value file flips)", () => {
    expect(out.checkingFlips).toBeGreaterThanOrEqual(3);
  });

  it("switches off and unexports on close", () => {
    expect(out.afterClose).toEqual({ statusGone: true, alertGone: true });
    // value each pin held when unexported: the driver switched them off first
    expect(out.unexported).toEqual(expect.arrayContaining(["529=0", "539=0"]));
  });

  it("configures the button as an active-low input watching both edges", () => {
    expect(out.buttonPin).toEqual({ direction: "in", value: "0", edge: "both", active_low: "1" });
  });

  it("disables the button with a clear warning when edges cannot be watched (epoll on tmpfs)", () => {
    expect(out.afterOpen.buttonGone).toBe(true); // opened, failed to watch, unexported again
    expect(out.warnings).toEqual([
      expect.stringMatching(/button disabled: cannot watch button GPIO 535 for edges/),
    ]);
    expect(out.unexported).toContain("535=0");
  });

  it("honours active-low LEDs", () => {
    expect(out.activeLow.status).toMatchObject({ direction: "out", value: "1", active_low: "1" });
    expect(out.activeLow.alert).toMatchObject({ value: "0", active_low: "1" });
    expect(out.exported).toEqual(expect.arrayContaining(["517", "518"]));
  });
});

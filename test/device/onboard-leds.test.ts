// The onboard LEDs (/sys/class/leds/ACT, PWR) as the agent's LEDs on a bare Pi, against a
// fake LED class directory with the kernel's file shapes (brightness, trigger).
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDevice, currentTrigger, LedController, OnboardLedDriver } from "../../src/device/index.js";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "hc-onboard-leds-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

// What Pi OS shows in trigger: every trigger, the selected one in brackets.
const ACT_TRIGGER = "none rc-feedback kbd-scrolllock timer oneshot heartbeat [mmc0] default-on\n";
const PWR_TRIGGER = "none rc-feedback timer oneshot heartbeat mmc0 [default-on] actpwr\n";

async function ledClass(name: string, leds: Record<string, string>): Promise<string> {
  const root = path.join(tmp, name);
  for (const [led, trigger] of Object.entries(leds)) {
    await mkdir(path.join(root, led), { recursive: true });
    await writeFile(path.join(root, led, "trigger"), trigger);
    await writeFile(path.join(root, led, "brightness"), "1\n");
  }
  return root;
}

const level = async (root: string, led: string) =>
  (await readFile(path.join(root, led, "brightness"), "utf8")).trim();
const trigger = async (root: string, led: string) =>
  (await readFile(path.join(root, led, "trigger"), "utf8")).trim();

describe("onboard LEDs", () => {
  it("reads the selected trigger", () => {
    expect(currentTrigger(ACT_TRIGGER)).toBe("mmc0");
    expect(currentTrigger("none timer")).toBeNull();
  });

  it("shows status on ACT and alert on PWR, and gives the kernel its triggers back", async () => {
    const root = await ledClass("pi4", { ACT: ACT_TRIGGER, PWR: PWR_TRIGGER, mmc0: "none\n" });
    const driver = await OnboardLedDriver.open(root);
    expect(driver?.layout).toBe("ACT+PWR");
    expect([await trigger(root, "ACT"), await trigger(root, "PWR")]).toEqual(["none", "none"]);
    const leds = new LedController(driver!);
    leds.show("updated"); // status steady on, alert off
    expect([await level(root, "ACT"), await level(root, "PWR")]).toEqual(["1", "0"]);
    leds.setLowVoltage(true); // alert steady on
    expect([await level(root, "ACT"), await level(root, "PWR")]).toEqual(["1", "1"]);
    leds.close();
    expect([await level(root, "ACT"), await level(root, "PWR")]).toEqual(["0", "0"]);
    expect([await trigger(root, "ACT"), await trigger(root, "PWR")]).toEqual(["mmc0", "default-on"]);
  });

  it("shows both tracks on ACT on a board without PWR (Pi Zero 2 W): lit while either is", async () => {
    const root = await ledClass("zero2", { ACT: ACT_TRIGGER });
    const driver = (await OnboardLedDriver.open(root))!;
    expect(driver.layout).toBe("ACT");
    driver.set("status", false);
    driver.set("alert", true);
    expect(await level(root, "ACT")).toBe("1");
    driver.set("alert", false);
    expect(await level(root, "ACT")).toBe("0");
    driver.set("status", true);
    expect(await level(root, "ACT")).toBe("1");
    driver.close();
    expect(await trigger(root, "ACT")).toBe("mmc0");
  });

  it("finds the older kernels' led0/led1 names, and nothing on a board without LEDs", async () => {
    const old = await ledClass("old-kernel", { led0: ACT_TRIGGER, led1: PWR_TRIGGER });
    expect((await OnboardLedDriver.open(old))?.layout).toBe("led0+led1");
    expect(await OnboardLedDriver.open(path.join(tmp, "missing"))).toBeNull();
    expect(await OnboardLedDriver.open(await ledClass("only-mmc", { mmc0: "none\n" }))).toBeNull();
  });

  it("is what a real Pi with no LED pins configured uses; configured pins keep the wired LEDs", async () => {
    const model = path.join(tmp, "model");
    await writeFile(model, "Raspberry Pi Zero 2 W Rev 1.0\0");
    const gpio = path.join(tmp, "gpio");
    await mkdir(path.join(gpio, "gpiochip512"), { recursive: true });
    await writeFile(path.join(gpio, "gpiochip512", "base"), "512\n");
    await writeFile(path.join(gpio, "gpiochip512", "ngpio"), "54\n");
    await writeFile(path.join(gpio, "gpiochip512", "label"), "pinctrl-bcm2835\n");
    const root = await ledClass("bare-pi", { ACT: ACT_TRIGGER });
    const device = await createDevice({
      mode: "real",
      button: false,
      roots: { gpio, deviceTreeModel: model, leds: root },
    });
    expect(device.kind).toBe("real");
    device.leds.show("updated");
    expect(await level(root, "ACT")).toBe("1");
    device.close();
    expect(await trigger(root, "ACT")).toBe("mmc0");
    // With a pin configured the wired LEDs are opened (onoff, which fails here: no real
    // /sys/class/gpio export for 529), and the onboard one is left to the kernel.
    await expect(
      createDevice({
        mode: "real",
        button: false,
        leds: { statusPin: 17 },
        roots: { gpio, deviceTreeModel: model, leds: root },
      }),
    ).rejects.toThrow(/cannot open status LED on GPIO 529/);
    expect(await trigger(root, "ACT")).toBe("mmc0");
  });
});

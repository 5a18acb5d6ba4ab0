import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { GpioError, listGpioChips, sysfsGpioNumber, sysfsGpioNumbers } from "../../src/device/gpio.js";

const roots: string[] = [];

/** A fake /sys/class/gpio with the given chips (name → base, ngpio, label). */
async function fakeGpioRoot(chips: { base: number; ngpio: number; label: string }[]): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), "hc-gpio-"));
  roots.push(root);
  await writeFile(path.join(root, "export"), "");
  for (const chip of chips) {
    const dir = path.join(root, `gpiochip${chip.base}`);
    await mkdir(dir);
    await writeFile(path.join(dir, "base"), `${chip.base}\n`);
    await writeFile(path.join(dir, "ngpio"), `${chip.ngpio}\n`);
    await writeFile(path.join(dir, "label"), `${chip.label}\n`);
  }
  return root;
}

afterEach(async () => {
  await Promise.all(roots.splice(0).map((r) => rm(r, { recursive: true, force: true })));
});

// Chip layouts as seen on Pi OS kernels >= 6.6.
const PI4 = [
  { base: 512, ngpio: 58, label: "pinctrl-bcm2711" },
  { base: 570, ngpio: 8, label: "raspberrypi-exp-gpio" },
];
const PI5 = [
  { base: 512, ngpio: 32, label: "gpio-brcmstb@107d508500" },
  { base: 544, ngpio: 4, label: "gpio-brcmstb@107d508520" },
  { base: 548, ngpio: 17, label: "gpio-brcmstb@107d517c00" },
  { base: 565, ngpio: 6, label: "gpio-brcmstb@107d517c20" },
  { base: 571, ngpio: 54, label: "pinctrl-rp1" },
];

describe("sysfs GPIO numbering", () => {
  it("adds the BCM pin to the base of the Pi 4 main chip", async () => {
    const root = await fakeGpioRoot(PI4);
    expect(await sysfsGpioNumber(17, root)).toBe(529);
    expect(await sysfsGpioNumber(0, root)).toBe(512);
  });

  it("picks pinctrl-rp1 on a Pi 5 although lower-based chips are wide enough", async () => {
    const root = await fakeGpioRoot(PI5);
    expect(await sysfsGpioNumbers({ led: 17, button: 3 }, root)).toEqual({ led: 588, button: 574 });
  });

  it("follows the base when a kernel moves it (old kernels: base 0)", async () => {
    expect(
      await sysfsGpioNumber(27, await fakeGpioRoot([{ base: 0, ngpio: 54, label: "pinctrl-bcm2835" }])),
    ).toBe(27);
    expect(
      await sysfsGpioNumber(27, await fakeGpioRoot([{ base: 600, ngpio: 58, label: "pinctrl-bcm2711" }])),
    ).toBe(627);
  });

  it("falls back to the lowest chip wide enough when no label is known", async () => {
    const root = await fakeGpioRoot([
      { base: 100, ngpio: 8, label: "expander" },
      { base: 300, ngpio: 32, label: "some-soc" },
    ]);
    expect(await sysfsGpioNumber(5, root)).toBe(105);
    expect(await sysfsGpioNumber(20, root)).toBe(320);
  });

  it("lists chips sorted by base with their labels", async () => {
    const chips = await listGpioChips(await fakeGpioRoot([...PI4].reverse()));
    expect(chips.map((c) => [c.name, c.base, c.ngpio, c.label])).toEqual([
      ["gpiochip512", 512, 58, "pinctrl-bcm2711"],
      ["gpiochip570", 570, 8, "raspberrypi-exp-gpio"],
    ]);
  });

  it("gives typed errors naming the problem", async () => {
    const missing = path.join(os.tmpdir(), "hc-no-such-gpio-root");
    await expect(sysfsGpioNumber(17, missing)).rejects.toMatchObject({
      name: "GpioError",
      code: "NO_GPIOCHIP",
      message: expect.stringContaining(missing),
    });
    const pi4 = await fakeGpioRoot(PI4);
    await expect(sysfsGpioNumber(58, pi4)).rejects.toMatchObject({
      code: "PIN_OUT_OF_RANGE",
      message: expect.stringMatching(/BCM pin 58 .*pinctrl-bcm2711.*0\.\.57/),
    });
    await expect(sysfsGpioNumber(-1, pi4)).rejects.toBeInstanceOf(GpioError);
    await expect(sysfsGpioNumber(2.5, pi4)).rejects.toMatchObject({ code: "BAD_PIN" });
    const odd = await fakeGpioRoot([{ base: 0, ngpio: 8, label: "tiny" }]);
    await expect(sysfsGpioNumber(9, odd)).rejects.toMatchObject({ code: "PIN_OUT_OF_RANGE" });
    await writeFile(path.join(odd, "gpiochip0", "base"), "zero\n");
    await expect(listGpioChips(odd)).rejects.toMatchObject({ code: "BAD_CHIP" });
  });
});

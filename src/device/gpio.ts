// Find the sysfs GPIO number for a BCM pin at runtime.
//
// Since Pi OS kernel 6.6 the legacy sysfs interface numbers a pin as
// "base of its gpiochip + BCM pin" (base 512 on Pi 0-4, 571 on Pi 5, and it can move
// between kernels), so the base is read from /sys/class/gpio/gpiochip*/base every time.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

export const DEFAULT_GPIO_ROOT = "/sys/class/gpio";

/** Labels of the chip that drives the 40-pin header, newest boards first. */
export const MAIN_CHIP_LABELS = ["pinctrl-rp1", "pinctrl-bcm2712", "pinctrl-bcm2711", "pinctrl-bcm2835"];

export type GpioErrorCode = "NO_GPIOCHIP" | "PIN_OUT_OF_RANGE" | "BAD_PIN" | "BAD_CHIP";

export class GpioError extends Error {
  constructor(
    readonly code: GpioErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "GpioError";
  }
}

export interface GpioChip {
  /** Directory name, e.g. "gpiochip512". */
  name: string;
  base: number;
  ngpio: number;
  label: string;
}

async function readTrimmed(file: string): Promise<string> {
  return (await readFile(file, "utf8")).trim();
}

function parseCount(text: string, file: string): number {
  if (!/^\d+$/.test(text)) throw new GpioError("BAD_CHIP", `${file} holds "${text}", not a number`);
  return Number(text);
}

/** Every gpiochip under the sysfs root, sorted by base. Empty if the root is missing. */
export async function listGpioChips(root: string = DEFAULT_GPIO_ROOT): Promise<GpioChip[]> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const chips: GpioChip[] = [];
  for (const name of names.filter((n) => /^gpiochip\d+$/.test(n))) {
    const dir = path.join(root, name);
    const base = parseCount(await readTrimmed(path.join(dir, "base")), path.join(dir, "base"));
    const ngpio = parseCount(await readTrimmed(path.join(dir, "ngpio")), path.join(dir, "ngpio"));
    const label = await readTrimmed(path.join(dir, "label")).catch(() => "");
    chips.push({ name, base, ngpio, label });
  }
  return chips.sort((a, b) => a.base - b.base);
}

/**
 * The chip that carries the Pi's header pins: a known pinctrl label wins; otherwise the
 * lowest-based chip wide enough to hold the pin (non-Pi boards, old kernels).
 */
export function pickMainChip(chips: readonly GpioChip[], bcmPin: number, root = DEFAULT_GPIO_ROOT): GpioChip {
  if (chips.length === 0) {
    throw new GpioError(
      "NO_GPIOCHIP",
      `no gpiochip under ${root}: the kernel has no sysfs GPIO (CONFIG_GPIO_SYSFS) or this is not a Pi`,
    );
  }
  for (const label of MAIN_CHIP_LABELS) {
    const chip = chips.find((c) => c.label === label);
    if (chip) {
      if (bcmPin >= chip.ngpio) {
        throw new GpioError(
          "PIN_OUT_OF_RANGE",
          `BCM pin ${bcmPin} is out of range: ${chip.name} (${chip.label}) has pins 0..${chip.ngpio - 1}`,
        );
      }
      return chip;
    }
  }
  const wide = chips.find((c) => bcmPin < c.ngpio);
  if (!wide) {
    const widest = Math.max(...chips.map((c) => c.ngpio));
    throw new GpioError(
      "PIN_OUT_OF_RANGE",
      `BCM pin ${bcmPin} is out of range: no gpiochip under ${root} has more than ${widest} pins`,
    );
  }
  return wide;
}

function checkPin(bcmPin: number): void {
  if (!Number.isInteger(bcmPin) || bcmPin < 0) {
    throw new GpioError("BAD_PIN", `BCM pin must be a whole number >= 0, got ${String(bcmPin)}`);
  }
}

/** sysfs number (what onoff's `new Gpio(n)` wants) for a BCM pin: main chip base + pin. */
export async function sysfsGpioNumber(bcmPin: number, root: string = DEFAULT_GPIO_ROOT): Promise<number> {
  checkPin(bcmPin);
  const chip = pickMainChip(await listGpioChips(root), bcmPin, root);
  return chip.base + bcmPin;
}

/** Same for several pins with one directory read; keys are kept. */
export async function sysfsGpioNumbers<K extends string>(
  bcmPins: Record<K, number>,
  root: string = DEFAULT_GPIO_ROOT,
): Promise<Record<K, number>> {
  const chips = await listGpioChips(root);
  const out = {} as Record<K, number>;
  for (const key of Object.keys(bcmPins) as K[]) {
    const pin = bcmPins[key];
    checkPin(pin);
    out[key] = pickMainChip(chips, pin, root).base + pin;
  }
  return out;
}

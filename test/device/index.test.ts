// createDevice(): picks real or simulated parts, and the simulated device works end to end.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  createDevice,
  detectPi,
  LedController,
  SimulatedLedDriver,
  SystemProbes,
  watchLowVoltage,
} from "../../src/device/index.js";

let tmp: string;
let piModel: string;
let pcModel: string;
let gpioRoot: string;
let emptyGpioRoot: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "hc-device-"));
  piModel = path.join(tmp, "pi-model");
  pcModel = path.join(tmp, "pc-model");
  await writeFile(piModel, "Raspberry Pi Zero 2 W Rev 1.0\0");
  await writeFile(pcModel, "QEMU Virtual Machine\0");
  gpioRoot = path.join(tmp, "gpio");
  await mkdir(path.join(gpioRoot, "gpiochip512"), { recursive: true });
  await writeFile(path.join(gpioRoot, "gpiochip512", "base"), "512\n");
  await writeFile(path.join(gpioRoot, "gpiochip512", "ngpio"), "54\n");
  await writeFile(path.join(gpioRoot, "gpiochip512", "label"), "pinctrl-bcm2835\n");
  emptyGpioRoot = path.join(tmp, "no-gpio");
  await mkdir(emptyGpioRoot);
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("detectPi", () => {
  it("needs both a Raspberry Pi model and a gpiochip", async () => {
    expect(await detectPi({ deviceTreeModel: piModel, gpio: gpioRoot })).toEqual({
      isPi: true,
      model: "Raspberry Pi Zero 2 W Rev 1.0",
    });
    expect(await detectPi({ deviceTreeModel: piModel, gpio: emptyGpioRoot })).toEqual({
      isPi: false,
      model: "Raspberry Pi Zero 2 W Rev 1.0",
    });
    expect(await detectPi({ deviceTreeModel: pcModel, gpio: gpioRoot })).toMatchObject({ isPi: false });
    expect(await detectPi({ deviceTreeModel: path.join(tmp, "none"), gpio: gpioRoot })).toEqual({
      isPi: false,
      model: null,
    });
  });
});

describe("createDevice", () => {
  it("is simulated off-Pi (this machine), and forced simulated even on a Pi", async () => {
    const here = await createDevice({ roots: { deviceTreeModel: pcModel, gpio: gpioRoot } });
    expect(here.kind).toBe("simulated");
    here.close();
    const forced = await createDevice({
      mode: "simulated",
      roots: { deviceTreeModel: piModel, gpio: gpioRoot },
    });
    expect(forced.kind).toBe("simulated");
    expect(forced.model).toBe("Raspberry Pi Zero 2 W Rev 1.0");
    forced.close();
  });

  it("forced real without sysfs GPIO fails with a clear error", async () => {
    await expect(
      createDevice({ mode: "real", roots: { deviceTreeModel: pcModel, gpio: emptyGpioRoot } }),
    ).rejects.toThrow(/no gpiochip under .*no-gpio/);
  });

  it("a bad pin fails at start-up, naming the pin", async () => {
    await expect(
      createDevice({
        mode: "real",
        leds: { statusPin: 60 },
        roots: { deviceTreeModel: piModel, gpio: gpioRoot },
      }),
    ).rejects.toThrow(/BCM pin 60 is out of range/);
  });

  it("the simulated device drives its twins through the same code as the real one", async () => {
    vi.useFakeTimers();
    try {
      const device = await createDevice({
        mode: "simulated",
        button: { ownsShutdown: true, longPressMs: 2000 },
        wifi: {
          simulated: {
            networks: [
              {
                ssid: "Field office",
                bssid: "02:00:00:00:00:01",
                mode: "Infra",
                channel: 6,
                frequencyMhz: 2437,
                signalPercent: 70,
                signalDbm: -65,
                security: "WPA2",
              },
            ],
            passwords: { "Field office": "letmein123" },
          },
        },
        probes: { dataPath: tmp },
      });
      const sim = device.sim!;
      const actions: string[] = [];
      device.button!.on("action", (a) => actions.push(a));
      device.leds.show("syncing", { progress: 0.5 });
      sim.button!.press(100);
      vi.advanceTimersByTime(1000);
      sim.button!.press(2500);
      vi.advanceTimersByTime(3000);
      expect(actions).toEqual(["sync-now", "shutdown"]);
      expect(sim.leds.timeline.filter((e) => e.led === "status" && e.on).length).toBe(6); // 700 ms period over 4 s: on at 0, 0.7 … 3.5 s
      await device.wifi.connect("Field office", "letmein123");
      expect((await device.wifi.current())?.ssid).toBe("Field office");
      vi.useRealTimers();
      const snapshot = await device.probes.snapshot();
      expect(snapshot.disk?.totalBytes).toBeGreaterThan(0);
      device.close();
      expect(sim.leds.closed).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it("button: false gives no button", async () => {
    const device = await createDevice({ mode: "simulated", button: false });
    expect(device.button).toBeNull();
    device.close();
  });
});

describe("watchLowVoltage", () => {
  it("lights the alert LED while hwmon reports under-voltage, holding it after a dip", async () => {
    vi.useFakeTimers();
    const sys = path.join(tmp, "uv-sys");
    const file = path.join(sys, "class/hwmon/hwmon2/in0_lcrit_alarm");
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(path.join(sys, "class/hwmon/hwmon2/name"), "rpi_volt\n");
    await writeFile(file, "0\n");
    const driver = new SimulatedLedDriver();
    const leds = new LedController(driver);
    leds.show("serving");
    const watch = watchLowVoltage(new SystemProbes({ roots: { sys } }), leds, {
      intervalMs: 5000,
      holdMs: 60_000,
    });
    try {
      await watch.check();
      expect(driver.levels.alert).toBe(false);
      await writeFile(file, "1\n"); // under-voltage now
      vi.advanceTimersByTime(5000); // the interval starts a read...
      await watch.check(); // ...which this joins
      expect(driver.levels.alert).toBe(true);
      await writeFile(file, "0\n"); // the dip is over
      vi.advanceTimersByTime(59_000);
      await watch.check();
      expect(driver.levels.alert).toBe(true); // held
      vi.advanceTimersByTime(2000);
      await watch.check();
      expect(driver.levels.alert).toBe(false);
      expect(vi.getTimerCount()).toBe(2); // the poll interval and the serving heartbeat
      watch.stop();
      leds.close();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      watch.stop();
      vi.useRealTimers();
    }
  });

  it("is stopped by device.close()", async () => {
    const device = await createDevice({
      mode: "simulated",
      probes: { roots: { sys: path.join(tmp, "nothing") } },
    });
    const watch = device.watchLowVoltage({ intervalMs: 10 });
    await watch.check();
    device.close();
    await watch.check(); // no throw although the LEDs are closed
    expect(device.sim!.leds.closed).toBe(true);
  });
});

// createDevice(): picks real or simulated parts, and the simulated device works end to end.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createDevice, detectPi } from "../../src/device/index.js";

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

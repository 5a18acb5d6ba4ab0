import { describe, expect, it } from "vitest";
import { createDevice, DeviceConfigError, parseDeviceConfig } from "../../src/device/index.js";

describe("device config", () => {
  it("accepts a full, valid config and an empty one", () => {
    const config = {
      mode: "auto",
      leds: { statusPin: 5, alertPin: 6, activeLow: true },
      button: { pin: 26, debounceMs: 20, longPressMs: 4000, ownsShutdown: true },
      wifi: { iface: "wlan0", timeoutSec: 45 },
      probes: { dataPath: "/var/lib/handcarry" },
    };
    expect(parseDeviceConfig(config)).toEqual(config);
    expect(parseDeviceConfig(undefined)).toEqual({});
    expect(parseDeviceConfig({ button: false })).toEqual({ button: false });
  });

  it("names every bad key", () => {
    let err: unknown;
    try {
      parseDeviceConfig({
        mode: "maybe",
        leds: { statusPin: 60, colour: "green" },
        button: { longPressMs: "3s" },
        wifi: { iface: "wlan0; rm -rf /" },
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DeviceConfigError);
    const issues = (err as DeviceConfigError).issues.join("\n");
    expect(issues).toMatch(/^mode: /m);
    expect(issues).toMatch(/^leds\.statusPin: .*53/m);
    expect(issues).toMatch(/^leds: .*colour/m);
    expect(issues).toMatch(/^button\.longPressMs: /m);
    expect(issues).toMatch(/^wifi\.iface: /m);
  });

  it("refuses two parts on one pin, defaults included", () => {
    expect(() => parseDeviceConfig({ leds: { alertPin: 17 } })).toThrow(
      /leds\.statusPin and leds\.alertPin are both BCM 17/,
    );
    expect(() => parseDeviceConfig({ leds: { statusPin: 23 } })).toThrow(
      /leds\.statusPin and button\.pin are both BCM 23/,
    );
    expect(parseDeviceConfig({ leds: { statusPin: 3 }, button: false })).toEqual({
      leds: { statusPin: 3 },
      button: false,
    });
  });

  it("a parsed config starts a device", async () => {
    const device = await createDevice(
      parseDeviceConfig({ mode: "simulated", button: { longPressMs: 1500 } }),
    );
    expect(device.kind).toBe("simulated");
    device.close();
  });
});

// The admin's settings on a real LevelDB: passwords saved before sealing are sealed on open,
// a token belongs to one origin, and a secret whose key is gone is left out with a warning.
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SecretBox } from "../../src/agent/secrets.js";
import { AgentSettings } from "../../src/agent/settings.js";
import { Store, type Table } from "../../src/store/index.js";
import { tempDir } from "./helpers.js";

let dir: Awaited<ReturnType<typeof tempDir>>;
let store: Store;
beforeAll(async () => {
  dir = await tempDir("hc-settings-");
  store = await Store.open(join(dir.path, "db"));
});
afterAll(async () => {
  await store?.close();
  await dir?.remove();
});

const none = { knownNetworks: [] };

describe("AgentSettings", () => {
  it("seals a Wi-Fi password stored in clear by an older version, and still joins with it", async () => {
    const table: Table<unknown> = store.table("legacy");
    await table.put("admin", {
      knownNetworks: [{ ssid: "Old office", password: "legacy-pass-1" }, { ssid: "Open" }],
    });
    const settings = await AgentSettings.open(store.table("legacy"), await SecretBox.open(dir.path), none);
    expect(settings.knownNetworks()).toEqual([
      { ssid: "Old office", password: "legacy-pass-1" },
      { ssid: "Open" },
    ]);
    const raw = JSON.stringify(await table.get("admin"));
    expect(raw).not.toContain("legacy-pass-1");
    expect(raw).toMatch(/"sealed":"v1\./);
  });

  it("binds a token to its origin: same host other port is another master", async () => {
    const settings = await AgentSettings.open(store.table("token"), await SecretBox.open(dir.path), {
      masterUrl: "https://master.example.org",
      token: "configured-token",
      knownNetworks: [],
    });
    expect(settings.token()).toBe("configured-token");
    await settings.setMaster("https://master.example.org/v2");
    expect(settings.token()).toBe("configured-token");
    await settings.setMaster("https://master.example.org:8443");
    expect(settings.token()).toBeUndefined();
    await settings.setMaster("https://master.example.org:8443", "second-token");
    expect(settings.token()).toBe("second-token");
    await settings.setMaster("http://master.example.org:8443");
    expect(settings.token()).toBeUndefined();
    await settings.setMaster("https://master.example.org");
    expect(settings.token()).toBe("configured-token");
  });

  it("leaves out, with a warning, a password whose key file was replaced", async () => {
    const keyDir = join(dir.path, "keys");
    await mkdir(keyDir);
    const first = await AgentSettings.open(store.table("rekey"), await SecretBox.open(keyDir), none);
    await first.addNetwork({ ssid: "Clinic", password: "clinic-pass-9" });
    await rm(join(keyDir, "secret.key"));
    const warnings: string[] = [];
    const second = await AgentSettings.open(store.table("rekey"), await SecretBox.open(keyDir), none, (m) =>
      warnings.push(m),
    );
    expect(second.knownNetworks()).toEqual([]);
    expect(warnings).toEqual([
      'cannot read the password of Wi-Fi network "Clinic" (Unsupported state or unable to authenticate data): enter it again on the admin page',
    ]);
  });
});

// Config: precedence file < env < flags, and clear errors that name the bad key and where it
// came from — including a malformed config stopping `handcarry agent` at start-up.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AgentConfigError,
  contentPortOf,
  loadAgentConfig,
  parseAgentConfig,
} from "../../src/agent/config.js";
import { runCliAsync } from "../support/cli.js";
import { tempDir } from "./helpers.js";

let dir: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  dir = await tempDir("hc-config-");
});
afterAll(() => dir.remove());

async function file(name: string, text: string): Promise<string> {
  const path = join(dir.path, name);
  await writeFile(path, text);
  return path;
}

async function errorOf(p: Promise<unknown>): Promise<AgentConfigError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AgentConfigError);
  return err as AgentConfigError;
}

describe("loadAgentConfig", () => {
  it("merges file < env < flags and applies defaults", async () => {
    const f = await file(
      "ok.json",
      JSON.stringify({
        dataDir: "/from/file",
        masterUrl: "http://file.example/",
        port: 1111,
        sync: { intervalHours: 2 },
      }),
    );
    const c = await loadAgentConfig({
      file: f,
      env: { HANDCARRY_PORT: "2222", HANDCARRY_MASTER_URL: "http://env.example" },
      flags: { port: 3333 },
    });
    expect(c.dataDir).toBe("/from/file");
    expect(c.masterUrl).toBe("http://env.example");
    expect(c.port).toBe(3333);
    expect(c.sync.intervalHours).toBe(2);
    expect(c.sync.retryMinSec).toBe(30);
    expect(c.connectivity.debounce).toBe(2);
    expect(c.host).toBe("0.0.0.0");
    const plain = await loadAgentConfig({ env: { HANDCARRY_DATA: "/d", HANDCARRY_MASTER: "http://m" } });
    expect(plain.port).toBe(80);
  });

  it("reads the Pi image's environment: HANDCARRY_MASTER, HANDCARRY_CONFIG (optional there), HANDCARRY_HOTSPOT_INTERFACE", async () => {
    const missing = join(dir.path, "no-such-config.json");
    const c = await loadAgentConfig({
      env: {
        HANDCARRY_DATA: "/var/lib/handcarry",
        HANDCARRY_MASTER: "https://master.example.org/",
        HANDCARRY_CONFIG: missing,
        HANDCARRY_HOTSPOT_INTERFACE: "uap0",
        HANDCARRY_WIFI_MODE: "switch",
      },
    });
    expect(c.masterUrl).toBe("https://master.example.org");
    expect(c.connectivity.hotspotIface).toBe("uap0");
    expect(c.connectivity.wifiMode).toBe("switch");
    const bad = await errorOf(
      loadAgentConfig({
        env: { HANDCARRY_DATA: "/d", HANDCARRY_MASTER: "http://m", HANDCARRY_WIFI_MODE: "both" },
      }),
    );
    expect(bad.message).toMatch(
      /connectivity\.wifiMode: .*"concurrent"\|"switch".*\(from env HANDCARRY_WIFI_MODE\)/,
    );
    const f = await file(
      "env.json",
      JSON.stringify({ sync: { intervalHours: 12 }, connectivity: { hotspotIface: "wlan1" } }),
    );
    const d = await loadAgentConfig({
      env: {
        HANDCARRY_DATA: "/d",
        HANDCARRY_MASTER: "http://m",
        HANDCARRY_CONFIG: f,
        HANDCARRY_HOTSPOT_INTERFACE: "uap0",
      },
    });
    expect(d.sync.intervalHours).toBe(12);
    expect(d.connectivity.hotspotIface).toBe("wlan1"); // the config file wins over the boot-time guess
    // An explicit --config that does not exist is an error.
    const err = await errorOf(
      loadAgentConfig({ file: missing, env: { HANDCARRY_DATA: "/d", HANDCARRY_MASTER: "http://m" } }),
    );
    expect(err.message).toContain("no-such-config.json");
  });

  it("names the key and the source of each bad value", async () => {
    const f = await file(
      "bad.json",
      JSON.stringify({ dataDir: "/d", masterUrl: "ftp://x", sync: { intervalHours: -1 }, colour: "red" }),
    );
    const err = await errorOf(loadAgentConfig({ file: f, env: { HANDCARRY_PORT: "eighty" } }));
    const text = err.issues.join("\n");
    expect(text).toMatch(
      /masterUrl: must be an http:\/\/ or https:\/\/ URL \(from config file .*bad\.json\)/,
    );
    expect(text).toMatch(/sync\.intervalHours: .*(>0|positive)/);
    expect(text).toMatch(/colour/);
    expect(text).toMatch(/port: .*expected number.*\(from env HANDCARRY_PORT\)/);
  });

  it("the content port: from the environment or a flag, else the one after the main port", async () => {
    const env = { HANDCARRY_DATA: "/d", HANDCARRY_PORT: "80", HANDCARRY_CONTENT_PORT: "8080" };
    expect(contentPortOf(await loadAgentConfig({ env }))).toBe(8080);
    expect(contentPortOf(await loadAgentConfig({ env, flags: { contentPort: 9090 } }))).toBe(9090);
    expect(
      contentPortOf(await loadAgentConfig({ env: { HANDCARRY_DATA: "/d", HANDCARRY_PORT: "8080" } })),
    ).toBe(8081);
    expect(contentPortOf(await loadAgentConfig({ env: { HANDCARRY_DATA: "/d", HANDCARRY_PORT: "0" } }))).toBe(
      0,
    );
    const same = await errorOf(loadAgentConfig({ env: { ...env, HANDCARRY_CONTENT_PORT: "80" } }));
    expect(same.issues).toEqual([
      "contentPort (env HANDCARRY_CONTENT_PORT): must differ from port, both are 80",
    ]);
  });

  it("says which file is not JSON", async () => {
    const f = await file("broken.json", '{ "dataDir": "/d", ');
    const err = await errorOf(loadAgentConfig({ file: f }));
    expect(err.message).toContain("broken.json is not valid JSON");
  });

  it("asks for the required keys by their flags", async () => {
    const err = await errorOf(loadAgentConfig({ env: {} }));
    expect(err.message).toMatch(/dataDir: .*--data or HANDCARRY_DATA/);
    // A fresh image has no master yet: the agent must still start and serve.
    expect(err.message).not.toMatch(/masterUrl/);
  });

  it("starts without a master URL (serving only)", () => {
    expect(parseAgentConfig({ dataDir: "/d" }).masterUrl).toBeUndefined();
  });

  it("reports device-section errors with their full key", () => {
    expect(() =>
      parseAgentConfig({ dataDir: "/d", masterUrl: "http://m", device: { leds: { statusPin: 99 } } }),
    ).toThrow(/device\.leds\.statusPin/);
    expect(() =>
      parseAgentConfig({ dataDir: "/d", masterUrl: "http://m", sync: { retryMinSec: 100, retryMaxSec: 10 } }),
    ).toThrow(/sync\.retryMaxSec: must be ≥ sync\.retryMinSec/);
    expect(() =>
      parseAgentConfig({
        dataDir: "/d",
        masterUrl: "http://m",
        knownNetworks: [{ ssid: "Office", password: "short" }],
      }),
    ).toThrow(/knownNetworks\.0\.password/);
  });
});

describe("handcarry agent start-up", () => {
  it("exits non-zero with the bad key named when the config is malformed", async () => {
    const f = await file("start.json", JSON.stringify({ masterUrl: "http://127.0.0.1:9", port: "eighty" }));
    const r = await runCliAsync(["agent", "--data", join(dir.path, "agent"), "--config", f], {
      env: { ...process.env, HANDCARRY_ADMIN_PASSWORD: "" },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("bad agent config");
    expect(r.stderr).toMatch(/port: .*expected number/);
    expect(r.stderr).toContain("start.json");
  });
});

// Wi-Fi against a fake `nmcli` first on PATH (test/device/fixtures/fake-nmcli.mjs), which
// prints real-shaped --terse output and records every argv it was run with.
import { execFileSync } from "node:child_process";
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

const here = path.dirname(fileURLToPath(import.meta.url));

// nmcli -t escapes ":" and "\" inside values. SSIDs here: "Cafe:Net", "back\slash",
// "a\:b" (a literal backslash then colon), "trail\", a hidden one, an open one, WPA3-only.
const SCAN = [
  "no:Cafe\\:Net:31\\:23\\:03\\:1A\\:9F\\:1C:Infra:11:2462 MHz:100:WPA2:(none):pair_ccmp group_ccmp psk",
  "no:back\\\\slash:31\\:23\\:03\\:18\\:9F\\:1D:Infra:6:2437 MHz:80:WPA1 WPA2:pair_tkip psk:pair_ccmp psk",
  "no:a\\\\\\:b:00\\:21\\:6A\\:75\\:60\\:22:Infra:1:2412 MHz:40:WPA2:(none):pair_ccmp group_ccmp psk",
  "no:trail\\\\:00\\:21\\:6A\\:75\\:60\\:23:Infra:1:2412 MHz:30:WPA2:(none):pair_ccmp group_ccmp psk",
  "yes:Linksys01777-invité:31\\:23\\:03\\:18\\:9F\\:1C:Infra:36:5180 MHz:75:WPA2:(none):pair_ccmp psk",
  "no::A1\\:6A\\:BB\\:E9\\:FC\\:E5:Infra:100:5500 MHz:30:WPA2:(none):pair_ccmp group_ccmp psk",
  "no:Village Free:A1\\:6A\\:BB\\:E9\\:FC\\:E6:Infra:1:2412 MHz:64::(none):(none)",
  "no:Sae Only:A1\\:6A\\:BB\\:E9\\:FC\\:E7:Infra:44:5220 MHz:55:WPA3:(none):pair_ccmp sae",
  "",
].join("\n");

// A password with every character a shell or a parser might trip on.
const PASSWORD = "p4ss:w0rd \\ 'quoted' $HOME;";

let bin: string;
let state: string;
const savedPath = process.env.PATH;
const savedLocale = {
  LANG: process.env.LANG,
  LC_ALL: process.env.LC_ALL,
  LC_MESSAGES: process.env.LC_MESSAGES,
};

beforeAll(async () => {
  bin = await mkdtemp(path.join(os.tmpdir(), "hc-fake-nmcli-bin-"));
  await copyFile(path.join(here, "fixtures", "fake-nmcli.mjs"), path.join(bin, "nmcli"));
  execFileSync("chmod", ["755", path.join(bin, "nmcli")]);
  process.env.PATH = `${bin}:${savedPath}`;
});
afterAll(async () => {
  process.env.PATH = savedPath;
  await rm(bin, { recursive: true, force: true });
});
beforeEach(async () => {
  state = await mkdtemp(path.join(os.tmpdir(), "hc-fake-nmcli-"));
  process.env.FAKE_NMCLI_DIR = state;
  await writeFile(path.join(state, "scan.txt"), SCAN);
  await writeFile(
    path.join(state, "secrets.json"),
    JSON.stringify({
      "Cafe:Net": PASSWORD,
      "back\\slash": "12345678",
      "Sae Only": "saesaesae",
      "Hidden Net": "hiddenpass",
    }),
  );
});
afterEach(async () => {
  await rm(state, { recursive: true, force: true });
});

async function recordedArgv(): Promise<{ argv: string[]; env: Record<string, string>; allEnv: object }[]> {
  const text = await readFile(path.join(state, "argv.jsonl"), "utf8").catch(() => "");
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

async function passwdFiles(): Promise<{ path: string; seen: { mode: number; text: string } | null }[]> {
  const text = await readFile(path.join(state, "passwd.jsonl"), "utf8").catch(() => "");
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

// Imported after the locale snapshot above, so the LANG test also covers import time.
const wifiModule = await import("../../src/device/wifi.js");
const { NmcliWifi, SimulatedWifi, WifiError, splitTerse } = wifiModule;

describe("nmcli terse parsing", () => {
  it("splits on unescaped colons and undoes \\: and \\\\", () => {
    expect(splitTerse("no:Cafe\\:Net:x")).toEqual(["no", "Cafe:Net", "x"]);
    expect(splitTerse("a\\\\\\:b:c")).toEqual(["a\\:b", "c"]);
    expect(splitTerse("trail\\\\:next")).toEqual(["trail\\", "next"]);
    expect(splitTerse("::")).toEqual(["", "", ""]);
  });

  it("node-wifi's own parser still gets these SSIDs wrong (why we parse ourselves)", () => {
    const require = createRequire(import.meta.url);
    const nodeWifiParse = require("node-wifi/src/linux/scan/parser.js") as (s: string) => { ssid: string }[];
    const theirs = nodeWifiParse(SCAN).map((n) => n.ssid);
    expect(theirs).not.toContain("Cafe:Net");
    expect(theirs).not.toContain("back\\slash");
  });
});

describe("NmcliWifi against a fake nmcli on PATH", () => {
  it("scans with node-wifi's command and reads SSIDs with ':' and '\\' right", async () => {
    const networks = await new NmcliWifi().scan();
    expect(networks.map((n) => n.ssid)).toEqual([
      "Cafe:Net",
      "back\\slash",
      "Linksys01777-invité",
      "Village Free",
      "Sae Only",
      "a\\:b",
      "trail\\",
    ]);
    expect(networks[0]).toEqual({
      ssid: "Cafe:Net",
      bssid: "31:23:03:1A:9F:1C",
      mode: "Infra",
      channel: 11,
      frequencyMhz: 2462,
      signalPercent: 100,
      signalDbm: -50,
      security: "WPA2",
      active: false,
    });
    expect(networks.find((n) => n.ssid === "Village Free")?.security).toBe("");
    const [call] = await recordedArgv();
    expect(call?.argv).toEqual([
      "--terse",
      "--fields",
      "active,ssid,bssid,mode,chan,freq,signal,security,wpa-flags,rsn-flags",
      "device",
      "wifi",
      "list",
    ]);
    const current = await new NmcliWifi({ iface: "wlan0" }).current();
    expect(current?.ssid).toBe("Linksys01777-invité");
    expect((await recordedArgv())[1]?.argv.slice(-2)).toEqual(["ifname", "wlan0"]);
  });

  it("connects with the password in a 0600 passwd-file, never on argv or in the environment", async () => {
    const secretsDir = await mkdtemp(path.join(os.tmpdir(), "hc-secrets-"));
    try {
      const wifi = new NmcliWifi({ iface: "wlan0", secretsDir });
      await wifi.connect("Cafe:Net", PASSWORD);
      await wifi.connect("Cafe:Net", PASSWORD); // again: the old profile is replaced
      const calls = await recordedArgv();
      for (const call of calls) {
        expect(JSON.stringify(call.argv)).not.toContain("p4ss");
        expect(JSON.stringify(call.allEnv)).not.toContain("p4ss");
      }
      // "object verb" of each call, after nmcli's global options.
      const verbs = calls.map((c) => {
        const at = c.argv.findIndex((a) => a === "device" || a === "connection");
        return c.argv.slice(at, at + 2).join(" ");
      });
      expect(verbs).toEqual([
        "device wifi",
        "connection show",
        "connection add",
        "connection up",
        "device wifi",
        "connection show",
        "connection delete",
        "connection add",
        "connection up",
      ]);
      const add = calls[2]!.argv;
      expect(add).toEqual(
        expect.arrayContaining(["con-name", "handcarry-Cafe:Net", "ssid", "Cafe:Net", "wlan0"]),
      );
      expect(add).toEqual(expect.arrayContaining(["802-11-wireless-security.key-mgmt", "wpa-psk"]));
      const files = await passwdFiles();
      expect(files).toHaveLength(2);
      for (const f of files) {
        expect(f.seen).toEqual({ mode: 0o600, text: `802-11-wireless-security.psk:${PASSWORD}\n` });
        expect(path.dirname(path.dirname(f.path))).toBe(secretsDir);
      }
      expect(await readdir(secretsDir)).toEqual([]); // removed right after use
      const profiles = JSON.parse(await readFile(path.join(state, "profiles.json"), "utf8"));
      expect(profiles).toEqual([{ name: "handcarry-Cafe:Net", ssid: "Cafe:Net", keyMgmt: "wpa-psk" }]);
    } finally {
      await rm(secretsDir, { recursive: true, force: true });
    }
  });

  it("a wrong password is AUTH_FAILED and still leaves no secret behind", async () => {
    const secretsDir = await mkdtemp(path.join(os.tmpdir(), "hc-secrets-"));
    try {
      const err = await new NmcliWifi({ secretsDir })
        .connect("back\\slash", "wrong-password")
        .catch((e) => e);
      expect(err).toBeInstanceOf(WifiError);
      expect(err.code).toBe("AUTH_FAILED");
      expect(err.message).toMatch(/Secrets were required/);
      expect(err.message).not.toContain("wrong-password");
      expect(await readdir(secretsDir)).toEqual([]);
    } finally {
      await rm(secretsDir, { recursive: true, force: true });
    }
  });

  it("uses SAE for WPA3-only networks, no secret for open ones, hidden=yes for unseen ones", async () => {
    const wifi = new NmcliWifi();
    await wifi.connect("Sae Only", "saesaesae");
    await wifi.connect("Village Free");
    await wifi.connect("Hidden Net", "hiddenpass");
    const calls = await recordedArgv();
    const adds = calls.filter((c) => c.argv[1] === "add").map((c) => c.argv);
    expect(adds[0]).toEqual(expect.arrayContaining(["802-11-wireless-security.key-mgmt", "sae"]));
    expect(adds[1]!.join(" ")).not.toMatch(/security|hidden/);
    expect(adds[2]).toEqual(expect.arrayContaining(["802-11-wireless.hidden", "yes", "wpa-psk"]));
    expect(adds[0]!.join(" ")).not.toMatch(/hidden/);
    const ups = calls.filter((c) => c.argv.includes("up")).map((c) => c.argv);
    expect(ups[0]).toContain("passwd-file");
    expect(ups[1]).not.toContain("passwd-file");
  });

  it("rejects bad passwords and SSIDs before running nmcli, without echoing the secret", async () => {
    const wifi = new NmcliWifi();
    await expect(wifi.connect("Cafe:Net", "short7!")).rejects.toMatchObject({
      code: "BAD_PASSWORD",
      message: expect.not.stringContaining("short7!"),
    });
    await expect(wifi.connect("Cafe:Net", "line\nbreak-in-it")).rejects.toMatchObject({
      code: "BAD_PASSWORD",
    });
    await expect(wifi.connect("x".repeat(33), "12345678")).rejects.toMatchObject({ code: "BAD_SSID" });
    await expect(wifi.connect("", "12345678")).rejects.toMatchObject({ code: "BAD_SSID" });
    expect(await recordedArgv()).toEqual([]);
  });

  it("nmcli failures become NMCLI_FAILED with nmcli's message", async () => {
    await rm(path.join(state, "scan.txt"));
    await expect(new NmcliWifi().scan()).rejects.toMatchObject({ code: "NMCLI_FAILED", message: /ENOENT/ });
    await expect(new NmcliWifi({ nmcli: path.join(state, "no-such-nmcli") }).scan()).rejects.toBeInstanceOf(
      WifiError,
    );
  });

  it("disconnects the connected Wi-Fi device", async () => {
    await new NmcliWifi().disconnect();
    const calls = await recordedArgv();
    expect(calls.map((c) => c.argv.join(" "))).toEqual([
      "--terse --fields DEVICE,TYPE,STATE device",
      "device disconnect wlan0",
    ]);
  });

  it("gives nmcli a C locale but never changes this process's LANG", async () => {
    await new NmcliWifi().scan();
    const [call] = await recordedArgv();
    expect(call?.env.LC_ALL).toBe("C.UTF-8");
    expect({
      LANG: process.env.LANG,
      LC_ALL: process.env.LC_ALL,
      LC_MESSAGES: process.env.LC_MESSAGES,
    }).toEqual(savedLocale);
    // The bug we avoid: loading node-wifi's main module rewrites the whole process's locale.
    const out = execFileSync(
      process.execPath,
      ["-e", "process.env.LANG='fr_FR.UTF-8'; require('node-wifi'); console.log(process.env.LANG)"],
      { encoding: "utf8", cwd: path.join(here, "..", "..") },
    );
    expect(out.trim()).toBe("en_US.UTF-8");
  });
});

describe("SimulatedWifi", () => {
  const base = { bssid: "02:00:00:00:00:01", mode: "Infra", channel: 6, frequencyMhz: 2437, signalDbm: -60 };
  it("connects to visible networks with the right password and drops out when they vanish", async () => {
    const wifi = new SimulatedWifi({
      networks: [
        { ...base, ssid: "Office", signalPercent: 80, security: "WPA2" },
        { ...base, ssid: "Open", signalPercent: 90, security: "" },
      ],
      passwords: { Office: "officepass" },
    });
    expect((await wifi.scan()).map((n) => n.ssid)).toEqual(["Open", "Office"]);
    await expect(wifi.connect("Office", "nope-nope")).rejects.toMatchObject({ code: "AUTH_FAILED" });
    await expect(wifi.connect("Elsewhere")).rejects.toMatchObject({ code: "NOT_VISIBLE" });
    await wifi.connect("Office", "officepass");
    expect((await wifi.current())?.ssid).toBe("Office");
    wifi.setNetworks([{ ...base, ssid: "Open", signalPercent: 90, security: "" }]);
    expect(await wifi.current()).toBeNull();
    expect(wifi.attempts).toEqual([
      { ssid: "Office", ok: false },
      { ssid: "Elsewhere", ok: false },
      { ssid: "Office", ok: true },
    ]);
  });
});

// Wi-Fi through NetworkManager's nmcli, the way node-wifi does it, minus node-wifi's bugs.
//
// node-wifi (2.0.16) is right about which nmcli command lists networks, and we reuse its
// command builder and its signal conversion. It is wrong in three places, replaced here:
//  - its scan parser splits on every ":" and so breaks SSIDs holding ":" or "\" (nmcli -t
//    escapes them as "\:" and "\\"): splitTerse() below honours the escapes;
//  - its connect puts the password on nmcli's argv (visible in `ps` to every user): we
//    create a profile without the secret and hand it over with `passwd-file` (a 0600 file
//    in a 0700 directory, removed at once);
//  - importing its main module rewrites LANG/LC_ALL of this whole process: we never load
//    that module and give the locale only to the nmcli child.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

const require = createRequire(import.meta.url);
const nodeWifiScanCommand = require("node-wifi/src/linux/scan/command.js") as (config: {
  iface?: string | null;
}) => { cmd: string; args: string[] };
const { dBFromPercentage } = require("node-wifi/src/utils/percentage-db.js") as {
  dBFromPercentage: (quality: string | number) => number;
};

export interface WifiNetwork {
  ssid: string;
  bssid: string;
  mode: string;
  channel: number;
  frequencyMhz: number;
  signalPercent: number;
  signalDbm: number;
  /** nmcli's SECURITY column, e.g. "WPA2", "WPA1 WPA2", "WPA3"; "" for an open network. */
  security: string;
  /** This device is connected to it now. */
  active: boolean;
}

export interface Wifi {
  /** Visible networks, strongest first (hidden SSIDs are left out). */
  scan(): Promise<WifiNetwork[]>;
  current(): Promise<WifiNetwork | null>;
  /** Connect and remember the network. No password for an open network. */
  connect(ssid: string, password?: string): Promise<void>;
  disconnect(): Promise<void>;
}

export type WifiErrorCode = "BAD_SSID" | "BAD_PASSWORD" | "NMCLI_FAILED" | "NOT_VISIBLE" | "AUTH_FAILED";

export class WifiError extends Error {
  constructor(
    readonly code: WifiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "WifiError";
  }
}

/** Split one line of `nmcli --terse` output on unescaped ":" and undo "\:" and "\\". */
export function splitTerse(line: string): string[] {
  const fields: string[] = [];
  let field = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "\\" && i + 1 < line.length) {
      field += line[++i];
    } else if (c === ":") {
      fields.push(field);
      field = "";
    } else {
      field += c;
    }
  }
  fields.push(field);
  return fields;
}

/** Parse `nmcli -t -f active,ssid,bssid,mode,chan,freq,signal,security,...` (node-wifi's fields). */
export function parseScan(stdout: string): WifiNetwork[] {
  const networks: WifiNetwork[] = [];
  for (const line of stdout.split("\n")) {
    if (line.trim() === "") continue;
    const f = splitTerse(line);
    if (f.length < 8) continue;
    const [active, ssid, bssid, mode, chan, freq, signal, security] = f as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    if (ssid === "") continue; // hidden network
    const signalPercent = Number.parseInt(signal, 10);
    networks.push({
      ssid,
      bssid,
      mode,
      channel: Number.parseInt(chan, 10),
      frequencyMhz: Number.parseInt(freq, 10),
      signalPercent,
      signalDbm: dBFromPercentage(signalPercent),
      security: security === "(none)" || security === "--" ? "" : security,
      active: active === "yes",
    });
  }
  return networks.sort((a, b) => b.signalPercent - a.signalPercent);
}

export function checkSsid(ssid: string): void {
  const bytes = Buffer.byteLength(ssid, "utf8");
  if (bytes < 1 || bytes > 32 || ssid.includes("\0")) {
    throw new WifiError("BAD_SSID", `SSID must be 1 to 32 bytes without NUL, got ${bytes} bytes`);
  }
}

/** WPA-PSK rules: 8..63 printable ASCII characters, or 64 hex digits. Never echoes the secret. */
export function checkPassword(password: string): void {
  const ok = /^[\x20-\x7e]{8,63}$/.test(password) || /^[0-9a-fA-F]{64}$/.test(password);
  if (!ok) {
    throw new WifiError(
      "BAD_PASSWORD",
      `Wi-Fi password must be 8 to 63 printable ASCII characters or 64 hex digits (got ${password.length} characters)`,
    );
  }
}

/** "connection up id NAME" out of a full argv: global options dropped, at most four words. */
function commandLabel(args: readonly string[]): string {
  let i = 0;
  while (i < args.length && args[i]!.startsWith("-"))
    i += ["--fields", "-f", "--wait", "-w"].includes(args[i]!) ? 2 : 1;
  return args.slice(i, i + 4).join(" ");
}

export interface NmcliWifiOptions {
  /** Wi-Fi interface, e.g. "wlan0"; default: let NetworkManager choose. */
  iface?: string;
  /** nmcli executable; default "nmcli" from PATH. */
  nmcli?: string;
  /** Seconds nmcli waits for activation. Default 30. */
  timeoutSec?: number;
  /** Where the short-lived passwd-file goes; default /dev/shm (RAM) if present, else the temp dir. */
  secretsDir?: string;
  /** Prefix of the NetworkManager profiles we create. Default "handcarry-". */
  profilePrefix?: string;
}

/** Real Wi-Fi: nmcli, with the fixes described at the top of this file. */
export class NmcliWifi implements Wifi {
  private readonly iface: string | undefined;
  private readonly nmcli: string;
  private readonly timeoutSec: number;
  private readonly secretsDir: string;
  private readonly profilePrefix: string;

  constructor(options: NmcliWifiOptions = {}) {
    this.iface = options.iface;
    this.nmcli = options.nmcli ?? "nmcli";
    this.timeoutSec = options.timeoutSec ?? 30;
    this.secretsDir = options.secretsDir ?? (existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir());
    this.profilePrefix = options.profilePrefix ?? "handcarry-";
  }

  /** Run nmcli with a fixed locale for the child only; stdout on success, WifiError otherwise. */
  private run(args: string[]): Promise<string> {
    const env = { ...process.env, LC_ALL: "C.UTF-8", LANG: "C.UTF-8" };
    return new Promise((resolve, reject) => {
      execFile(
        this.nmcli,
        args,
        { env, timeout: (this.timeoutSec + 15) * 1000, maxBuffer: 4 << 20 },
        (err, stdout, stderr) => {
          if (!err) return resolve(stdout);
          const detail = (String(stderr).trim() || String(stdout).trim() || err.message).replace(
            /^Error: /,
            "",
          );
          const code = /secrets were required|no secrets|802-1x|psk/i.test(detail)
            ? "AUTH_FAILED"
            : "NMCLI_FAILED";
          reject(new WifiError(code, `nmcli ${commandLabel(args)} failed: ${detail}`));
        },
      );
    });
  }

  async scan(): Promise<WifiNetwork[]> {
    const { args } = nodeWifiScanCommand({ iface: this.iface ?? null });
    return parseScan(await this.run(args));
  }

  async current(): Promise<WifiNetwork | null> {
    return (await this.scan()).find((n) => n.active) ?? null;
  }

  profileName(ssid: string): string {
    return this.profilePrefix + ssid;
  }

  async connect(ssid: string, password?: string): Promise<void> {
    checkSsid(ssid);
    const secured = password !== undefined && password !== "";
    if (secured) checkPassword(password);
    const seen = (await this.scan()).find((n) => n.ssid === ssid);
    const name = this.profileName(ssid);

    // A fresh profile each time: simpler than diffing an old one, and the secret is re-given anyway.
    const profiles = (await this.run(["--terse", "--fields", "NAME", "connection", "show"]))
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => splitTerse(l)[0]);
    if (profiles.includes(name)) await this.run(["connection", "delete", "id", name]);

    const add = ["connection", "add", "type", "wifi", "con-name", name, "ssid", ssid];
    if (this.iface) add.push("ifname", this.iface);
    if (!seen) add.push("802-11-wireless.hidden", "yes"); // not in the scan: probe for it by name
    if (secured) {
      const sae = seen !== undefined && /WPA3/.test(seen.security) && !/WPA2|WPA1/.test(seen.security);
      add.push("802-11-wireless-security.key-mgmt", sae ? "sae" : "wpa-psk");
    }
    add.push("connection.autoconnect", "yes");
    await this.run(add);

    const up = ["--wait", String(this.timeoutSec), "connection", "up", "id", name];
    if (this.iface) up.push("ifname", this.iface);
    if (!secured) {
      await this.run(up);
      return;
    }
    // The secret travels in a file only we can read, never on argv or in the environment.
    // nmcli answers NetworkManager's secret request from it; as the PSK is system-owned
    // (no psk-flags), NetworkManager then saves it into the root-only keyfile
    // (get_secrets_done_cb in nm-settings-connection.c), so later autoconnects need no file.
    const dir = await mkdtemp(path.join(this.secretsDir, "handcarry-wifi-"));
    try {
      const file = path.join(dir, "passwd");
      await writeFile(file, `802-11-wireless-security.psk:${password}\n`, { mode: 0o600, flag: "wx" });
      await this.run([...up, "passwd-file", file]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async disconnect(): Promise<void> {
    let iface = this.iface;
    if (!iface) {
      const rows = (await this.run(["--terse", "--fields", "DEVICE,TYPE,STATE", "device"]))
        .split("\n")
        .map(splitTerse);
      iface = rows.find((r) => r[1] === "wifi" && r[2] === "connected")?.[0];
      if (!iface) return;
    }
    await this.run(["device", "disconnect", iface]);
  }
}

export interface SimulatedWifiOptions {
  networks?: Omit<WifiNetwork, "active">[];
  /** Passwords of secured networks; a wrong one fails like NetworkManager does. */
  passwords?: Record<string, string>;
}

/** Simulated twin: a list of visible networks and a record of what was asked. */
export class SimulatedWifi implements Wifi {
  networks: Omit<WifiNetwork, "active">[];
  readonly passwords: Record<string, string>;
  connectedTo: string | null = null;
  readonly attempts: { ssid: string; ok: boolean }[] = [];

  constructor(options: SimulatedWifiOptions = {}) {
    this.networks = options.networks ?? [];
    this.passwords = options.passwords ?? {};
  }

  /** Make networks appear or vanish; a vanished current network drops the connection. */
  setNetworks(networks: Omit<WifiNetwork, "active">[]): void {
    this.networks = networks;
    if (this.connectedTo !== null && !networks.some((n) => n.ssid === this.connectedTo))
      this.connectedTo = null;
  }

  async scan(): Promise<WifiNetwork[]> {
    return this.networks
      .map((n) => ({ ...n, active: n.ssid === this.connectedTo }))
      .sort((a, b) => b.signalPercent - a.signalPercent);
  }

  async current(): Promise<WifiNetwork | null> {
    return (await this.scan()).find((n) => n.active) ?? null;
  }

  async connect(ssid: string, password?: string): Promise<void> {
    checkSsid(ssid);
    const secured = password !== undefined && password !== "";
    if (secured) checkPassword(password);
    const network = this.networks.find((n) => n.ssid === ssid);
    const fail = (code: WifiErrorCode, message: string) => {
      this.attempts.push({ ssid, ok: false });
      return new WifiError(code, message);
    };
    if (!network) throw fail("NOT_VISIBLE", `network "${ssid}" is not in range`);
    if (network.security !== "" && this.passwords[ssid] !== password) {
      throw fail("AUTH_FAILED", `network "${ssid}" refused the password`);
    }
    this.attempts.push({ ssid, ok: true });
    this.connectedTo = ssid;
  }

  async disconnect(): Promise<void> {
    this.connectedTo = null;
  }
}

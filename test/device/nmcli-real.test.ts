// NmcliWifi against the REAL nmcli and NetworkManager (Debian packages network-manager and
// dbus), run in private network + mount namespaces so they never touch this machine's
// links or config: tmpfs over /run, /etc/NetworkManager and /var/lib/NetworkManager, a
// private system bus, and `unmanaged-devices=*`. There is no Wi-Fi radio here, so
// activation ends in "No suitable device found"; what this proves is that real nmcli
// accepts our argv (profile names and SSIDs with ":" and "\", hidden, key-mgmt), that its
// real --terse escaping is what splitTerse() undoes, and that the stored profile never
// holds the password. The fake nmcli (wifi.test.ts) covers the successful activation.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.join(here, "..", "..");

function whyNot(): string | null {
  if (process.getuid?.() !== 0) return "not root";
  for (const bin of ["nmcli", "NetworkManager", "dbus-daemon"]) {
    try {
      execFileSync("sh", ["-c", `command -v ${bin}`], { stdio: "ignore" });
    } catch {
      return `${bin} not installed (apt-get install network-manager dbus)`;
    }
  }
  try {
    execFileSync("unshare", ["--net", "--mount", "--propagation", "private", "true"], { stdio: "ignore" });
  } catch (err) {
    return `unshare --net --mount failed: ${(err as Error).message}`;
  }
  return null;
}
const cannot = whyNot();
if (cannot) console.warn(`SKIPPED real nmcli tests: ${cannot}`);

const SCRIPT = `
set -e
mount -t tmpfs tmpfs /run
mkdir -p /run/dbus
mount -t tmpfs tmpfs /etc/NetworkManager
mount -t tmpfs tmpfs /var/lib/NetworkManager
mkdir -p /etc/NetworkManager/system-connections /etc/NetworkManager/conf.d
printf '[main]\\nplugins=keyfile\\nauth-polkit=false\\n[keyfile]\\nunmanaged-devices=*\\n' > /etc/NetworkManager/NetworkManager.conf
ip link set lo up
dbus-daemon --system --nofork --nopidfile & DBUS=$!
# Wait for the bus, then for NetworkManager, polling up to 2 min each (a loaded machine is slow).
for i in $(seq 1 2400); do [ -S /run/dbus/system_bus_socket ] && break; sleep 0.05; done
NetworkManager --no-daemon > "$WORK/nm.log" 2>&1 & NM=$!
trap 'kill $NM $DBUS 2>/dev/null || true' EXIT
for i in $(seq 1 2400); do nmcli -t general status >/dev/null 2>&1 && break; sleep 0.05; done
node --import tsx "$FIXTURES/real-nmcli-child.ts" "$WORK/secrets"
`;

describe.skipIf(cannot !== null)("NmcliWifi against real nmcli + NetworkManager in a namespace", () => {
  let work: string;
  // biome-ignore lint/suspicious/noExplicitAny: parsed JSON from the child
  let out: any;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), "hc-nm-"));
    execFileSync("mkdir", ["-m", "700", path.join(work, "secrets")]);
    const run = spawnSync("unshare", ["--net", "--mount", "--propagation", "private", "sh", "-c", SCRIPT], {
      cwd: repo,
      env: { ...process.env, FIXTURES: path.join(here, "fixtures"), WORK: work },
      encoding: "utf8",
      timeout: 5 * 60_000,
    });
    if (run.status !== 0) throw new Error(`child failed (${run.status}): ${run.stderr}`);
    out = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it("scans an empty list when there is no radio", () => {
    expect(out.scan).toEqual([]);
  });

  it("gets as far as activation; real nmcli accepted every argument before that", () => {
    for (const key of ["connectSecured", "connectAgain", "connectBackslash", "connectOpen"]) {
      expect(out[key]).toMatch(
        /^NMCLI_FAILED: nmcli connection up id handcarry-.* failed: .*No suitable device found/,
      );
    }
  });

  it("stores one profile per SSID, with ':' and '\\' intact, key-mgmt and hidden set, no password", () => {
    const files = out.keyfiles as Record<string, string>;
    expect(Object.keys(files).sort()).toEqual([
      "handcarry-Cafe:Net.nmconnection",
      "handcarry-Village Free.nmconnection",
      "handcarry-back\\slash.nmconnection",
    ]);
    const cafe = files["handcarry-Cafe:Net.nmconnection"]!;
    expect(cafe).toMatch(/^id=handcarry-Cafe:Net$/m);
    expect(cafe).toMatch(/^ssid=Cafe:Net$/m);
    expect(cafe).toMatch(/^key-mgmt=wpa-psk$/m);
    expect(cafe).toMatch(/^hidden=true$/m); // not seen in a scan: NetworkManager probes by name
    expect(files["handcarry-back\\slash.nmconnection"]).toMatch(/^ssid=back\\\\slash$/m); // keyfile escapes "\"
    expect(files["handcarry-Village Free.nmconnection"]).not.toMatch(/wifi-security|key-mgmt/);
    for (const text of Object.values(files)) {
      expect(text).not.toMatch(/psk=|p4ss|12345678/);
    }
  });

  it("removes the passwd-file even when activation fails", () => {
    expect(out.secretsLeft).toEqual([]);
  });

  it("disconnect with no connected Wi-Fi device is a no-op", () => {
    expect(out.disconnected).toBe(true);
  });
});

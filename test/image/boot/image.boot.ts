// The whole image, booted: an amd64 Debian trixie root with stage-handcarry installed (the
// stage test's steps and cache), Debian's kernel, disks made without loop devices, booted
// with qemu under TCG. mac80211_hwsim gives two radios: the hotspot runs on one, a phone
// in its own network namespace on the other. A probe inside the guest reports what it sees
// (guest/handcarry-boot-probe); this test asserts on that report, on what the host gets
// through the forwarded ports, and on the disks once the machine is off. Never on timings
// (they are printed). Run with `npm run test:boot` as root; it is not part of `npm test`.
// HANDCARRY_BOOT_STAGE_ROOT=<a stage root a run kept> skips building one (for working on
// the probe; a clean run builds its own, or takes the cached one: root-cache.ts).
// HANDCARRY_BOOT_ARM64=1 boots an arm64 root instead (qemu-system-aarch64 -M virt, arch.ts).
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { smallAdditionPair, type TestMaster, testMaster } from "../../agent/helpers.js";
import { FaultProxy } from "../../support/fault-proxy.js";
import { waitFor } from "../../support/wait.js";
import { commandExists, imageTestDir, step, sweepStaleRuns, unmountBelow } from "../support.js";
import { bootArch } from "./arch.js";
import {
  bootFile,
  type Disks,
  disksIn,
  freePort,
  Guest,
  HOTSPOT_ADDRESS,
  type ProbeReport,
  putBootFile,
  rootFile,
} from "./guest.js";
import { bootRoot } from "./root-cache.js";

const arch = bootArch();
const NEEDED = ["debootstrap", arch.qemu, "mkfs.ext4", "mkfs.vfat", "mcopy", "mtype", "debugfs"];
const skipReason =
  process.getuid?.() !== 0
    ? "needs root (debootstrap, chroot and mounts build the root)"
    : (NEEDED.filter((tool) => !commandExists(tool)).map((tool) => `needs ${tool}`)[0] ??
      arch.hostProblem() ??
      "");
if (skipReason !== "") {
  console.warn(
    `test/image/boot skipped: ${skipReason} (apt-get install qemu-system-x86 qemu-system-arm dosfstools mtools e2fsprogs debootstrap; run as root)`,
  );
}

/** Generous limits for a loaded 2-core machine under TCG (first boots measured at 3-10 min). */
const REPORT_LIMIT_MS = 60 * 60_000;
const COURSE = "health";
/** Bytes per second from the master while a sync must be caught in the middle. */
const SLOW_LINK = 1024;
const TITLE = "Community health";

const envValue = (text: string | null, key: string) =>
  (text ?? "")
    .split("\n")
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));

interface Status {
  state: string;
  resumePending: boolean;
  courses: { contentHash: string }[];
}

describe.skipIf(skipReason !== "")(`the image, booted under qemu (${arch.debian})`, () => {
  let tmp = "";
  let log = "";
  let disks: Disks;
  let master: TestMaster;
  let proxy: FaultProxy;
  const hashes: { v1: string; v2: string } = { v1: "", v2: "" };
  let files: { v1: string; v2: string };
  const ports = { hotspot: 0, uplink: 0 };
  const masterUrl = () => `http://10.0.2.2:${proxy.port}`;
  const boot = (name: string, withPhone: boolean) =>
    new Guest(disks, {
      arch,
      name,
      ports,
      probeArgs: [
        `handcarry.courses=1`,
        `handcarry.course=${COURSE}`,
        `handcarry.uplink=10.0.2.2:${proxy.port}`,
        `handcarry.phone=${withPhone ? 1 : 0}`,
      ],
    });
  /** What the host gets through the port forwarded to the guest's hotspot address. */
  const fromHost = (path: string) => fetch(`http://127.0.0.1:${ports.hotspot}${path}`);
  const hostStatus = () =>
    fromHost("/api/status")
      .then((r) => r.json() as Promise<Status>)
      .catch(() => null);

  let first: ProbeReport;
  /** What the host saw during the first boot: "/" on the hotspot address, and the uplink one. */
  const host = { homeCode: 0, homeText: "", uplinkRefused: false };
  let settingsOnDisk: { device: string | null; agent: string | null; note: string | null };

  beforeAll(async () => {
    await sweepStaleRuns("handcarry-boot-");
    tmp = await mkdtemp(join(tmpdir(), "handcarry-boot-"));
    log = join(tmp, "build.log");
    const stageRoot =
      process.env.HANDCARRY_BOOT_STAGE_ROOT ?? (await bootRoot(tmp, log, "WPA_COUNTRY=KE\n", arch.debian));
    const diskDir = join(tmp, "disks");
    await mkdir(diskDir);
    await step(
      "prepare-boot-root.sh",
      join(imageTestDir, "boot/prepare-boot-root.sh"),
      [stageRoot, diskDir, arch.debian],
      process.env,
      log,
    );
    disks = disksIn(diskDir);
    await unmountBelow(tmp);
    // The master on this machine's loopback, behind a proxy that can slow it down; the
    // guest reaches 127.0.0.1 as 10.0.2.2 (qemu's user-mode network).
    files = await smallAdditionPair(tmp, 0.5);
    master = await testMaster(join(tmp, "master"));
    hashes.v1 = await master.publish(COURSE, files.v1, TITLE);
    proxy = await FaultProxy.start({ targetHost: "127.0.0.1", targetPort: Number(new URL(master.url).port) });
    ports.hotspot = await freePort();
    ports.uplink = await freePort();
    // The carrier's way of naming the master: a note on the FAT partition, from Windows.
    await putBootFile(disks, "handcarry-master.txt", `# our master\r\n${masterUrl()}\r\n`, tmp);
  }, 90 * 60_000);

  afterAll(async () => {
    await proxy?.close();
    await master?.close();
    if (tmp !== "" && process.env.HANDCARRY_BOOT_KEEP !== "1") {
      await unmountBelow(tmp);
      await rm(tmp, { recursive: true, force: true });
    } else if (tmp !== "") console.log(`boot test: kept ${tmp}`);
  }, 120_000);

  it("first boot: settings made once, the master from the card, the course synced and served", async () => {
    const guest = boot("boot1", true);
    try {
      first = await guest.report(REPORT_LIMIT_MS);
      console.log(
        `boot test: first boot reported after ${guest.elapsedSec()} s (guest uptime: agent listening at ${first.uptimeSec.agentUp} s, report at ${first.uptimeSec.reported} s)`,
      );
      const answer = await fromHost("/");
      host.homeCode = answer.status;
      host.homeText = await answer.text();
      // The forward to the guest's uplink address (10.0.2.15:80) finds nothing listening.
      host.uplinkRefused = await fetch(`http://127.0.0.1:${ports.uplink}/`, {
        signal: AbortSignal.timeout(60_000),
      }).then(
        () => false,
        () => true,
      );
      await guest.powerOff();
    } finally {
      await guest.cutPower();
    }
    settingsOnDisk = {
      device: await rootFile(disks, "/etc/handcarry/device.env"),
      agent: await rootFile(disks, "/etc/handcarry/agent.env"),
      note: await bootFile(disks, "handcarry.txt"),
    };
    const report = first;
    expect(report.agentListening).toBe(true);
    expect(report.bootFinished).toBe(true);
    expect(report.failedUnits).toEqual([]);
    expect(report.systemState).toBe("running");
    // The journal is in RAM only, and so is NetworkManager's state (leases, timestamps).
    expect(report.journal.runtimeFiles).toBeGreaterThan(0);
    expect(report.journal.persistentFiles).toBe(0);
    expect(report.networkManagerState).toBe("tmpfs");
    expect(report.cardNoteMode).toBe("700"); // fmask=0077: root only (FAT shows x bits)

    // One set of per-device values, in the hotspot profile and the card note too.
    const { settings } = report;
    expect(settings.ssid).toMatch(/^handcarry-[0-9A-F]{6}$/);
    expect(settings.psk).toMatch(/^[a-km-np-z2-9]{10}$/);
    expect(settings.admin).toMatch(/^[a-km-np-z2-9]{12}$/);
    expect(settings.profileSsid).toBe(settings.ssid);
    expect(settings.note).toContain(`Wi-Fi name (SSID):  ${settings.ssid}`);
    expect(settings.note).toContain(`Wi-Fi password:     ${settings.psk}`);
    expect(settings.note).toContain(`Admin password:     ${settings.admin}`);
    // handcarry-master.txt (CRLF) was read at boot.
    expect(settings.master).toBe(masterUrl());
    // The same on the disks once the machine is off.
    expect(envValue(settingsOnDisk.device, "HOTSPOT_SSID")).toEqual([settings.ssid]);
    expect(envValue(settingsOnDisk.device, "HOTSPOT_PSK")).toEqual([settings.psk]);
    expect(envValue(settingsOnDisk.agent, "HANDCARRY_ADMIN_PASSWORD")).toEqual([settings.admin]);
    expect(envValue(settingsOnDisk.agent, "HANDCARRY_MASTER")).toEqual([masterUrl()]);
    expect(settingsOnDisk.note?.trimEnd()).toBe(settings.note.trimEnd());

    // The agent, its simulated twins (no Pi here), the master from the FAT note, the course.
    expect(report.coursesInstalled).toBe(true);
    expect(report.status).toMatchObject({
      device: "simulated",
      masterUrl: masterUrl(),
      courses: [{ id: COURSE, title: TITLE, contentHash: hashes.v1 }],
    });
    expect(report.status?.leds).toBe(report.status?.state);
  });

  it("first boot: the agent answers on the hotspot address and loopback, not on the uplink", () => {
    expect(first, "the first boot reported").toBeDefined();
    const { listen } = first;
    expect(listen.log).toBe("10.42.0.1:80, 127.0.0.1:80");
    expect(listen.addresses).toEqual(["10.42.0.1:80", "127.0.0.1:80"]);
    expect(listen.uplinkIp).toBe("10.0.2.15");
    expect(listen.codes).toEqual({ loopback: 200, hotspot: 200, uplink: 0 });
    // From the host: the course list on the hotspot address, nothing on the uplink one.
    expect(host.homeCode).toBe(200);
    expect(host.homeText).toContain(TITLE);
    expect(host.uplinkRefused).toBe(true);
  });

  it("first boot: a phone joins the hotspot, gets a lease, lands on the Pi and reads the course", () => {
    expect(first, "the first boot reported").toBeDefined();
    expect(first.hotspotUp).toBe(true);
    expect(first.hotspotForwarding).toBe("0");
    const phone = first.phone!;
    expect(phone.associated).toBe(true);
    expect(phone.lease?.router).toBe(HOTSPOT_ADDRESS);
    expect(phone.lease?.ip).toMatch(/^10\.42\.0\.\d+$/);
    // The hotspot's DNS answers every name with the Pi.
    expect(phone.dns).toEqual([
      { name: "connectivitycheck.gstatic.com", address: HOTSPOT_ADDRESS },
      { name: "captive.apple.com", address: HOTSPOT_ADDRESS },
      { name: "some-school.example", address: HOTSPOT_ADDRESS },
    ]);
    // Android's captive-portal check is sent to the course list.
    expect(phone.generate204?.code).toBe(302);
    expect(phone.generate204?.location).toMatch(/^http:\/\/[^/]+\/$/);
    expect(phone.homeCode).toBe(200);
    expect(phone.course?.code).toBe(200);
    expect(phone.course?.title).toContain(TITLE);
    // No forwarding from the hotspot onto the uplink: the master is out of the phone's reach.
    expect(phone.reachesUplink).toBe(false);
  });

  it("first boot: the button pressed on its twin syncs, and the LEDs show each state", () => {
    expect(first, "the first boot reported").toBeDefined();
    const button = first.button!;
    expect(button.settled).toBe(true);
    expect(button.errors).toEqual([]);
    expect(button.messages).toEqual(["simulated button: pressed", "button: sync now", "sync cycle"]);
    // Nothing new on the master: checking (green blinks once a second), then back to serving.
    expect(button.states).toEqual([
      { state: "checking", leds: "checking" },
      { state: "serving", leds: "serving" },
    ]);
    expect(button.ledsAfter).toBe("serving");
  });

  it("second boot: the power is cut while it syncs a new version", async () => {
    expect(first, "the first boot reported").toBeDefined();
    // A new version on the master, delivered slowly so the power can be cut mid-sync.
    hashes.v2 = await master.publish(COURSE, files.v2, TITLE);
    proxy.setFaults({ rateBytesPerSec: SLOW_LINK });
    const guest = boot("boot2", false);
    const seen: string[] = [];
    let cutAt: Status;
    try {
      cutAt = await waitFor(
        async () => {
          const s = await hostStatus();
          if (s && seen.at(-1) !== s.state) seen.push(s.state);
          const midSync = s?.state === "syncing" || s?.state === "verifying";
          return s && (midSync || s.courses[0]?.contentHash === hashes.v2) ? s : null;
        },
        () => `a sync in the second boot (states seen: ${seen.join(" → ") || "none"}; ${guest.lastStep()})`,
        { timeoutMs: REPORT_LIMIT_MS, intervalMs: 1000 },
      );
      console.log(`boot test: second boot syncing after ${guest.elapsedSec()} s; cutting the power`);
    } finally {
      await guest.cutPower();
    }
    // Cut before the new version was installed.
    expect(cutAt.courses.map((c) => c.contentHash)).toEqual([hashes.v1]);
    expect(cutAt.state).toBe("syncing");
  });

  it("after the power cut: the same settings, the old course served at once, then the sync finishes", async () => {
    expect(hashes.v2, "the second boot ran").not.toBe("");
    // Still slow while the probe looks, so what it sees is the old version.
    const guest = boot("boot3", false);
    let report: ProbeReport;
    let finished: Status;
    try {
      report = await guest.report(REPORT_LIMIT_MS);
      console.log(
        `boot test: boot after the power cut reported after ${guest.elapsedSec()} s (guest uptime: agent listening at ${report.uptimeSec.agentUp} s)`,
      );
      proxy.clearFaults();
      finished = await waitFor(
        async () => {
          const s = await hostStatus();
          return s?.courses[0]?.contentHash === hashes.v2 && s.state !== "syncing" ? s : null;
        },
        "the new version installed after the power cut",
        { timeoutMs: 30 * 60_000, intervalMs: 2000 },
      );
      await guest.powerOff();
    } finally {
      await guest.cutPower();
    }
    expect(report.bootId).not.toBe(first.bootId);
    expect(report.failedUnits).toEqual([]);
    expect(report.systemState).toBe("running");
    // Nothing generated again, across a reboot and a power cut.
    expect(report.settings).toEqual(first.settings);
    // The old version, whole, served while the new one is still on its way.
    expect(report.status?.courses).toMatchObject([{ id: COURSE, contentHash: hashes.v1 }]);
    expect(report.status?.resumePending).toBe(true);
    expect(finished.courses).toMatchObject([{ contentHash: hashes.v2 }]);
  });
});

// The whole image, booted: an amd64 Debian trixie root with stage-handcarry installed (the
// stage test's steps and cache), Debian's kernel, disks made without loop devices, booted
// with qemu under TCG. mac80211_hwsim gives two radios: the hotspot runs on one, a phone
// in its own network namespace on the other. A probe inside the guest reports what it sees
// (guest/handcarry-boot-probe); this test asserts on that report, on what the host gets
// through the forwarded port 80, and on the disks once the machine is off. Never on timings
// (they are printed). Run with `npm run test:boot` as root; it is not part of `npm test`.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { smallAdditionPair, type TestMaster, testMaster } from "../../agent/helpers.js";
import { FaultProxy } from "../../support/fault-proxy.js";
import { commandExists, imageTestDir, installStage, step, sweepStaleRuns, unmountBelow } from "../support.js";
import {
  bootFile,
  type Disks,
  disksIn,
  freePort,
  Guest,
  type ProbeReport,
  putBootFile,
  rootFile,
} from "./guest.js";

const NEEDED = ["debootstrap", "qemu-system-x86_64", "mkfs.ext4", "mkfs.vfat", "mcopy", "mtype", "debugfs"];
const skipReason =
  process.getuid?.() !== 0
    ? "needs root (debootstrap, chroot and mounts build the root)"
    : (NEEDED.filter((tool) => !commandExists(tool)).map((tool) => `needs ${tool}`)[0] ?? "");
if (skipReason !== "") {
  console.warn(
    `test/image/boot skipped: ${skipReason} (apt-get install qemu-system-x86 dosfstools mtools e2fsprogs debootstrap; run as root)`,
  );
}

/** Generous limits for a loaded 2-core machine under TCG (first boots measured at 3-10 min). */
const REPORT_LIMIT_MS = 40 * 60_000;
const COURSE = "health";
const TITLE = "Community health";

const envValue = (text: string | null, key: string) =>
  (text ?? "")
    .split("\n")
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));

describe.skipIf(skipReason !== "")("the image, booted under qemu", () => {
  let tmp = "";
  let log = "";
  let disks: Disks;
  let master: TestMaster;
  let proxy: FaultProxy;
  const hashes: { v1: string; v2: string } = { v1: "", v2: "" };
  let files: { v1: string; v2: string };
  let httpPort = 0;
  const probeArgs = () => [
    `handcarry.courses=1`,
    `handcarry.course=${COURSE}`,
    `handcarry.uplink=10.0.2.2:${proxy.port}`,
  ];
  const boot = (name: string) => new Guest(disks, { name, httpPort, probeArgs: probeArgs() });
  const fromHost = (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${httpPort}${path}`, init);

  let first: { report: ProbeReport; hostHome: number; hostHomeText: string };
  let settingsAfterFirst: { device: string | null; agent: string | null; note: string | null };

  beforeAll(async () => {
    await sweepStaleRuns("handcarry-boot-");
    tmp = await mkdtemp(join(tmpdir(), "handcarry-boot-"));
    log = join(tmp, "build.log");
    const stage = await installStage(tmp, log, "WPA_COUNTRY=KE\n");
    const diskDir = join(tmp, "disks");
    await mkdir(diskDir);
    await step(
      "prepare-boot-root.sh",
      join(imageTestDir, "boot/prepare-boot-root.sh"),
      [stage.root, diskDir],
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
    httpPort = await freePort();
    // The carrier's way of naming the master: a note on the FAT partition, from Windows.
    await putBootFile(
      disks,
      "handcarry-master.txt",
      `# our master\r\nhttp://10.0.2.2:${proxy.port}\r\n`,
      tmp,
    );
  }, 60 * 60_000);

  afterAll(async () => {
    await proxy?.close();
    await master?.close();
    if (tmp !== "" && process.env.HANDCARRY_BOOT_KEEP !== "1") {
      await unmountBelow(tmp);
      await rm(tmp, { recursive: true, force: true });
    } else if (tmp !== "") console.log(`boot test: kept ${tmp}`);
  }, 120_000);

  it("first boot: a listening agent, the course synced, a phone that joins and reads it", async () => {
    const guest = boot("boot1");
    try {
      const report = await guest.report(REPORT_LIMIT_MS);
      console.log(`boot test: first boot reported after ${guest.elapsedSec()} s`);
      const home = await fromHost("/");
      first = { report, hostHome: home.status, hostHomeText: await home.text() };
      await guest.powerOff();
    } finally {
      await guest.cutPower();
    }
    const { report } = first;
    expect(report.agentListening).toBe(true);
    expect(report.coursesInstalled).toBe(true);
    expect(report.failedUnits).toEqual([]);
    expect(report.systemState).toBe("running");
    // The journal is in RAM only.
    expect(report.journal.runtimeFiles).toBeGreaterThan(0);
    expect(report.journal.persistentFiles).toBe(0);
    expect(report.networkManagerState).toBe("tmpfs");
    expect(report.cardNoteMode).toBe("700"); // fmask=0077: root only (FAT shows x bits)
    expect(report.agentListen).toBe("0.0.0.0:80 (all addresses)");
    // The agent, its simulated twins (no Pi here), the master from the FAT note, the course.
    expect(report.status).toMatchObject({
      device: "simulated",
      masterUrl: `http://10.0.2.2:${proxy.port}`,
      courses: [{ id: COURSE, title: TITLE, contentHash: hashes.v1 }],
    });
    expect(report.status?.leds).toBe(report.status?.state);
    // The host reaches the course list through the forwarded port.
    expect(first.hostHome).toBe(200);
    expect(first.hostHomeText).toContain(TITLE);
    // The phone.
    expect(report.hotspotUp).toBe(true);
    expect(report.hotspotForwarding).toBe("0");
    const phone = report.phone!;
    expect(phone.associated).toBe(true);
    expect(phone.lease?.router).toBe("10.42.0.1");
    expect(phone.lease?.ip).toMatch(/^10\.42\.0\.\d+$/);
    expect(phone.dns).toEqual([
      { name: "connectivitycheck.gstatic.com", address: "10.42.0.1" },
      { name: "captive.apple.com", address: "10.42.0.1" },
      { name: "some-school.example", address: "10.42.0.1" },
    ]);
    expect(phone.generate204?.code).toBe(302);
    expect(phone.generate204?.location).toMatch(/^http:\/\/[^/]+\/$/);
    expect(phone.homeCode).toBe(200);
    expect(phone.course?.code).toBe(200);
    expect(phone.course?.title).toContain(TITLE);
    expect(phone.reachesUplink).toBe(false); // no forwarding from the hotspot onto the uplink

    // On the disks: one set of per-device values, the same in the card note.
    settingsAfterFirst = {
      device: await rootFile(disks, "/etc/handcarry/device.env"),
      agent: await rootFile(disks, "/etc/handcarry/agent.env"),
      note: await bootFile(disks, "handcarry.txt"),
    };
    const [ssid] = envValue(settingsAfterFirst.device, "HOTSPOT_SSID");
    const [psk] = envValue(settingsAfterFirst.device, "HOTSPOT_PSK");
    const admin = envValue(settingsAfterFirst.agent, "HANDCARRY_ADMIN_PASSWORD");
    expect(ssid).toMatch(/^handcarry-[0-9A-F]{6}$/);
    expect(psk).toMatch(/^[a-km-np-z2-9]{10}$/);
    expect(admin).toHaveLength(1);
    expect(envValue(settingsAfterFirst.agent, "HANDCARRY_MASTER")).toEqual([`http://10.0.2.2:${proxy.port}`]);
    expect(settingsAfterFirst.note).toContain(`Wi-Fi name (SSID):  ${ssid}`);
    expect(settingsAfterFirst.note).toContain(`Wi-Fi password:     ${psk}`);
    expect(settingsAfterFirst.note).toContain(`Admin password:     ${admin[0]}`);
  });

  it("second boot keeps the device's name and passwords; a power cut mid-sync keeps the old course", async () => {
    expect(first, "the first boot ran").toBeDefined();
    const [admin] = envValue(settingsAfterFirst.agent, "HANDCARRY_ADMIN_PASSWORD");
    // A new version on the master, delivered slowly (4 KiB/s) so the power can be cut while
    // the boot's own sync of it runs.
    hashes.v2 = await master.publish(COURSE, files.v2, TITLE);
    proxy.setFaults({ rateBytesPerSec: 4096 });
    const guest = boot("boot2");
    const seen: string[] = [];
    try {
      const end = Date.now() + REPORT_LIMIT_MS;
      for (;;) {
        const status = await fromHost("/api/status")
          .then((r) => r.json() as Promise<{ state: string; courses: { contentHash: string }[] }>)
          .catch(() => null);
        if (status && seen.at(-1) !== status.state) seen.push(status.state);
        if (status?.courses[0]?.contentHash === hashes.v2)
          throw new Error(`v2 arrived before the cut (${seen})`);
        if (status?.state === "syncing" || status?.state === "verifying") break;
        if (Date.now() > end) throw new Error(`no sync seen in boot 2 (states: ${seen})`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      console.log(`boot test: second boot syncing after ${guest.elapsedSec()} s; cutting the power`);
    } finally {
      await guest.cutPower();
    }
    expect(seen.at(-1)).toMatch(/^(syncing|verifying)$/);
    // Nothing was generated again: the same settings and card note as after the first boot.
    expect(await rootFile(disks, "/etc/handcarry/device.env")).toBe(settingsAfterFirst.device);
    expect(envValue(await rootFile(disks, "/etc/handcarry/agent.env"), "HANDCARRY_ADMIN_PASSWORD")).toEqual([
      admin,
    ]);
    expect(await bootFile(disks, "handcarry.txt")).toBe(settingsAfterFirst.note);
  });

  it("after the power cut: boots, serves the old course, and the sync finishes", async () => {
    proxy.clearFaults();
    const guest = boot("boot3");
    try {
      const report = await guest.report(REPORT_LIMIT_MS);
      console.log(`boot test: boot after the power cut reported after ${guest.elapsedSec()} s`);
      expect(report.failedUnits).toEqual([]);
      expect(report.agentListening).toBe(true);
      // Served at once: one version of the course, never a mix (old until the new one is verified).
      const served = report.status?.courses.map((c) => c.contentHash) ?? [];
      expect(served).toHaveLength(1);
      expect([hashes.v1, hashes.v2]).toContain(served[0]);
      expect(report.phone?.course?.code).toBe(200);
      const end = Date.now() + 20 * 60_000;
      let hash = served[0];
      while (hash !== hashes.v2 && Date.now() < end) {
        await new Promise((resolve) => setTimeout(resolve, 2000));
        const s = (await (await fromHost("/api/status")).json()) as { courses: { contentHash: string }[] };
        hash = s.courses[0]?.contentHash;
      }
      expect(hash).toBe(hashes.v2);
      await guest.powerOff();
    } finally {
      await guest.cutPower();
    }
  });
});

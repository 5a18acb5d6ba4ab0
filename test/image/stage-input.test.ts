// Bad build settings stop the stage with a message naming the setting, before the image
// is touched. Runs the stage's own host-side scripts (NN-run.sh) from a scratch copy.
import { spawn } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

function runScript(script: string, cwd: string, env: Record<string, string>) {
  return new Promise<{ code: number; stderr: string }>((resolvePromise, reject) => {
    const child = spawn(script, [], {
      cwd,
      // Only what pi-gen would export, so nothing from this shell leaks in.
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code: code ?? -1, stderr }));
  });
}

describe("stage-handcarry rejects bad build settings", () => {
  let tmp = "";
  let stage = "";
  let rootfs = "";

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), "handcarry-stage-input-"));
    stage = join(tmp, "stage-handcarry");
    await cp(join(repo, "pi-gen-config/stage-handcarry"), stage, { recursive: true });
    await mkdir(join(stage, "05-firmware/files"), { recursive: true });
    await cp(join(repo, "firmware/config.txt"), join(stage, "05-firmware/files/config.txt"));
    await cp(join(repo, "firmware/cmdline.txt"), join(stage, "05-firmware/files/cmdline.txt"));
    rootfs = join(tmp, "rootfs");
    await mkdir(join(rootfs, "boot/firmware"), { recursive: true });
    await writeFile(join(rootfs, "boot/firmware/config.txt"), "dtparam=audio=on\n");
    await writeFile(join(rootfs, "boot/firmware/cmdline.txt"), "console=tty1 rootwait\n");
  });

  afterAll(async () => {
    if (tmp !== "") await rm(tmp, { recursive: true, force: true });
  });

  const cases: Array<[string, string, Record<string, string>, RegExp]> = [
    [
      "a master URL with a space",
      "03-system/00-run.sh",
      { HANDCARRY_MASTER: "http://master example" },
      /HANDCARRY_MASTER must be/,
    ],
    [
      "a master URL that is not http(s)",
      "03-system/00-run.sh",
      { HANDCARRY_MASTER: "ftp://m.example" },
      /HANDCARRY_MASTER must be/,
    ],
    [
      "a concurrency flag other than 0/1",
      "03-system/00-run.sh",
      { HANDCARRY_WIFI_CONCURRENT: "yes" },
      /HANDCARRY_WIFI_CONCURRENT must be 0 or 1/,
    ],
    [
      "a 5 GHz hotspot channel",
      "04-hotspot/01-run.sh",
      { HANDCARRY_HOTSPOT_CHANNEL: "36" },
      /HANDCARRY_HOTSPOT_CHANNEL must be a 2.4 GHz channel/,
    ],
    [
      "a 7-character uplink password",
      "04-hotspot/01-run.sh",
      { HANDCARRY_UPLINK_SSID: "x", HANDCARRY_UPLINK_PSK: "1234567" },
      /HANDCARRY_UPLINK_PSK must be 8 to 63/,
    ],
    ["no Wi-Fi country", "05-firmware/00-run.sh", {}, /WPA_COUNTRY is not set/],
  ];

  for (const [what, script, env, message] of cases) {
    it(`stops on ${what}`, async () => {
      const before = await readdir(rootfs, { recursive: true });
      const result = await runScript(join(stage, script), dirname(join(stage, script)), {
        ROOTFS_DIR: rootfs,
        ...env,
      });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(message);
      expect(await readdir(rootfs, { recursive: true })).toEqual(before);
      expect(await readFile(join(rootfs, "boot/firmware/cmdline.txt"), "utf8")).toBe(
        "console=tty1 rootwait\n",
      );
    });
  }

  it("accepts good settings (the firmware step, which needs no chroot)", async () => {
    const result = await runScript(join(stage, "05-firmware/00-run.sh"), join(stage, "05-firmware"), {
      ROOTFS_DIR: rootfs,
      WPA_COUNTRY: "KE",
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(await readFile(join(rootfs, "boot/firmware/cmdline.txt"), "utf8")).toBe(
      "console=tty1 rootwait cfg80211.ieee80211_regdom=KE fsck.repair=yes\n",
    );
  });
});

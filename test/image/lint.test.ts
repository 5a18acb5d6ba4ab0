// Static checks of the appliance image sources: shellcheck on every script, pi-gen's
// executable-bit rule, systemd-analyze verify on the units, documented firmware lines.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const stageDir = join(repo, "pi-gen-config/stage-handcarry");

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path) : [path];
  });
}

function isShellScript(path: string): boolean {
  if (path.endsWith(".sh")) return true;
  const head = readFileSync(path, "utf8").slice(0, 1000);
  return /^#!.*\bbash\b/.test(head) || /^# shellcheck shell=bash/m.test(head);
}

/** Every shell script of the image: pi-gen config and stage, device scripts, test shim. */
function imageScripts(): string[] {
  return [
    ...walk(join(repo, "pi-gen-config")),
    ...walk(join(repo, "systemd")),
    ...walk(join(repo, "test/image")).filter((p) => !p.endsWith(".ts")),
  ].filter(isShellScript);
}

describe("image sources", () => {
  it("finds the scripts it is meant to check", () => {
    const names = imageScripts().map((p) => relative(repo, p));
    for (const expected of [
      "pi-gen-config/build.sh",
      "pi-gen-config/config",
      "pi-gen-config/stage-handcarry/prerun.sh",
      "pi-gen-config/stage-handcarry/EXPORT_IMAGE",
      "pi-gen-config/stage-handcarry/01-agent/01-run-chroot.sh",
      "systemd/handcarry-setup",
      "test/image/pigen-shim.sh",
    ]) {
      expect(names).toContain(expected);
    }
  });

  it("passes shellcheck, every script", () => {
    const scripts = imageScripts();
    const result = spawnSync(
      "shellcheck",
      ["--external-sources", "--source-path=SCRIPTDIR", "--format=gcc", ...scripts],
      {
        cwd: repo,
        encoding: "utf8",
      },
    );
    if (result.error)
      throw new Error(`shellcheck could not run (apt-get install shellcheck): ${result.error.message}`);
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("marks executable every script pi-gen runs on the host (it skips the others silently)", () => {
    const hostScripts = walk(stageDir).filter((p) => /\/(prerun|\d\d-run)\.sh$/.test(p));
    expect(hostScripts.length).toBeGreaterThan(4);
    const notExecutable = hostScripts
      .filter((p) => (statSync(p).mode & 0o111) !== 0o111)
      .map((p) => relative(repo, p));
    expect(notExecutable).toEqual([]);
    // Chroot scripts are fed on stdin; the setup script is installed with mode 755 anyway.
    expect(statSync(join(repo, "pi-gen-config/build.sh")).mode & 0o111).toBe(0o111);
  });

  it("has units that systemd-analyze verify accepts", () => {
    const units = readdirSync(join(repo, "systemd"))
      .filter((name) => name.endsWith(".service") || name.endsWith(".mount"))
      .map((name) => join(repo, "systemd", name));
    expect(units.length).toBeGreaterThanOrEqual(2);
    const result = spawnSync("systemd-analyze", ["verify", "--man=no", ...units], { encoding: "utf8" });
    if (result.error)
      throw new Error(`systemd-analyze could not run (apt-get install systemd): ${result.error.message}`);
    // The one thing this host cannot have is our scripts at their installed paths;
    // the image test verifies the units again inside the built root, where it exists.
    const problems = (result.stdout + result.stderr)
      .split("\n")
      .filter((line) => line.trim() !== "")
      .filter((line) => !/Command \/usr\/local\/sbin\/handcarry-[a-z-]+ is not executable/.test(line));
    expect(problems).toEqual([]);
  });

  it("sandboxes every unit: systemd-analyze security rates each 2.5 or better", () => {
    const scores = ["handcarry-agent", "handcarry-setup", "handcarry-wifi-interfaces"].map((name) => {
      const result = spawnSync(
        "systemd-analyze",
        ["security", "--offline=true", "--no-pager", join(repo, "systemd", `${name}.service`)],
        { encoding: "utf8" },
      );
      const score = /Overall exposure level for \S+: (\d+\.\d+)/.exec(result.stdout)?.[1];
      return [name, Number(score ?? "NaN") <= 2.5 ? "2.5 or better" : `${score} (${result.stderr.trim()})`];
    });
    expect(scores).toEqual([
      ["handcarry-agent", "2.5 or better"],
      ["handcarry-setup", "2.5 or better"],
      ["handcarry-wifi-interfaces", "2.5 or better"],
    ]);
  });

  it("restarts the agent at a steady pace and never lets a setup step hold the network back", () => {
    const unit = (name: string) => readFileSync(join(repo, "systemd", name), "utf8");
    const agent = unit("handcarry-agent.service");
    // RestartSteps' counter only resets on a manual start: after six crashes every later
    // one would wait the maximum.
    expect(agent).not.toMatch(/^RestartSteps=/m);
    expect(agent).toMatch(/^RestartSec=10s$/m);
    expect(agent).toMatch(/^StartLimitIntervalSec=0$/m);
    for (const name of ["handcarry-setup.service", "handcarry-wifi-interfaces.service"]) {
      expect(unit(name), name).toMatch(/^TimeoutStartSec=60s$/m);
    }
    expect(unit("handcarry-setup.service")).toMatch(
      /^ExecStopPost=.*\$\$SERVICE_RESULT" != success.*handcarry-setup --fail-safe/m,
    );
  });

  it("documents every firmware setting with a comment right above it", () => {
    for (const file of ["firmware/config.txt", "firmware/cmdline.txt"]) {
      const lines = readFileSync(join(repo, file), "utf8").split("\n");
      const undocumented = lines.filter((line, i) => {
        // Blank lines, comments and section filters ([all], [pi5]) need no comment of their own.
        if (line.trim() === "" || line.startsWith("#") || /^\[\w+\]$/.test(line)) return false;
        const above = lines[i - 1] ?? "";
        return !above.startsWith("#") && !/^\S+=/.test(above);
      });
      expect(undocumented, file).toEqual([]);
    }
  });
});

// What `handcarry agent` leaves on disk, as a real process started with a permissive umask
// (022): every file and directory it makes is its user's alone, saved Wi-Fi passwords and
// tokens are not in the database in clear, the generated admin password file goes away once
// someone has logged in with it, and a token given on the command line is warned about.
import { lstat, readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminLogin, postForm } from "../hotspot/helpers.js";
import { runCliAsync } from "../support/cli.js";
import { type ManagedProcess, repoRoot, startProcess } from "../support/procs.js";
import { tempDir, until } from "./helpers.js";

let dir: Awaited<ReturnType<typeof tempDir>>;
const running: ManagedProcess[] = [];
beforeAll(async () => {
  dir = await tempDir("hc-files-");
});
afterAll(async () => {
  for (const p of running) await p.stop();
  await dir?.remove();
});

/** Environment without the developer's HANDCARRY_* settings. */
const cleanEnv = () => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("HANDCARRY_"))),
  HANDCARRY_CONFIG: "",
});

async function startAgentProcess(data: string): Promise<{ proc: ManagedProcess; url: string }> {
  const proc = startProcess(
    "sh",
    [
      "-c",
      'umask 022; exec "$0" "$@"',
      process.execPath,
      "--import",
      "tsx",
      join(repoRoot, "src", "cli.ts"),
      "agent",
      "--data",
      data,
      "--port",
      "0",
      "--host",
      "127.0.0.1",
    ],
    { env: cleanEnv(), name: "handcarry agent" },
  );
  running.push(proc);
  const { match } = await proc.waitForLine(/"url":"(http:\/\/127\.0\.0\.1:\d+)".*agent serving/, {
    timeoutMs: 60_000,
  });
  return { proc, url: match[1]! };
}

/** Every path below `root` with its permission bits ("d" for directories). */
async function modes(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(root, { recursive: true })) {
    const s = await lstat(join(root, name));
    out.push(`${s.isDirectory() ? "d" : "f"}${(s.mode & 0o777).toString(8)} ${name}`);
  }
  return out;
}

async function allBytes(root: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const name of await readdir(root, { recursive: true })) {
    const path = join(root, name);
    if ((await lstat(path)).isFile()) parts.push(await readFile(path));
  }
  return Buffer.concat(parts);
}

describe("the agent's files", () => {
  it("are 0700/0600 under umask 022; secrets are sealed; the password file goes after login", async () => {
    const data = join(dir.path, "agent");
    const first = await startAgentProcess(data);
    expect((await stat(data)).mode & 0o777).toBe(0o700);
    const listed = await modes(data);
    expect(listed).toContain("f600 admin-password.txt");
    expect(listed).toContain("f600 secret.key");
    expect(listed.some((l) => l.startsWith("d700 agent-db"))).toBe(true);
    expect(listed.filter((l) => !/^(d700|f600) /.test(l))).toEqual([]);

    const password = (await readFile(join(data, "admin-password.txt"), "utf8")).trim();
    const { cookie, csrf } = await adminLogin(first.url, password);
    await until(
      async () => !(await modes(data)).includes("f600 admin-password.txt"),
      "the password file to go",
    );
    const net = await fetch(
      `${first.url}/admin/networks`,
      postForm({ csrf, ssid: "Field office", password: "wifi-secret-8731" }, cookie),
    );
    expect(net.status).toBe(302);
    const master = await fetch(
      `${first.url}/admin/master`,
      postForm({ csrf, masterUrl: "https://master.example.org", token: "token-secret-5519" }, cookie),
    );
    expect(master.status).toBe(302);
    expect((await first.proc.stop(20_000)).code).toBe(0);

    const bytes = await allBytes(data);
    expect(bytes.includes("Field office")).toBe(true); // the record is there…
    expect(bytes.includes("wifi-secret-8731")).toBe(false); // …its password is not
    expect(bytes.includes("token-secret-5519")).toBe(false);
    expect((await modes(data)).filter((l) => !/^(d700|f600) /.test(l))).toEqual([]);

    // A restart opens the sealed values again.
    const second = await startAgentProcess(data);
    const again = await adminLogin(second.url, password);
    const page = await (await fetch(`${second.url}/admin`, { headers: { cookie: again.cookie } })).text();
    expect(page).toContain("Field office (password saved)");
    expect(page).toContain("one is saved for this master");
    await second.proc.stop(20_000);
  });

  it("warns on stderr when a token is given on the command line", async () => {
    const r = await runCliAsync(
      ["sync", "--data", join(dir.path, "sync"), "--master", "http://127.0.0.1:9", "--token", "abc"],
      { env: cleanEnv() },
    );
    expect(r.stderr).toContain(
      "handcarry: warning: --token on the command line is visible to other users (ps) and kept in shell history; set HANDCARRY_TOKEN instead",
    );
  });
});

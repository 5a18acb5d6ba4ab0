// Admin password, sessions and the login throttle, on a real LevelDB.
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminAuth, LoginThrottle } from "../../src/hotspot/auth.js";
import { Store } from "../../src/store/index.js";
import { tempDir } from "../agent/helpers.js";

let dir: Awaited<ReturnType<typeof tempDir>>;
let store: Store;
beforeAll(async () => {
  dir = await tempDir("hc-admin-");
  store = await Store.open(join(dir.path, "db"));
});
afterAll(async () => {
  await store.close();
  await dir.remove();
});

describe("AdminAuth", () => {
  it("generates a password on first start, writes it 0600, keeps only its hash, and reuses it", async () => {
    const table = store.table<{ salt: string; hash: string }>("admin");
    const first = await AdminAuth.create({ table, dataDir: dir.path });
    expect(first.generatedFile).toBe(join(dir.path, "admin-password.txt"));
    expect((await stat(first.generatedFile!)).mode & 0o777).toBe(0o600);
    const password = (await readFile(first.generatedFile!, "utf8")).trim();
    expect(password).toHaveLength(12);
    expect(await first.check(password)).toBe(true);
    expect(await first.check(`${password}x`)).toBe(false);
    expect(JSON.stringify(await table.get("password"))).not.toContain(password);

    const again = await AdminAuth.create({ table, dataDir: dir.path });
    expect(again.generatedFile).toBeNull();
    expect(await again.check(password)).toBe(true);
  });

  it("a configured password wins; sessions expire and cannot be forged or moved between processes", async () => {
    const auth = await AdminAuth.create({
      password: "configured secret",
      table: store.table("admin2"),
      dataDir: dir.path,
    });
    expect(await auth.check("configured secret")).toBe(true);
    expect(await auth.check("configured secre")).toBe(false);
    expect(await auth.check("")).toBe(false);
    const now = 1_800_000_000_000;
    const s = auth.issueSession(now);
    expect(auth.verifySession(s, now + 1000)).toBe(true);
    expect(auth.verifySession(s, now + 13 * 3600_000)).toBe(false); // 12 h sessions
    const [expiry, nonce, mac] = s.split(".");
    expect(auth.verifySession(`${Number(expiry) + 1e9}.${nonce}.${mac}`, now)).toBe(false);
    const other = await AdminAuth.create({
      password: "configured secret",
      table: store.table("admin3"),
      dataDir: dir.path,
    });
    expect(other.verifySession(s, now)).toBe(false); // a restart ends sessions
    expect(auth.checkCsrf(s, auth.csrfFor(s))).toBe(true);
    expect(auth.checkCsrf(s, auth.csrfFor(auth.issueSession(now)))).toBe(false);
    expect(auth.checkCsrf(s, undefined)).toBe(false);
  });
});

describe("LoginThrottle", () => {
  it("locks a client out after maxFailures within the window, and only that client", () => {
    const t = new LoginThrottle(3, 60_000, 30_000);
    t.failed("a", 0);
    t.failed("a", 1000);
    expect(t.retryAfterMs("a", 1000)).toBe(0);
    t.failed("a", 2000);
    expect(t.retryAfterMs("a", 2000)).toBe(30_000);
    expect(t.retryAfterMs("b", 2000)).toBe(0);
    expect(t.retryAfterMs("a", 32_000)).toBe(0);
    // Failures spread wider than the window never lock.
    t.failed("c", 0);
    t.failed("c", 61_000);
    t.failed("c", 122_000);
    expect(t.retryAfterMs("c", 122_000)).toBe(0);
    // A success clears the count.
    t.failed("d", 0);
    t.failed("d", 1);
    t.succeeded("d");
    t.failed("d", 2);
    expect(t.retryAfterMs("d", 2)).toBe(0);
  });
});

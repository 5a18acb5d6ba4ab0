// The admin area against the real hotspot app on loopback: parallel password guesses are
// throttled before the slow hash runs, and logging out ends the session on the server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminAuth } from "../../src/hotspot/auth.js";
import { Store } from "../../src/store/index.js";
import { tempDir } from "../agent/helpers.js";
import { adminLogin, hotspotOnLoopback, postForm } from "./helpers.js";

let dir: Awaited<ReturnType<typeof tempDir>>;
let store: Store;
beforeAll(async () => {
  dir = await tempDir("hc-admin-http-");
  store = await Store.open(`${dir.path}/db`);
});
afterAll(async () => {
  await store?.close();
  await dir?.remove();
});

describe("login throttle", () => {
  it("100 parallel wrong guesses: only 10 reach the password check, the rest are 429", async () => {
    // A generated password: checked with scrypt, the slow path that parallel guesses raced.
    const auth = await AdminAuth.create({ table: store.table("throttle"), dataDir: dir.path });
    const check = auth.check.bind(auth);
    let checked = 0;
    auth.check = (password: string) => {
      checked++;
      return check(password);
    };
    // 100 connections at once from this one address: above the per-client cap of a real hotspot.
    const hotspot = await hotspotOnLoopback([], { auth }, { perClient: 200 });
    try {
      const statuses = await Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          const res = await fetch(`${hotspot.url}/admin/login`, postForm({ password: `guess ${i}` }));
          await res.body?.cancel();
          return res.status;
        }),
      );
      expect(checked).toBe(10);
      expect(statuses.filter((s) => s === 401)).toHaveLength(10);
      expect(statuses.filter((s) => s === 429)).toHaveLength(90);
    } finally {
      await hotspot.close();
    }
  });
});

describe("logout", () => {
  it("revokes the session: the old cookie no longer opens the admin page or posts a form", async () => {
    const hotspot = await hotspotOnLoopback([]);
    try {
      const { cookie, csrf } = await adminLogin(hotspot.url, "correct horse battery");
      const out = await fetch(`${hotspot.url}/admin/logout`, postForm({ csrf }, cookie));
      expect(out.status).toBe(302);
      // The browser forgets the cookie; a copy of it must be worth nothing now.
      const after = await (await fetch(`${hotspot.url}/admin`, { headers: { cookie } })).text();
      expect(after).toContain('type="password"');
      expect(after).not.toContain("Sync now");
      const replay = await fetch(`${hotspot.url}/admin/sync`, postForm({ csrf }, cookie));
      expect(replay.status).toBe(401);
    } finally {
      await hotspot.close();
    }
  });
});

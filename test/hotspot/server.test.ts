// The hotspot server over real HTTP on loopback, serving courses a real sync installed:
// page weight and self-containment, the Moodle viewer with real file names and types,
// Range downloads, the file browser's path safety, status JSON, and the admin area's auth.
import { createHash } from "node:crypto";
import { readFile, symlink } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningAgent, startAgent } from "../../src/agent/agent.js";
import { writeArchive } from "../../src/archive/index.js";
import type { Device } from "../../src/device/index.js";
import {
  agentConfig,
  FakeLink,
  simulatedDevice,
  smallAdditionPair,
  type TestMaster,
  tempDir,
  testMaster,
} from "../agent/helpers.js";
import { rawRequest } from "./helpers.js";

let dir: Awaited<ReturnType<typeof tempDir>>;
let master: TestMaster;
let agent: RunningAgent;
let device: Device;
let base: string;
const PASSWORD = "correct horse battery";

const TOOL_FILES: Record<string, string> = {
  "docs/readme.txt": "How to use the water filter.\n",
  "docs/Ärzte & Notes.txt": "Umlauts and an ampersand in the name.\n",
  "images/logo.png": "\x89PNG\r\n\x1a\nnot really a png",
};

beforeAll(async () => {
  dir = await tempDir("hc-server-");
  const { v1 } = await smallAdditionPair(dir.path);
  const tools = join(dir.path, "tools.tar.gz");
  const mtime = new Date("2024-01-01T00:00:00Z");
  await writeArchive(
    tools,
    "tar.gz",
    Object.entries(TOOL_FILES).map(([path, text]) => ({
      path,
      type: "file" as const,
      size: Buffer.byteLength(text, "latin1"),
      mode: 0o644,
      mtime,
    })),
    (e) => Readable.from([Buffer.from(TOOL_FILES[e.path]!, "latin1")]),
  );
  master = await testMaster(join(dir.path, "master"));
  await master.publish("health", v1, "Community health");
  await master.publish("tools", tools, "Water filter toolkit");
  const link = await FakeLink.create(join(dir.path, "link"));
  device = await simulatedDevice(link, dir.path);
  agent = await startAgent({
    config: agentConfig({ dataDir: join(dir.path, "agent"), masterUrl: master.url, adminPassword: PASSWORD }),
    device,
    manualConnectivity: true,
  });
  await agent.syncNow("test");
  expect(agent.machine.name).toBe("updated");
  base = agent.url;
});
afterAll(async () => {
  await agent?.close();
  device?.close();
  await master?.close();
  await dir.remove();
});

const get = (path: string, init: RequestInit = {}) => fetch(base + path, { redirect: "manual", ...init });

describe("hotspot page", () => {
  it("lists every course with title, size, date and download link, in ≤ 100 KB with no external assets or scripts", async () => {
    const res = await get("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    const body = await res.text();
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(100 * 1024);
    expect(body).toContain("Community health");
    expect(body).toContain("Water filter toolkit");
    expect(body).toContain('href="/c/health/download"');
    expect(body).toMatch(/\d+(\.\d)? (KB|MB) · version of [A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d\d [AP]M/);
    expect(body).not.toMatch(/<script/i);
    // Every src/href stays on this box.
    for (const m of body.matchAll(/(?:src|href)="([^"]*)"/g)) expect(m[1]).toMatch(/^\//);
  });

  it("answers phones' connectivity checks with a redirect to the course list (captive portal)", async () => {
    for (const probe of ["/generate_204", "/hotspot-detect.html", "/connecttest.txt"]) {
      const res = await get(probe, { headers: { host: "connectivitycheck.gstatic.com" } });
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toBe("/");
    }
  });

  it("answers 404 for an unknown course", async () => {
    expect((await get("/c/nope")).status).toBe(404);
    expect((await get("/c/nope/download")).status).toBe(404);
  });
});

describe("Moodle course viewer", () => {
  it("lists sections and activities, and serves resources with their real names and types", async () => {
    const page = await (await get("/c/health")).text();
    for (const t of ["General", "Topic 1", "Topic 2", "Topic 3", "Topic 1: pictures", "Field guide"])
      expect(page).toContain(t);
    const pictures = /href="(\/c\/health\/a\/\w+)"><span class="tag">[^<]+<\/span>Topic 1: pictures/.exec(
      page,
    )?.[1];
    expect(pictures).toBeDefined();
    const activity = await (await get(pictures!)).text();
    expect(activity).toMatch(/<p>[A-Z]\w+ /); // the page's own HTML is rendered
    // The files a resource holds are served by the reader's key, under their real names and types.
    const handbookPage = /href="(\/c\/health\/a\/\w+)"><span class="tag">[^<]+<\/span>Topic 1: handbook/.exec(
      page,
    )![1]!;
    const pdfLink = /href="(\/c\/health\/file\/[^"]+\/(handbook-\d+\.pdf))"/.exec(
      await (await get(handbookPage)).text(),
    )!;
    const res = await get(pdfLink[1]!);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toContain(`inline; filename="${pdfLink[2]}"`);
    const bytes = Buffer.from(await res.arrayBuffer());
    // Moodle names a file by the sha1 of its bytes: the served bytes must be that file.
    const course = (await agent.library.get("health"))!;
    const filesXml = await readFile(join(course.treePath, "files.xml"), "utf8");
    expect(filesXml).toContain(
      `<contenthash>${createHash("sha1").update(bytes).digest("hex")}</contenthash>`,
    );
    expect(filesXml).toContain(`<filename>${pdfLink[2]}</filename>`);

    // A PDF handbook opens inline as a PDF; ?download saves it instead.
    const pdfUrl = pdfLink[1]!;
    const pdf = await get(pdfUrl);
    expect(pdf.headers.get("content-type")).toBe("application/pdf");
    expect(
      Buffer.from(await pdf.arrayBuffer())
        .subarray(0, 5)
        .toString(),
    ).toBe("%PDF-");
    expect((await get(`${pdfUrl}?download=1`)).headers.get("content-disposition")).toMatch(/^attachment/);
  });
});

describe("downloads", () => {
  it("serves the archive with Range, resumes from an offset, and refuses a stale If-Range", async () => {
    const course = (await agent.library.get("health"))!;
    const archive = await readFile(course.archivePath);
    const full = await get("/c/health/download");
    expect(full.status).toBe(200);
    expect(full.headers.get("accept-ranges")).toBe("bytes");
    expect(full.headers.get("content-disposition")).toMatch(
      /^attachment; filename="health-\d{4}-\d\d-\d\d\.mbz"/,
    );
    const etag = full.headers.get("etag")!;
    expect(Buffer.from(await full.arrayBuffer()).equals(archive)).toBe(true);

    const from = Math.floor(archive.length / 3);
    const part = await get("/c/health/download", { headers: { range: `bytes=${from}-`, "if-range": etag } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes ${from}-${archive.length - 1}/${archive.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(archive.subarray(from))).toBe(true);

    const stale = await get("/c/health/download", { headers: { range: "bytes=0-9", "if-range": '"stale"' } });
    expect(stale.status).toBe(200);
    await stale.body?.cancel();
    expect(
      (await get("/c/health/download", { headers: { range: `bytes=${archive.length + 10}-` } })).status,
    ).toBe(416);
  });
});

const rawGet = async (path: string) => (await rawRequest(base, path)).status;

describe("file browser", () => {
  it("browses a non-Moodle archive and serves files with safe types", async () => {
    const redirect = await get("/c/tools");
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get("location")).toBe("/c/tools/browse/");
    const root = await (await get("/c/tools/browse/")).text();
    expect(root).toContain('href="/c/tools/browse/docs/"');
    expect(root).toContain('href="/c/tools/browse/images/"');
    const docs = await (await get("/c/tools/browse/docs/")).text();
    expect(docs).toContain("Ärzte &amp; Notes.txt");
    const named = await get(`/c/tools/browse/docs/${encodeURIComponent("Ärzte & Notes.txt")}`);
    expect(named.status).toBe(200);
    expect(named.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await named.text()).toBe(TOOL_FILES["docs/Ärzte & Notes.txt"]);
    expect((await get("/c/tools/browse/docs")).status).toBe(302);
  });

  it("never leaves the course tree: dot-dot, encoded dot-dot, and symlinks out are refused", async () => {
    for (const path of [
      "/c/tools/browse/../../../../etc/passwd",
      "/c/tools/browse/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
      "/c/tools/browse/docs/..%2F..%2F..%2Fetc%2Fpasswd",
      "/c/tools/browse/docs%00/readme.txt",
    ]) {
      expect([400, 404]).toContain(await rawGet(path));
    }
    const course = (await agent.library.get("tools"))!;
    await symlink("/etc", join(course.treePath, "docs", "escape"));
    expect(await rawGet("/c/tools/browse/docs/escape/passwd")).toBe(404);
    expect(await rawGet("/c/tools/browse/docs/readme.txt")).toBe(200);
  });
});

describe("status", () => {
  it("GET /api/status has a top-level state and the documented fields", async () => {
    const res = await get("/api/status");
    expect(res.headers.get("content-type")).toContain("application/json");
    const s = (await res.json()) as Record<string, unknown> & {
      courses: { id: string; contentHash: string }[];
    };
    expect(s.state).toBe(agent.machine.name);
    for (const key of [
      "lastSync",
      "nextSyncAt",
      "bytesSaved",
      "disk",
      "cpuTemperatureC",
      "throttle",
      "hotspotClients",
      "online",
    ])
      expect(s).toHaveProperty(key);
    expect(s.courses.map((c) => c.id).sort()).toEqual(["health", "tools"]);
    expect(s.courses[0]!.contentHash).toMatch(/^hc1:/);
    expect((s.disk as { availableBytes: number }).availableBytes).toBeGreaterThan(0);
    const page = await (await get("/status")).text();
    expect(page).toContain(agent.machine.name);
  });
});

describe("admin", () => {
  const form = (fields: Record<string, string>) => ({
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });

  it("refuses a bad password with 401 and lets the right one in", async () => {
    const login = await get("/admin");
    expect(await login.text()).toContain('type="password"');
    const bad = await get("/admin/login", form({ password: "wrong password" }));
    expect(bad.status).toBe(401);
    expect(bad.headers.get("set-cookie")).toBeNull();
    expect((await get("/admin/login", form({ password: "" }))).status).toBe(401);
    // A forged cookie is not a session.
    const forged = await get("/admin", { headers: { cookie: "hc_admin=99999999999999.abc.def" } });
    expect(await forged.text()).toContain('type="password"');

    const ok = await get("/admin/login", form({ password: PASSWORD }));
    expect(ok.status).toBe(302);
    const cookie = ok.headers.get("set-cookie")!.split(";")[0]!;
    expect(ok.headers.get("set-cookie")).toMatch(/httponly/i);
    const panel = await (await get("/admin", { headers: { cookie } })).text();
    expect(panel).toContain("Sync now");
    const csrf = /name="csrf" value="([^"]+)"/.exec(panel)![1]!;

    // Actions need the session AND the form token.
    expect((await get("/admin/sync", form({}))).status).toBe(401);
    expect(
      (await get("/admin/sync", { ...form({ csrf: "nope" }), headers: { ...form({}).headers, cookie } }))
        .status,
    ).toBe(403);

    const withCookie = (fields: Record<string, string>) => ({
      ...form(fields),
      headers: { ...form(fields).headers, cookie },
    });
    const before = agent.machine.state.lastSync!.at;
    const sync = await get("/admin/sync", withCookie({ csrf }));
    expect(sync.status).toBe(302);
    await agent.idle();
    expect(agent.machine.state.lastSync!.at > before).toBe(true);

    expect((await get("/admin/master", withCookie({ csrf, masterUrl: "ftp://x" }))).status).toBe(400);
    const moved = await get("/admin/master", withCookie({ csrf, masterUrl: `${master.url}/` }));
    expect(moved.status).toBe(302);
    const asAdmin = (await (await get("/api/status", { headers: { cookie } })).json()) as {
      masterUrl: string;
    };
    expect(asAdmin.masterUrl).toBe(master.url);
    expect(
      (await get("/admin/networks", withCookie({ csrf, ssid: "Field office", password: "secret-pass" })))
        .status,
    ).toBe(302);
    const after = await (await get("/admin", { headers: { cookie } })).text();
    expect(after).toContain("Field office (password saved)");
    expect(after).not.toContain("secret-pass");
    expect((await get("/admin/networks/delete", withCookie({ csrf, ssid: "Field office" }))).status).toBe(
      302,
    );
    expect(await (await get("/admin", { headers: { cookie } })).text()).not.toContain("Field office");
  });

  it("HTTP Basic for scripts: 401 with a challenge, 202 with the password", async () => {
    const basic = (p: string) => ({
      method: "POST",
      headers: { authorization: `Basic ${Buffer.from(`admin:${p}`).toString("base64")}` },
    });
    const bad = await get("/api/admin/sync", basic("nope"));
    expect(bad.status).toBe(401);
    expect(bad.headers.get("www-authenticate")).toContain("Basic");
    expect((await get("/api/admin/sync", { method: "POST" })).status).toBe(401);
    const ok = await get("/api/admin/sync", basic(PASSWORD));
    expect(ok.status).toBe(202);
    await agent.idle();
  });

  // Last: it locks this client out.
  it("locks a client out after 10 wrong passwords, even for the right one", async () => {
    for (let i = 0; i < 10; i++)
      expect((await get("/admin/login", form({ password: `guess ${i}` }))).status).toBe(401);
    const locked = await get("/admin/login", form({ password: PASSWORD }));
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    const basic = await get("/api/admin/sync", {
      method: "POST",
      headers: { authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString("base64")}` },
    });
    expect(basic.status).toBe(429);
  });
});

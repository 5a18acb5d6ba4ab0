// Shared pieces for the agent tests: a fake /proc + /sys tree the real probes read (so link
// changes go through the same code as on the Pi), a real master on loopback with
// generated courses, and simulated devices.
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { AdminAuth } from "../../src/agent/admin.js";
import {
  type AgentConfig,
  type AgentConfigInput,
  type KnownNetwork,
  parseAgentConfig,
} from "../../src/agent/config.js";
import {
  type AgentControl,
  type AgentStatus,
  createHotspotApp,
  type HotspotAppOptions,
  listen,
  type RunningServer,
  type ServedCourse,
} from "../../src/agent/server.js";
import { generateCourse, scenarios, writeCourse } from "../../src/demo/sample-course.js";
import { createDevice, type Device } from "../../src/device/index.js";
import type { ConnectionLimits } from "../../src/http/limits.js";
import { publishCourse, type RunningMaster, startMaster } from "../../src/master/server.js";
import { Store } from "../../src/store/index.js";

export async function tempDir(prefix = "hc-agent-"): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

const ROUTE_HEADER = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";

/** A fake /proc/net/route and /sys/class/net/<iface>/carrier, as the kernel shows them. */
export class FakeLink {
  readonly proc: string;
  readonly sys: string;

  constructor(readonly root: string) {
    this.proc = join(root, "proc");
    this.sys = join(root, "sys");
  }

  static async create(root: string): Promise<FakeLink> {
    const link = new FakeLink(root);
    await mkdir(join(link.proc, "net"), { recursive: true });
    await mkdir(join(link.sys, "class/net"), { recursive: true });
    await link.down();
    return link;
  }

  /** A default route via `iface` (gateway 192.0.2.1) with carrier. */
  async up(iface = "eth0", carrier = true): Promise<void> {
    await mkdir(join(this.sys, "class/net", iface), { recursive: true });
    await writeFile(join(this.sys, "class/net", iface, "carrier"), carrier ? "1\n" : "0\n");
    await writeFile(
      join(this.proc, "net/route"),
      `${ROUTE_HEADER}${iface}\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n` +
        `${iface}\t000200C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n`,
    );
  }

  /** No default route (only the hotspot's own subnet). */
  async down(): Promise<void> {
    await writeFile(
      join(this.proc, "net/route"),
      `${ROUTE_HEADER}wlan0\t00320A0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n`,
    );
  }

  async carrier(iface: string, on: boolean): Promise<void> {
    await mkdir(join(this.sys, "class/net", iface), { recursive: true });
    await writeFile(join(this.sys, "class/net", iface, "carrier"), on ? "1\n" : "0\n");
  }
}

export async function simulatedDevice(
  link: FakeLink,
  dataPath: string,
  extra: Parameters<typeof createDevice>[0] = {},
): Promise<Device> {
  return createDevice({
    mode: "simulated",
    button: { longPressMs: 1000 },
    ...extra,
    probes: {
      roots: { proc: link.proc, sys: link.sys, nmLeases: join(link.root, "no-leases") },
      dataPath,
      snapshotTtlMs: 0,
    },
  });
}

export interface TestMaster {
  master: RunningMaster;
  url: string;
  publish(course: string, file: string, title?: string): Promise<string>;
  close(): Promise<void>;
}

export async function testMaster(dataDir: string): Promise<TestMaster> {
  const publishToken = randomBytes(8).toString("hex");
  const master = await startMaster({ dataDir, host: "127.0.0.1", port: 0, publishToken });
  return {
    master,
    url: master.url,
    async publish(course, file, title) {
      return (await publishCourse({ masterUrl: master.url, token: publishToken, course, file, title }))
        .contentHash;
    },
    close: () => master.close(),
  };
}

/** The fixture's "small addition" pair (one URL module added) as zip .mbz files. */
export async function smallAdditionPair(dir: string, scale = 0.05): Promise<{ v1: string; v2: string }> {
  const s = scenarios({ scale }).find((x) => x.name === "small-addition")!;
  const v1 = join(dir, "v1.mbz");
  const v2 = join(dir, "v2.mbz");
  await writeCourse(generateCourse(s.old!), "zip", v1);
  await writeCourse(generateCourse(s.new), "zip", v2);
  return { v1, v2 };
}

export function agentConfig(
  input: Partial<AgentConfigInput> & Pick<AgentConfigInput, "dataDir" | "masterUrl">,
): AgentConfig {
  return parseAgentConfig({
    host: "127.0.0.1",
    port: 0,
    adminPassword: "correct horse battery",
    connectivity: { pollMs: 60_000 },
    ...input,
  });
}

/** Poll until `check` is true (no wall-clock assertions: only a generous give-up). */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = 20_000,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A course tree made on disk file by file (symlinks too), served as one installed course. */
export async function courseTree(
  root: string,
  id: string,
  files: Record<string, string | { symlink: string }>,
): Promise<ServedCourse> {
  const treePath = join(root, id, "tree");
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(treePath, path)), { recursive: true });
    if (typeof content === "string") await writeFile(join(treePath, path), content);
    else await symlink(content.symlink, join(treePath, path));
  }
  const archivePath = join(root, id, "archive");
  await writeFile(archivePath, `archive of ${id}\n`);
  return {
    id,
    title: `Course ${id}`,
    contentHash: `hc1:${id}`,
    format: "zip",
    archivePath,
    treePath,
    size: 0,
    publishedAt: "2024-01-01T00:00:00.000Z",
    installedAt: "2024-01-02T00:00:00.000Z",
  };
}

/** What the admin area's control does in these tests: records calls, holds settings in memory. */
export function stubControl(status: Partial<AgentStatus> = {}): AgentControl & { synced: string[] } {
  let master = "";
  const nets: KnownNetwork[] = [];
  const synced: string[] = [];
  return {
    synced,
    status: async () => ({
      state: "serving",
      stateSince: "2024-01-01T00:00:00.000Z",
      bytesSaved: 0,
      online: false,
      masterUrl: master,
      courses: [],
      disk: null,
      cpuTemperatureC: null,
      throttle: null,
      hotspotClients: null,
      ...status,
    }),
    syncNow: (reason) => void synced.push(reason),
    masterUrl: () => master,
    hasToken: () => false,
    setMasterUrl: async (url) => {
      master = url;
    },
    networks: async () => nets,
    addNetwork: async (n) => void nets.push(n),
    removeNetwork: async (ssid) => void nets.splice(nets.findIndex((n) => n.ssid === ssid) >>> 0, 1),
  };
}

/** The real hotspot app on loopback over the given courses (no agent, no sync). */
export async function hotspotOnLoopback(
  courses: ServedCourse[],
  o: Partial<HotspotAppOptions> = {},
  limits: Partial<ConnectionLimits> = {},
): Promise<RunningServer & { auth: AdminAuth }> {
  const db = await tempDir("hc-hotspot-db-");
  const store = await Store.open(db.path);
  const auth =
    o.auth ??
    (await AdminAuth.create({
      password: "correct horse battery",
      table: store.table("admin"),
      dataDir: db.path,
    }));
  const byId = new Map(courses.map((c) => [c.id, c]));
  const app = createHotspotApp({
    courses: { list: async () => courses, get: async (id) => byId.get(id) },
    control: stubControl(),
    auth,
    ...o,
  });
  const running = await listen(app, "127.0.0.1", 0, limits);
  return {
    ...running,
    auth,
    close: async () => {
      await running.close();
      await store.close();
      await db.remove();
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request whose path reaches the server exactly as written (fetch would normalize ".." and %2e). */
export function rawRequest(
  base: string,
  path: string,
  headers: Record<string, string> = {},
  method = "GET",
  localAddress?: string,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const u = new URL(base);
    const req = request({ host: u.hostname, port: u.port, path, method, headers, localAddress }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

/** A form post as the admin page sends it (no redirects followed). */
export function postForm(fields: Record<string, string>, cookie?: string): RequestInit {
  return {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", ...(cookie && { cookie }) },
    body: new URLSearchParams(fields).toString(),
  };
}

/** Log in to the admin page: the session cookie and the forms' CSRF token. */
export async function adminLogin(base: string, password: string): Promise<{ cookie: string; csrf: string }> {
  const login = await fetch(`${base}/admin/login`, postForm({ password }));
  if (login.status !== 302) throw new Error(`login answered ${login.status}`);
  const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
  const panel = await (await fetch(`${base}/admin`, { headers: { cookie } })).text();
  return { cookie, csrf: /name="csrf" value="([^"]+)"/.exec(panel)![1]! };
}

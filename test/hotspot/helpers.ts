// Shared pieces for the hotspot tests: course trees made on disk (symlinks included), the
// real hotspot app on loopback over them with a stand-in for the agent, raw HTTP requests
// that keep the path as written, and the admin's login.
import { mkdir, stat, symlink, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { dirname, join } from "node:path";
import type { BrowserContext } from "playwright-core";
import type { KnownNetwork } from "../../src/agent/config.js";
import { extractArchive } from "../../src/archive/index.js";
import {
  type AgentControl,
  type AgentStatus,
  createHotspotApp,
  type HotspotAppOptions,
  listenHotspot,
  type RunningHotspot,
  type ServedCourse,
} from "../../src/hotspot/app.js";
import { AdminAuth } from "../../src/hotspot/auth.js";
import type { ConnectionLimits } from "../../src/http/limits.js";
import { Store } from "../../src/store/index.js";
import { tempDir } from "../agent/helpers.js";
import { MOODLE51_DIR } from "../support/corpus.js";

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

/** The real Moodle 5.1 backup `archive` extracted under `root`, served as the course "ch". */
export function extractedCourse(root: string, archive: string): Promise<ServedCourse> {
  const course = { id: "ch", title: "Community health", version: "v1", format: "tar.gz" } as const;
  return installedArchive(archive, join(root, "tree"), course);
}

/** A real course archive extracted as the agent installs it, served as `id` (version `hc1:<version>`). */
export async function installedArchive(
  archive: string,
  treePath: string,
  course: { id: string; title: string; version: string; format: ServedCourse["format"] },
): Promise<ServedCourse> {
  await extractArchive(archive, treePath);
  return {
    id: course.id,
    title: course.title,
    contentHash: `hc1:${course.version}`,
    format: course.format,
    archivePath: archive,
    treePath,
    size: (await stat(archive)).size,
    publishedAt: "2026-12-01T14:44:52.000Z",
    installedAt: "2026-12-01T15:00:00.000Z",
  };
}

/** What the admin area's control does in these tests: records calls, holds settings in memory. */
export function stubControl(status: Partial<AgentStatus> = {}): AgentControl & { synced: string[] } {
  let master = "";
  let locale = "en";
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
    defaultLocale: () => locale,
    setDefaultLocale: async (l) => {
      locale = l;
    },
    removeNetwork: async (ssid) => void nets.splice(nets.findIndex((n) => n.ssid === ssid) >>> 0, 1),
  };
}

/** The real hotspot app on loopback over the given courses (no agent, no sync). */
export async function hotspotOnLoopback(
  courses: ServedCourse[],
  o: Partial<HotspotAppOptions> = {},
  limits: Partial<ConnectionLimits> = {},
): Promise<RunningHotspot & { auth: AdminAuth }> {
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
  const apps = createHotspotApp({
    courses: {
      list: async () => courses,
      get: async (id) => byId.get(id),
      archive: async (c) => c.archivePath,
    },
    control: stubControl(),
    auth,
    store,
    ...o,
  });
  const running = await listenHotspot(apps, "127.0.0.1", { main: 0, content: 0 }, limits);
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

/** A phone gives the learner's name on /me, as a learner does, once per browser context. */
export async function giveName(phone: BrowserContext, base: string, name: string): Promise<void> {
  const tab = await phone.newPage();
  await tab.goto(`${base}/me`);
  await tab.getByLabel("Your name").fill(name);
  await Promise.all([tab.waitForURL(`${base}/`), tab.getByRole("button", { name: "Save" }).click()]);
  await tab.close();
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

/**
 * The 5.1 "Community health" v1 backup installed on a hotspot on loopback, with a learner
 * (Budi, class 9A) who gave their name: its store, server, the learner's cookie.
 */
export async function communityHealthOnLoopback(
  prefix: string,
  options: (store: Store) => Promise<Partial<HotspotAppOptions>> | Partial<HotspotAppOptions> = () => ({}),
) {
  const archivePath = join(MOODLE51_DIR, "community-health@v1.mbz");
  const dir = await tempDir(prefix);
  const treePath = join(dir.path, "tree");
  await extractArchive(archivePath, treePath);
  const store = await Store.open(join(dir.path, "db"));
  const course: ServedCourse = {
    id: "ch",
    title: "Community health",
    contentHash: "hc1:v1",
    format: "tar.gz",
    archivePath,
    treePath,
    size: 0,
    publishedAt: "2026-12-01T14:44:52.000Z",
    installedAt: "2026-12-01T15:00:00.000Z",
  };
  const server = await hotspotOnLoopback([course], { store, ...(await options(store)) });
  const me = await fetch(`${server.url}/me`, postForm({ name: "Budi", classCode: "9A" }));
  if (me.status !== 303) throw new Error(`giving a name answered ${me.status}`);
  const cookie = me.headers.get("set-cookie")!.split(";")[0]!;
  return {
    store,
    server,
    cookie,
    async close() {
      await server.close();
      await store.close();
      await dir.remove();
    },
  };
}

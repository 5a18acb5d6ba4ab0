// The hotspot web server (Koa): course list, Moodle course viewer, file browser, downloads
// with HTTP Range (send), status page and /api/status, and the password-protected admin
// area. Phones on the hotspot have no internet: every page is self-contained.
import { readdir, realpath, stat } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, sep } from "node:path";
import Router from "@koa/router";
import Koa, { type Context } from "koa";
import send from "send";
import { type AdminAuth, LoginThrottle } from "./admin.js";
import type { KnownNetwork } from "./config.js";
import { courseArchive } from "./library.js";
import {
  isMoodleBackup,
  MoodleBackupError,
  type MoodleCourse,
  type MoodleFile,
  moodleFilePath,
  readActivity,
  readMoodleCourse,
} from "./moodle.js";
import {
  activityPage,
  adminPage,
  browserPage,
  type CourseCard,
  courseViewerPage,
  fileUrl,
  formatDate,
  homePage,
  loginPage,
  type StatusView,
  seg,
  statusPage,
} from "./pages.js";

/** What the server needs to know about an installed course (a subset of library.ts's InstalledCourse). */
export interface ServedCourse {
  id: string;
  title: string;
  contentHash: string;
  format: "zip" | "tar" | "tar.gz";
  archivePath: string;
  treePath: string;
  size: number;
  publishedAt: string;
  installedAt: string;
}

export interface CourseSource {
  list(): Promise<ServedCourse[]>;
  get(id: string): Promise<ServedCourse | undefined>;
}

/** The status document of GET /api/status; `state` is the agent's state name. */
export type AgentStatus = StatusView & Record<string, unknown>;

/** What the admin area and the status pages ask of the running agent. */
export interface AgentControl {
  status(): Promise<AgentStatus>;
  syncNow(reason: string): void;
  masterUrl(): string;
  setMasterUrl(url: string): Promise<void>;
  networks(): Promise<KnownNetwork[]>;
  addNetwork(network: KnownNetwork): Promise<void>;
  removeNetwork(ssid: string): Promise<void>;
}

export interface HotspotAppOptions {
  courses: CourseSource;
  control: AgentControl;
  auth: AdminAuth;
  /** Limits password guessing; default 10 failures per client per 10 min → locked 1 min. */
  throttle?: LoginThrottle;
  /** Called for unexpected server errors (logging). */
  onError?: (err: Error) => void;
}

/** HTML pages never run scripts: course HTML from backups is shown inline under this policy. */
const PAGE_CSP =
  "default-src 'none'; img-src 'self' data:; media-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Types a browser shows itself without running the file's own code. */
const INLINE_TYPES =
  /^(application\/pdf|image\/(jpeg|png|gif|webp|bmp)|audio\/[\w.+-]+|video\/[\w.+-]+|text\/plain)$/;
const MIME = /^[\w.+-]+\/[\w.+-]+$/;
const EXT_TYPES: Record<string, string> = {
  ".pdf": "application/pdf",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".png": "image/png",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".mp3": "audio/mpeg",
  ".ogg": "audio/ogg",
  ".wav": "audio/wav",
  ".mp4": "video/mp4",
  ".webm": "video/webm",
  ".txt": "text/plain",
  ".xml": "text/plain",
  ".html": "text/plain",
  ".htm": "text/plain",
  ".json": "text/plain",
  ".csv": "text/plain",
};

/** Connectivity-check URLs of Android, iOS/macOS, Windows and Firefox. */
const CAPTIVE_PROBES = [
  "/generate_204",
  "/gen_204",
  "/hotspot-detect.html",
  "/library/test/success.html",
  "/connecttest.txt",
  "/ncsi.txt",
  "/canonical.html",
  "/success.txt",
];

const SESSION_COOKIE = "hc_admin";
const FORM_LIMIT = 16 * 1024;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function html(ctx: Context, body: string, status = 200): void {
  ctx.status = status;
  ctx.type = "text/html; charset=utf-8";
  ctx.set("Content-Security-Policy", PAGE_CSP);
  ctx.set("X-Content-Type-Options", "nosniff");
  ctx.set("Cache-Control", "no-cache");
  ctx.body = body;
}

/** Content-Disposition with a UTF-8 file name (RFC 6266) and a plain ASCII fallback. */
export function disposition(kind: "inline" | "attachment", filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\%;]/g, "_");
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

/**
 * Stream a file with Range, If-Range and conditional GET (send). Koa steps aside
 * (ctx.respond = false) so send owns the response; errors become plain 404/416/500.
 */
function sendFile(ctx: Context, path: string, headers: Record<string, string>, maxAgeSec = 0): Promise<void> {
  ctx.respond = false;
  const res = ctx.res;
  // Koa starts every response as 404; send only sets the status for 206/304/416 and errors.
  res.statusCode = 200;
  return new Promise<void>((resolve) => {
    const stream = send(ctx.req, path, { dotfiles: "allow", index: false, maxAge: maxAgeSec * 1000 });
    stream.on("headers", (r) => {
      for (const [k, v] of Object.entries(headers)) r.setHeader(k, v);
    });
    stream.on("error", (err: Error & { status?: number }) => {
      const status = err.status ?? 500;
      if (!res.headersSent) {
        for (const k of res.getHeaderNames()) res.removeHeader(k);
        res.statusCode = status;
        res.setHeader("Content-Type", "text/plain; charset=utf-8");
        res.end(status === 404 ? "Not found\n" : `Error ${status}\n`);
      } else {
        res.destroy();
      }
      resolve();
    });
    stream.on("end", () => resolve());
    res.on("close", () => resolve());
    stream.pipe(res);
  });
}

function courseKindCache() {
  const cache = new Map<string, Promise<MoodleCourse | null>>();
  return (course: ServedCourse): Promise<MoodleCourse | null> => {
    const key = `${course.id}\0${course.contentHash}\0${course.treePath}`;
    let hit = cache.get(key);
    if (!hit) {
      hit = (async () => {
        if (!(await isMoodleBackup(course.treePath))) return null;
        try {
          return await readMoodleCourse(course.treePath);
        } catch (err) {
          if (!(err instanceof MoodleBackupError)) throw err;
          // A broken backup is still downloadable: say so instead of a bare 500.
          throw new HttpError(
            422,
            `This course backup cannot be shown (${err.message}). Use Download instead.`,
          );
        }
      })();
      hit.catch(() => cache.delete(key));
      if (cache.size >= 32) cache.delete(cache.keys().next().value as string);
      cache.set(key, hit);
    }
    return hit;
  };
}

/** Read a small urlencoded form body (admin forms). */
async function readForm(ctx: Context): Promise<URLSearchParams> {
  const type = ctx.get("content-type");
  if (!type.startsWith("application/x-www-form-urlencoded")) throw new HttpError(415, "expected a form");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > FORM_LIMIT) throw new HttpError(413, "form too large");
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/** Decoded, checked path segments of a browse URL; null if any is unsafe. */
export function browseSegments(rest: string): string[] | null {
  const raw = rest.split("/").filter((s) => s !== "");
  const out: string[] = [];
  for (const r of raw) {
    let s: string;
    try {
      s = decodeURIComponent(r);
    } catch {
      return null;
    }
    if (s === "." || s === ".." || s.includes("/") || s.includes("\\") || s.includes("\0")) return null;
    out.push(s);
  }
  return out;
}

export function createHotspotApp(o: HotspotAppOptions): Koa {
  const app = new Koa();
  const router = new Router();
  const moodleOf = courseKindCache();
  const throttle = o.throttle ?? new LoginThrottle();

  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const e = err as Error & { status?: number };
      const status = e instanceof HttpError ? e.status : (e.status ?? 500);
      if (status >= 500) o.onError?.(e);
      if (ctx.respond === false) return;
      ctx.status = status;
      if (ctx.path.startsWith("/api/")) ctx.body = { error: status >= 500 ? "internal error" : e.message };
      else html(ctx, layoutError(status, status >= 500 ? "Something went wrong." : e.message), status);
    }
  });

  const courseOr404 = async (id: string): Promise<ServedCourse> => {
    const c = await o.courses.get(id);
    if (!c) throw new HttpError(404, "No such course.");
    return c;
  };

  router.get("/", async (ctx) => {
    const courses = await o.courses.list();
    const cards: CourseCard[] = [];
    for (const c of courses) {
      const kind = (await isMoodleBackup(c.treePath)) ? "moodle" : "archive";
      cards.push({
        id: c.id,
        title: c.title,
        size: c.size,
        publishedAt: c.publishedAt,
        format: c.format,
        kind,
      });
    }
    const s = await o.control.status();
    html(ctx, homePage(cards, stateLine(s)));
  });

  router.get("/c/:id", async (ctx) => {
    const course = await courseOr404(ctx.params.id!);
    const moodle = await moodleOf(course);
    if (!moodle) {
      ctx.redirect(`/c/${seg(course.id)}/browse/`);
      return;
    }
    html(ctx, courseViewerPage(course.id, course.title, moodle));
  });

  router.get("/c/:id/download", async (ctx) => {
    const course = await courseOr404(ctx.params.id!);
    // Moodle restores .mbz files (zip or tar.gz inside); other archives keep their format's extension.
    const ext = (await isMoodleBackup(course.treePath)) ? "mbz" : course.format;
    const date = course.publishedAt.slice(0, 10);
    await sendFile(ctx, await courseArchive(course), {
      "Content-Type":
        course.format === "zip"
          ? "application/zip"
          : course.format === "tar"
            ? "application/x-tar"
            : "application/gzip",
      "Content-Disposition": disposition("attachment", `${course.id}-${date}.${ext}`),
      "X-Content-Type-Options": "nosniff",
    });
  });

  const activityOf = async (ctx: Context) => {
    const course = await courseOr404(ctx.params.id!);
    const moodle = await moodleOf(course);
    if (!moodle) throw new HttpError(404, "This course has no activities.");
    const activity = moodle.sections.flatMap((s) => s.activities).find((a) => a.moduleId === ctx.params.mid);
    if (!activity) throw new HttpError(404, "No such activity.");
    return { course, moodle, content: await readActivity(course.treePath, moodle, activity) };
  };

  router.get("/c/:id/m/:mid", async (ctx) => {
    const { course, content } = await activityOf(ctx);
    // Moodle writes links to the activity's own files as @@PLUGINFILE@@/name.
    const base = `/c/${seg(course.id)}/m/${seg(content.activity.moduleId)}/pluginfile/`;
    const fix = (h: string) => h.split("@@PLUGINFILE@@/").join(base);
    html(
      ctx,
      activityPage(course.id, course.title, content, fix(content.contentHtml), fix(content.introHtml)),
    );
  });

  router.get("/c/:id/m/:mid/pluginfile/:name", async (ctx) => {
    const { course, content } = await activityOf(ctx);
    const file = content.files.find((f) => f.filename === ctx.params.name);
    if (!file) throw new HttpError(404, "No such file.");
    ctx.redirect(fileUrl(course.id, file));
  });

  router.get("/c/:id/f/:fid/:name", async (ctx) => {
    const course = await courseOr404(ctx.params.id!);
    const moodle = await moodleOf(course);
    const file: MoodleFile | undefined = moodle?.files.get(ctx.params.fid!);
    if (!file) throw new HttpError(404, "No such file.");
    const type = MIME.test(file.mimetype) ? file.mimetype : "application/octet-stream";
    const inline = INLINE_TYPES.test(type) && ctx.query.download === undefined;
    await sendFile(
      ctx,
      join(course.treePath, moodleFilePath(file)),
      {
        "Content-Type": type,
        "Content-Disposition": disposition(inline ? "inline" : "attachment", file.filename),
        "X-Content-Type-Options": "nosniff",
      },
      3600,
    );
  });

  router.get(/^\/c\/([^/]+)\/browse(\/.*)?$/, async (ctx) => {
    const id = decodeURIComponent(ctx.captures?.[0] ?? (ctx.params as Record<string, string>)["0"] ?? "");
    const rest = ctx.path.slice(`/c/${ctx.path.split("/")[2]}/browse`.length);
    const course = await courseOr404(id);
    const parts = browseSegments(rest);
    if (!parts) throw new HttpError(400, "Bad path.");
    const root = await realpath(course.treePath);
    const target = join(root, ...parts);
    let real: string;
    try {
      real = await realpath(target);
    } catch {
      throw new HttpError(404, "Not found.");
    }
    // A symlink inside the tree must not lead out of it.
    if (real !== root && !real.startsWith(root + sep)) throw new HttpError(404, "Not found.");
    const s = await stat(real);
    if (s.isDirectory()) {
      if (!ctx.path.endsWith("/")) {
        ctx.redirect(`${ctx.path}/`);
        return;
      }
      const dirents = await readdir(real, { withFileTypes: true });
      const entries: { name: string; dir: boolean; size: number }[] = [];
      for (const d of dirents) {
        if (!d.isFile() && !d.isDirectory()) continue;
        const size = d.isFile() ? ((await stat(join(real, d.name)).catch(() => null))?.size ?? 0) : 0;
        entries.push({ name: d.name, dir: d.isDirectory(), size });
      }
      entries.sort((a, b) => Number(b.dir) - Number(a.dir) || a.name.localeCompare(b.name));
      html(ctx, browserPage(course.id, course.title, parts.join("/"), entries));
      return;
    }
    const name = parts[parts.length - 1] ?? "file";
    const type = EXT_TYPES[extname(name).toLowerCase()] ?? "application/octet-stream";
    const inline = INLINE_TYPES.test(type) && ctx.query.download === undefined;
    await sendFile(ctx, real, {
      "Content-Type": type === "text/plain" ? "text/plain; charset=utf-8" : type,
      "Content-Disposition": disposition(inline ? "inline" : "attachment", name),
      "X-Content-Type-Options": "nosniff",
    });
  });

  router.get("/api/status", async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    ctx.body = await o.control.status();
  });

  router.get("/status", async (ctx) => {
    html(ctx, statusPage(await o.control.status()));
  });

  // ---------------------------------------------------------------- admin

  const session = (ctx: Context): string | null => {
    const value = ctx.cookies.get(SESSION_COOKIE);
    return value && o.auth.verifySession(value) ? value : null;
  };
  /** A logged-in admin posting a form with the right CSRF token; else 401/403. */
  const adminForm = async (ctx: Context): Promise<URLSearchParams> => {
    const s = session(ctx);
    if (!s) throw new HttpError(401, "Log in first.");
    const form = await readForm(ctx);
    if (!o.auth.checkCsrf(s, form.get("csrf")))
      throw new HttpError(403, "Stale form: reload the admin page.");
    return form;
  };
  const adminView = async (ctx: Context, s: string, message?: string) => {
    const networks = await o.control.networks();
    const status = await o.control.status();
    html(
      ctx,
      adminPage({
        csrf: o.auth.csrfFor(s),
        masterUrl: o.control.masterUrl(),
        networks: networks.map((n) => ({ ssid: n.ssid, secured: n.password !== undefined })),
        state: status.state,
        message,
      }),
    );
  };

  router.get("/admin", async (ctx) => {
    const s = session(ctx);
    if (!s) return html(ctx, loginPage());
    await adminView(ctx, s, typeof ctx.query.done === "string" ? ctx.query.done : undefined);
  });

  /** Check a password under the per-client throttle; sets 429 and returns null when locked out. */
  const checkPassword = async (ctx: Context, password: string): Promise<boolean | null> => {
    const client = ctx.request.ip || "unknown";
    const wait = throttle.retryAfterMs(client);
    if (wait > 0) {
      ctx.set("Retry-After", String(Math.ceil(wait / 1000)));
      return null;
    }
    const ok = await o.auth.check(password);
    if (ok) throttle.succeeded(client);
    else throttle.failed(client);
    return ok;
  };

  router.post("/admin/login", async (ctx) => {
    const form = await readForm(ctx);
    const ok = await checkPassword(ctx, form.get("password") ?? "");
    if (ok === null) return html(ctx, loginPage("Too many wrong passwords. Wait a minute."), 429);
    if (!ok) return html(ctx, loginPage("Wrong password."), 401);
    const s = o.auth.issueSession();
    ctx.cookies.set(SESSION_COOKIE, s, { httpOnly: true, sameSite: "strict", path: "/", overwrite: true });
    ctx.redirect("/admin");
  });

  router.post("/admin/logout", async (ctx) => {
    await adminForm(ctx);
    ctx.cookies.set(SESSION_COOKIE, "", { httpOnly: true, sameSite: "strict", path: "/", maxAge: 0 });
    ctx.redirect("/admin");
  });

  router.post("/admin/sync", async (ctx) => {
    await adminForm(ctx);
    o.control.syncNow("admin");
    ctx.redirect("/admin?done=Sync+started");
  });

  router.post("/admin/master", async (ctx) => {
    const form = await adminForm(ctx);
    const url = (form.get("masterUrl") ?? "").trim();
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new HttpError(400, "Master URL: not a URL.");
    }
    if (!/^https?:$/.test(parsed.protocol))
      throw new HttpError(400, "Master URL: must start with http:// or https://.");
    await o.control.setMasterUrl(url.replace(/\/+$/, ""));
    ctx.redirect("/admin?done=Master+saved");
  });

  router.post("/admin/networks", async (ctx) => {
    const form = await adminForm(ctx);
    const ssid = form.get("ssid") ?? "";
    const password = form.get("password") || undefined;
    if (ssid.length < 1 || Buffer.byteLength(ssid) > 32)
      throw new HttpError(400, "Network name: 1 to 32 bytes.");
    if (password !== undefined && (password.length < 8 || password.length > 63))
      throw new HttpError(400, "Password: 8 to 63 characters.");
    await o.control.addNetwork({ ssid, password });
    ctx.redirect("/admin?done=Network+saved");
  });

  router.post("/admin/networks/delete", async (ctx) => {
    const form = await adminForm(ctx);
    await o.control.removeNetwork(form.get("ssid") ?? "");
    ctx.redirect("/admin?done=Network+removed");
  });

  /** Scripted admin (curl): HTTP Basic, any user name. */
  router.post("/api/admin/sync", async (ctx) => {
    const header = ctx.get("authorization");
    const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header);
    const decoded = m ? Buffer.from(m[1]!, "base64").toString("utf8") : "";
    const password = decoded.includes(":") ? decoded.slice(decoded.indexOf(":") + 1) : "";
    const ok = m ? await checkPassword(ctx, password) : false;
    if (ok === null) {
      ctx.status = 429;
      ctx.body = { error: "too many wrong passwords; retry later" };
      return;
    }
    if (!ok) {
      ctx.set("WWW-Authenticate", 'Basic realm="handcarry admin", charset="UTF-8"');
      ctx.status = 401;
      ctx.body = { error: "admin password required" };
      return;
    }
    o.control.syncNow("api");
    ctx.status = 202;
    ctx.body = { ok: true, state: (await o.control.status()).state };
  });

  // Phones probe these on joining a Wi-Fi network. When the hotspot's DNS answers every
  // name with the Pi, a redirect here makes Android, iOS and Windows pop up the course list
  // ("sign in to network") instead of just saying "no internet".
  router.get(CAPTIVE_PROBES, (ctx) => {
    ctx.set("Cache-Control", "no-store");
    ctx.redirect("/");
  });

  app.use(router.routes());
  app.use(router.allowedMethods());
  app.use(async (ctx) => {
    if (ctx.status === 404 && ctx.body === undefined && ctx.respond !== false)
      html(ctx, layoutError(404, "Not found."), 404);
  });
  return app;
}

function layoutError(status: number, message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${status}</title></head><body style="font-family:system-ui,sans-serif;padding:1rem"><h1>${status}</h1><p>${message.replace(/[<>&"]/g, "")}</p><p><a href="/">Back to the courses</a></p></body></html>`;
}

function stateLine(s: AgentStatus): string {
  const words: Record<string, string> = {
    serving: "Serving offline",
    "network-seen": "Network found",
    checking: "Checking for new courses",
    syncing: "Downloading new courses",
    verifying: "Checking downloaded courses",
    updated: "Courses updated",
    error: "Serving offline (last sync failed)",
  };
  const last = s.lastSync?.ok ? ` · last update ${formatDate(s.lastSync.at)}` : "";
  return `${words[s.state] ?? s.state}${last}`;
}

export interface RunningServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Listen; resolves with the URL once the port is bound. */
export function listen(app: Koa, host: string, port: number): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once("error", reject);
    server.once("listening", () => {
      server.off("error", reject);
      // Phones on a weak link keep connections open; do not let a slow one pin the process.
      server.keepAliveTimeout = 10_000;
      const addr = server.address() as AddressInfo;
      const shown =
        host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
      resolve({
        url: `http://${shown}:${addr.port}`,
        server,
        close: () =>
          new Promise<void>((res) => {
            server.close(() => res());
            server.closeAllConnections();
          }),
      });
    });
  });
}

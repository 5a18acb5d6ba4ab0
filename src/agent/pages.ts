// HTML for hotspot phones: mobile-first, one inline stylesheet, no scripts, no external
// assets, a few KB per page so a cheap Android phone on 2.4 GHz loads it at once.
// Everything interpolated goes through esc(); course HTML from backups is only placed
// inside pages served under a no-script Content-Security-Policy (see server.ts).
import type { ActivityContent, MoodleCourse, MoodleFile } from "./moodle.js";

export interface CourseCard {
  id: string;
  title: string;
  size: number;
  publishedAt: string;
  format: string;
  kind: "moodle" | "archive";
}

export function esc(value: unknown): string {
  return String(value)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** URL path segment. */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return "?";
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export function formatDate(iso: string | Date | null | undefined): string {
  if (!iso) return "—";
  const d = typeof iso === "string" ? new Date(iso) : iso;
  if (Number.isNaN(d.getTime())) return "—";
  return d.toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

const CSS = `*{box-sizing:border-box}body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f23;background:#f4f5f2}
header{background:#23603a;color:#fff;padding:.8rem 1rem}header a{color:#fff}header h1{margin:0;font-size:1.25rem}
header p{margin:.2rem 0 0;font-size:.85rem;opacity:.9}main{max-width:44rem;margin:0 auto;padding:.75rem}
.card{background:#fff;border-radius:.5rem;padding:.8rem 1rem;margin:0 0 .75rem;box-shadow:0 1px 2px #0002}
.card h2{margin:0 0 .25rem;font-size:1.1rem}.meta{color:#555;font-size:.85rem;margin:0 0 .6rem}
.btn{display:inline-block;padding:.55rem .9rem;margin:.15rem .3rem .15rem 0;border-radius:.4rem;background:#23603a;color:#fff;text-decoration:none;font-weight:600;border:0;font-size:1rem}
.btn.alt{background:#e7ece6;color:#1b1f23}ul.list{list-style:none;margin:0;padding:0}ul.list li{padding:.5rem 0;border-top:1px solid #eee}
ul.list li:first-child{border-top:0}.tag{font-size:.75rem;background:#e7ece6;border-radius:.3rem;padding:.05rem .35rem;margin-right:.35rem;color:#333}
a{color:#1a5632}img,video{max-width:100%;height:auto}audio{width:100%}.content{overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .4rem;border-top:1px solid #eee;font-size:.9rem;vertical-align:top}
.state{font-weight:700}.err{color:#a11}.ok{color:#23603a}input{font-size:1rem;padding:.45rem;width:100%;margin:.2rem 0 .5rem;border:1px solid #bbb;border-radius:.3rem}
footer{text-align:center;font-size:.8rem;color:#666;padding:1rem}`;

export function layout(
  title: string,
  body: string,
  options: { subtitle?: string; back?: string } = {},
): string {
  const parts = [
    options.back ? `<a href="${esc(options.back)}">← back</a>` : "",
    options.subtitle ? esc(options.subtitle) : "",
  ].filter(Boolean);
  const sub = parts.length ? `<p>${parts.join(" · ")}</p>` : "";
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><style>${CSS}</style></head><body><header><h1>${esc(title)}</h1>${sub}</header><main>${body}</main><footer><a href="/">Courses</a> · <a href="/status">Status</a> · <a href="/admin">Admin</a></footer></body></html>`;
}

export function homePage(courses: CourseCard[], stateLine: string): string {
  const cards = courses.length
    ? courses
        .map(
          (c) =>
            `<section class="card"><h2>${esc(c.title)}</h2><p class="meta">${formatBytes(c.size)} · version of ${esc(formatDate(c.publishedAt))} · ${esc(c.format)}</p>` +
            `<a class="btn" href="/c/${seg(c.id)}">${c.kind === "moodle" ? "Open course" : "Browse files"}</a>` +
            `<a class="btn alt" href="/c/${seg(c.id)}/download" download>Download</a></section>`,
        )
        .join("")
    : `<section class="card"><h2>No courses yet</h2><p class="meta">This box has not received any course. Take it to a network so it can sync.</p></section>`;
  return layout("Courses", cards, { subtitle: stateLine });
}

const MOD_LABEL: Record<string, string> = {
  page: "Page",
  resource: "File",
  url: "Link",
  quiz: "Quiz",
  forum: "Forum",
  label: "Note",
  folder: "Folder",
  book: "Book",
  assign: "Assignment",
};

export function courseViewerPage(courseId: string, title: string, course: MoodleCourse): string {
  const sections = course.sections
    .map((s) => {
      const items = s.activities
        .map(
          (a) =>
            `<li><span class="tag">${esc(MOD_LABEL[a.mod] ?? a.mod)}</span><a href="/c/${seg(courseId)}/m/${seg(a.moduleId)}">${esc(a.title)}</a></li>`,
        )
        .join("");
      return `<section class="card"><h2>${esc(s.title)}</h2>${items ? `<ul class="list">${items}</ul>` : `<p class="meta">Nothing in this section.</p>`}</section>`;
    })
    .join("");
  const download = `<section class="card"><p class="meta">Take the whole course with you, or restore it into a Moodle site.</p><a class="btn alt" href="/c/${seg(courseId)}/download" download>Download the course (.mbz)</a></section>`;
  return layout(title, sections + download, {
    subtitle: course.backupDate ? `Exported ${formatDate(course.backupDate)}` : undefined,
    back: "/",
  });
}

export function fileUrl(courseId: string, file: MoodleFile): string {
  return `/c/${seg(courseId)}/f/${seg(file.id)}/${seg(file.filename)}`;
}

function fileBlock(courseId: string, f: MoodleFile): string {
  const url = fileUrl(courseId, f);
  const link = `<a class="btn" href="${esc(url)}">Open ${esc(f.filename)}</a><a class="btn alt" href="${esc(url)}?download=1">Save</a>`;
  let preview = "";
  if (/^image\/(jpeg|png|gif|webp)$/.test(f.mimetype))
    preview = `<img src="${esc(url)}" alt="${esc(f.filename)}" loading="lazy">`;
  else if (f.mimetype.startsWith("video/"))
    preview = `<video controls preload="none" src="${esc(url)}"></video>`;
  else if (f.mimetype.startsWith("audio/"))
    preview = `<audio controls preload="none" src="${esc(url)}"></audio>`;
  return `<li><p class="meta"><span class="tag">${esc(f.mimetype)}</span>${esc(f.filename)} · ${formatBytes(f.size)}</p>${preview}${link}</li>`;
}

export function activityPage(
  courseId: string,
  courseTitle: string,
  a: ActivityContent,
  contentHtml: string,
  introHtml: string,
): string {
  const parts: string[] = [];
  if (introHtml) parts.push(`<section class="card content">${introHtml}</section>`);
  if (contentHtml) parts.push(`<section class="card content">${contentHtml}</section>`);
  if (a.externalUrl)
    parts.push(
      `<section class="card"><p>Link to <a href="${esc(a.externalUrl)}" rel="noreferrer">${esc(a.externalUrl)}</a></p><p class="meta">Needs an internet connection.</p></section>`,
    );
  if (a.files.length)
    parts.push(
      `<section class="card"><h2>Files</h2><ul class="list">${a.files.map((f) => fileBlock(courseId, f)).join("")}</ul></section>`,
    );
  if (parts.length === 0)
    parts.push(
      `<section class="card"><p class="meta">This activity has no content that can be shown offline.</p></section>`,
    );
  return layout(a.name, parts.join(""), { subtitle: courseTitle, back: `/c/${seg(courseId)}` });
}

export function browserPage(
  courseId: string,
  title: string,
  rel: string,
  entries: { name: string; dir: boolean; size: number }[],
): string {
  const base = `/c/${seg(courseId)}/browse/${rel ? `${rel.split("/").map(seg).join("/")}/` : ""}`;
  const up = rel ? `<li><a href="${esc(base)}..">..</a></li>` : "";
  const items = entries
    .map(
      (e) =>
        `<li>${e.dir ? "📁 " : ""}<a href="${esc(base + seg(e.name) + (e.dir ? "/" : ""))}">${esc(e.name)}</a>${e.dir ? "" : ` <span class="meta">${formatBytes(e.size)}</span>`}</li>`,
    )
    .join("");
  return layout(
    title,
    `<section class="card"><ul class="list">${up}${items || "<li>(empty)</li>"}</ul></section>`,
    {
      subtitle: `/${rel}`,
      back: "/",
    },
  );
}

export interface StatusView {
  state: string;
  stateSince: string;
  progress?: number;
  error?: string;
  retryAt?: string;
  lastSync?: { at: string; ok: boolean; updated: number; bytesDown: number; error?: string };
  nextSyncAt?: string;
  bytesSaved: number;
  online: boolean;
  /** Shown to the admin only. */
  masterUrl?: string;
  courses: { id: string; title: string; contentHash: string; publishedAt: string; installedAt: string }[];
  disk: { availableBytes: number; totalBytes: number } | null;
  cpuTemperatureC: number | null;
  throttle: {
    underVoltage: boolean;
    throttled: boolean;
    sinceBoot: { underVoltage: boolean; throttled: boolean };
  } | null;
  hotspotClients: number | null;
}

export function statusPage(s: StatusView): string {
  const row = (k: string, v: string) => `<tr><th>${esc(k)}</th><td>${v}</td></tr>`;
  const progress = s.progress !== undefined ? ` (${Math.round(s.progress * 100)} %)` : "";
  const flags = s.throttle
    ? [
        s.throttle.underVoltage ? `<span class="err">under-voltage now</span>` : "",
        s.throttle.throttled ? `<span class="err">throttled now</span>` : "",
        s.throttle.sinceBoot.underVoltage ? "under-voltage since boot" : "",
      ]
        .filter(Boolean)
        .join(", ") || `<span class="ok">power OK</span>`
    : "not a Pi (no firmware flags)";
  const rows = [
    row(
      "State",
      `<span class="state">${esc(s.state)}</span>${progress} since ${esc(formatDate(s.stateSince))}`,
    ),
    s.error ? row("Last error", `<span class="err">${esc(s.error)}</span>`) : "",
    s.retryAt ? row("Retry at", esc(formatDate(s.retryAt))) : "",
    row("Network", s.online ? `<span class="ok">online</span>` : "offline"),
    s.masterUrl !== undefined ? row("Master", esc(s.masterUrl)) : "",
    row(
      "Last sync",
      s.lastSync
        ? `${esc(formatDate(s.lastSync.at))} — ${s.lastSync.ok ? `${s.lastSync.updated} updated, ${formatBytes(s.lastSync.bytesDown)} down` : `<span class="err">failed</span>`}`
        : "never",
    ),
    row("Next sync", esc(formatDate(s.nextSyncAt))),
    row("Bytes saved by deltas", formatBytes(s.bytesSaved)),
    row(
      "Disk free",
      s.disk ? `${formatBytes(s.disk.availableBytes)} of ${formatBytes(s.disk.totalBytes)}` : "—",
    ),
    row("CPU temperature", s.cpuTemperatureC === null ? "—" : `${s.cpuTemperatureC.toFixed(1)} °C`),
    row("Power", flags),
    row("Hotspot clients", s.hotspotClients === null ? "unknown" : String(s.hotspotClients)),
  ].join("");
  const courses = s.courses
    .map(
      (c) =>
        `<tr><td>${esc(c.title)}</td><td>${esc(formatDate(c.publishedAt))}</td><td><code>${esc(c.contentHash.slice(0, 16))}</code></td></tr>`,
    )
    .join("");
  return layout(
    "Status",
    `<section class="card"><table>${rows}</table></section><section class="card"><h2>Courses</h2><table><tr><th>Course</th><th>Version</th><th>Content hash</th></tr>${courses}</table></section>`,
    { back: "/" },
  );
}

export function loginPage(message?: string): string {
  return layout(
    "Admin",
    `<section class="card">${message ? `<p class="err">${esc(message)}</p>` : ""}<form method="post" action="/admin/login"><label>Password<input type="password" name="password" autocomplete="current-password" required></label><button class="btn" type="submit">Log in</button></form></section>`,
    { back: "/" },
  );
}

export function adminPage(v: {
  csrf: string;
  masterUrl: string;
  hasToken: boolean;
  networks: { ssid: string; secured: boolean }[];
  state: string;
  message?: string;
}): string {
  const hidden = `<input type="hidden" name="csrf" value="${esc(v.csrf)}">`;
  const nets = v.networks
    .map(
      (n) =>
        `<li>${esc(n.ssid)} ${n.secured ? "(password saved)" : "(open)"}<form method="post" action="/admin/networks/delete" style="display:inline">${hidden}<input type="hidden" name="ssid" value="${esc(n.ssid)}"><button class="btn alt" type="submit">Remove</button></form></li>`,
    )
    .join("");
  return layout(
    "Admin",
    (v.message ? `<section class="card"><p class="ok">${esc(v.message)}</p></section>` : "") +
      `<section class="card"><h2>Sync</h2><p class="meta">State: ${esc(v.state)}</p><form method="post" action="/admin/sync">${hidden}<button class="btn" type="submit">Sync now</button></form></section>` +
      `<section class="card"><h2>Master</h2><form method="post" action="/admin/master">${hidden}<label>Master URL<input name="masterUrl" type="url" value="${esc(v.masterUrl)}" required></label><label>Read token (${v.hasToken ? "one is saved for this master; empty keeps it" : "none for this master"}; a new master needs its own)<input name="token" type="password" autocomplete="off"></label>${v.hasToken && v.masterUrl.startsWith("http:") ? `<p class="err">This master is http://: the token crosses the network in clear. Prefer https://.</p>` : ""}<button class="btn" type="submit">Save</button></form></section>` +
      `<section class="card"><h2>Known Wi-Fi networks</h2><ul class="list">${nets || "<li>none</li>"}</ul><form method="post" action="/admin/networks">${hidden}<label>Network name (SSID)<input name="ssid" required maxlength="32"></label><label>Password (empty for an open network)<input name="password" type="password" maxlength="63"></label><button class="btn" type="submit">Add</button></form></section>` +
      `<section class="card"><form method="post" action="/admin/logout">${hidden}<button class="btn alt" type="submit">Log out</button></form></section>`,
    { back: "/" },
  );
}

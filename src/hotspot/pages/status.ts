// The status page: what the agent is doing, its last sync, disk, power and the courses.
import { esc, formatBytes, formatDate, layout } from "./layout.js";

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

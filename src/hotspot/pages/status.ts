// The status page: what the agent is doing, its last sync, disk, power and the courses.
import { currentFrame } from "../frame.js";
import type { MessageKey } from "../i18n/index.js";
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
  /** Learners' statements on their way to the master (an agent with records only). */
  records?: {
    pending: number;
    sent: number;
    /** Refused by the master, kept apart on the Pi. */
    setAside: number;
    lastUpload: { at: string; ok: boolean; sent: number } | null;
    nearlyFull: boolean;
    full: boolean;
  };
}

function recordsRows(s: StatusView, row: (k: MessageKey, v: string) => string): string {
  const r = s.records;
  if (!r) return "";
  const { t } = currentFrame().t;
  const warning = r.full
    ? ` <span class="err">${esc(t("status.recordsFull"))}</span>`
    : r.nearlyFull
      ? ` <span class="err">${esc(t("status.recordsNearlyFull"))}</span>`
      : "";
  const refused =
    r.setAside > 0
      ? ` <span class="err">${esc(t("status.recordsSetAside", { count: r.setAside }))}</span>`
      : "";
  const last = r.lastUpload;
  return [
    row(
      "status.records",
      `${esc(t("status.recordsCounts", { pending: r.pending, sent: r.sent }))}${warning}${refused}`,
    ),
    row(
      "status.recordsLastUpload",
      !last
        ? esc(t("status.never"))
        : last.ok
          ? esc(t("status.recordsUploadDone", { date: formatDate(last.at), sent: last.sent }))
          : `${esc(formatDate(last.at))} — <span class="err">${esc(t("status.failed"))}</span>`,
    ),
  ].join("");
}

export function statusPage(s: StatusView): string {
  const { t } = currentFrame().t;
  const row = (k: MessageKey, v: string) => `<tr><th>${esc(t(k))}</th><td>${v}</td></tr>`;
  const progress = s.progress !== undefined ? ` (${esc(t("status.progress", { share: s.progress }))})` : "";
  const flags = s.throttle
    ? [
        s.throttle.underVoltage ? `<span class="err">${esc(t("status.underVoltageNow"))}</span>` : "",
        s.throttle.throttled ? `<span class="err">${esc(t("status.throttledNow"))}</span>` : "",
        s.throttle.sinceBoot.underVoltage ? esc(t("status.underVoltageSinceBoot")) : "",
      ]
        .filter(Boolean)
        .join(", ") || `<span class="ok">${esc(t("status.powerOk"))}</span>`
    : esc(t("status.notAPi"));
  const last = s.lastSync;
  const lastSync = !last
    ? esc(t("status.never"))
    : last.ok
      ? esc(
          t("status.lastSyncDone", {
            date: formatDate(last.at),
            updated: last.updated,
            bytes: formatBytes(last.bytesDown),
          }),
        )
      : `${esc(formatDate(last.at))} — <span class="err">${esc(t("status.failed"))}</span>`;
  const rows = [
    row(
      "status.state",
      `<span class="state">${esc(s.state)}</span>${progress} · ${esc(formatDate(s.stateSince))}`,
    ),
    s.error ? row("status.lastError", `<span class="err">${esc(s.error)}</span>`) : "",
    s.retryAt ? row("status.retryAt", esc(formatDate(s.retryAt))) : "",
    row(
      "status.network",
      s.online ? `<span class="ok">${esc(t("status.online"))}</span>` : esc(t("status.offline")),
    ),
    s.masterUrl !== undefined ? row("status.master", esc(s.masterUrl)) : "",
    row("status.lastSync", lastSync),
    row("status.nextSync", esc(formatDate(s.nextSyncAt))),
    row("status.bytesSaved", formatBytes(s.bytesSaved)),
    recordsRows(s, row),
    row(
      "status.diskFree",
      s.disk
        ? esc(
            t("status.freeOfTotal", {
              free: formatBytes(s.disk.availableBytes),
              total: formatBytes(s.disk.totalBytes),
            }),
          )
        : "—",
    ),
    row("status.cpuTemperature", s.cpuTemperatureC === null ? "—" : `${s.cpuTemperatureC.toFixed(1)} °C`),
    row("status.power", flags),
    row(
      "status.hotspotClients",
      s.hotspotClients === null ? esc(t("status.unknown")) : String(s.hotspotClients),
    ),
  ].join("");
  const courses = s.courses
    .map(
      (c) =>
        `<tr><td>${esc(c.title)}</td><td>${esc(formatDate(c.publishedAt))}</td><td><code>${esc(c.contentHash.slice(0, 16))}</code></td></tr>`,
    )
    .join("");
  return layout(
    t("status.title"),
    `<section class="card"><table>${rows}</table></section><section class="card"><h2>${esc(t("nav.courses"))}</h2><table><tr><th>${esc(t("status.course"))}</th><th>${esc(t("status.version"))}</th><th>${esc(t("status.contentHash"))}</th></tr>${courses}</table></section>`,
    { back: "/" },
  );
}

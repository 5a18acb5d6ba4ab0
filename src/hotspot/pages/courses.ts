// The course list, the hotspot's home page.
import { currentFrame } from "../frame.js";
import { esc, formatBytes, formatDate, layout, seg } from "./layout.js";
import type { StatusView } from "./status.js";

export interface CourseCard {
  id: string;
  title: string;
  size: number;
  publishedAt: string;
  format: string;
  kind: "moodle" | "archive";
}

export function homePage(courses: CourseCard[], stateLine: string): string {
  const { t } = currentFrame().t;
  const cards = courses.length
    ? courses
        .map(
          (c) =>
            `<section class="card"><h2>${esc(c.title)}</h2><p class="meta">${formatBytes(c.size)} · ${esc(t("home.versionOf", { date: formatDate(c.publishedAt) }))} · ${esc(c.format)}</p>` +
            `<a class="btn" href="/c/${seg(c.id)}">${esc(t(c.kind === "moodle" ? "home.openCourse" : "home.browseFiles"))}</a>` +
            `<a class="btn alt" href="/c/${seg(c.id)}/download" download>${esc(t("home.download"))}</a></section>`,
        )
        .join("")
    : `<section class="card"><h2>${esc(t("home.emptyTitle"))}</h2><p class="meta">${esc(t("home.emptyText"))}</p></section>`;
  return layout(t("home.title"), cards, { subtitle: stateLine });
}

const STATES = new Set(["serving", "network-seen", "checking", "syncing", "verifying", "updated", "error"]);

/** One line about the agent for the course list's header. */
export function stateLine(s: StatusView): string {
  const { t } = currentFrame().t;
  const state = STATES.has(s.state) ? t(`state.${s.state}` as Parameters<typeof t>[0]) : s.state;
  const last = s.lastSync?.ok ? ` · ${t("state.lastUpdate", { date: formatDate(s.lastSync.at) })}` : "";
  return `${state}${last}`;
}

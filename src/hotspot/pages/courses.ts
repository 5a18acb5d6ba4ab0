// The course list, the hotspot's home page.
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

/** One line about the agent for the course list's header. */
export function stateLine(s: StatusView): string {
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

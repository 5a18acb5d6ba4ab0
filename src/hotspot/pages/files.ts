// The file browser of a course that is not a Moodle backup.
import { currentFrame } from "../frame.js";
import { esc, formatBytes, layout, seg } from "./layout.js";

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
    `<section class="card"><ul class="list">${up}${items || `<li>${esc(currentFrame().t.t("browse.empty"))}</li>`}</ul></section>`,
    {
      subtitle: `/${rel}`,
      back: "/",
    },
  );
}

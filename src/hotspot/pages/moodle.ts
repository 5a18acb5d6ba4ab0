// A Moodle course on a phone: its sections and activities, one activity's text and files.
import type { ActivityContent, MoodleCourse, MoodleFile } from "../../agent/moodle.js";
import { esc, formatBytes, formatDate, layout, seg } from "./layout.js";

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

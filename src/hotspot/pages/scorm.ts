// The SCORM player page: an ordinary hotspot page (layout, the learner's language) holding the
// package in a sandboxed iframe, with the package's table of contents above it when it has more
// than one SCO. The iframe holds the launch's runner on the content origin (routers/packages.ts).
import type { ScormTocItem } from "../../readers/scorm/index.js";
import { currentFrame } from "../frame.js";
import { SANDBOX_FLAGS } from "../sandbox.js";
import { esc, layout, seg } from "./layout.js";

export interface ScormPageInput {
  courseId: string;
  courseTitle: string;
  activityId: string;
  name: string;
  introHtml: string;
  toc: ScormTocItem[];
  scoCount: number;
  currentScoId: string | null;
  /** The launch's runner on the content origin (an absolute URL), or null when nothing can be launched. */
  frameUrl: string | null;
}

export function scormPlayerUrl(courseId: string, activityId: string, scoId?: string): string {
  return `/c/${seg(courseId)}/scorm/${seg(activityId)}${scoId ? `/${seg(scoId)}` : ""}`;
}

function tocList(p: ScormPageInput, items: ScormTocItem[]): string {
  const li = items.map((i) => {
    const label = esc(i.title);
    const own =
      i.sco === null
        ? `<span>${label}</span>`
        : i.sco.id === p.currentScoId
          ? `<a aria-current="page" href="${esc(scormPlayerUrl(p.courseId, p.activityId, i.sco.id))}"><strong>${label}</strong></a>`
          : `<a href="${esc(scormPlayerUrl(p.courseId, p.activityId, i.sco.id))}">${label}</a>`;
    return `<li>${own}${i.children.length ? tocList(p, i.children) : ""}</li>`;
  });
  return `<ul class="list">${li.join("")}</ul>`;
}

export function scormPage(p: ScormPageInput): string {
  const t = currentFrame().t;
  const parts: string[] = [];
  if (p.introHtml.trim())
    parts.push(`<section class="card"><div class="content intro">${p.introHtml}</div></section>`);
  if (!currentFrame().learner)
    parts.push(
      `<section class="card"><p class="meta">${esc(t.t("scorm.giveName"))}</p><a class="btn alt" href="/me">${esc(t.t("learner.yourName"))}</a></section>`,
    );
  if (p.scoCount > 1)
    parts.push(
      `<nav class="card" aria-label="${esc(t.t("scorm.contents"))}"><h2>${esc(t.t("scorm.contents"))}</h2>${tocList(p, p.toc)}</nav>`,
    );
  parts.push(
    p.frameUrl
      ? `<iframe class="package" src="${esc(p.frameUrl)}" title="${esc(p.name)}" sandbox="${SANDBOX_FLAGS}" allow="fullscreen" style="display:block;width:100%;height:80vh;border:0;background:#fff;border-radius:.5rem"></iframe>`
      : `<section class="card"><p class="meta">${esc(t.t("activity.nothingOffline"))}</p></section>`,
  );
  return layout(p.name, parts.join(""), { subtitle: p.courseTitle, back: `/c/${seg(p.courseId)}` });
}

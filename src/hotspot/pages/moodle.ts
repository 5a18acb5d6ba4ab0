// A Moodle course on a phone: the course page (sections with their summaries, labels inline,
// links to activities by their stable ids) and the read-only activity pages, one renderer per
// type. Course HTML is the reader's (files already rewritten, TeX already MathML); it is shown
// only under the no-script policy (../respond.ts).
import type { ActivitySummary, Course, FileLink, Section } from "../../readers/index.js";
import {
  isGradedLessonPage,
  type LessonPage,
  lessonAnswerFor,
  lessonJump,
  lessonScore,
} from "../../readers/moodle/activities/lesson.js";
import type { ImscpItem, MoodleActivity } from "../../readers/moodle/model.js";
import { currentFrame } from "../frame.js";
import type { MessageKey } from "../i18n/index.js";
import { esc, formatBytes, layout, seg } from "./layout.js";
import { playerUrl } from "./players.js";

/** Query of an activity page: which chapter, letter, discussion or lesson page. */
export type ActivityQuery = Record<string, string | undefined>;

const t = (key: MessageKey, params?: Record<string, string | number>) => currentFrame().t.t(key, params);

function typeLabel(type: string): string {
  const key = `mod.${type === "h5pactivity" ? "h5p" : type}` as MessageKey;
  try {
    return t(key);
  } catch {
    return type;
  }
}

export function activityUrl(courseId: string, activityId: string, query = ""): string {
  return `/c/${seg(courseId)}/a/${seg(activityId)}${query}`;
}

const card = (inner: string, cls = "card") => `<section class="${cls}">${inner}</section>`;

/** "5 January", "5 Januari", "5 janvier": a week's day as format_weeks shows it (UTC, as Moodle reads it). */
function weekDay(seconds: number): string {
  const { locale } = currentFrame().t;
  // British order in English, as Moodle's own English strings: "5 January", not "January 5".
  return new Intl.DateTimeFormat(locale === "en" ? "en-GB" : locale, {
    day: "numeric",
    month: "long",
    timeZone: "UTC",
  }).format(new Date(seconds * 1000));
}

/** The teacher's name for a section, or Moodle's own name for it in the page's language. */
function sectionName(s: Section): string {
  const u = s.unnamed;
  if (!u) return s.name;
  switch (u.kind) {
    case "general":
      return t("course.generalSection");
    case "new-section":
      return t("course.newSection");
    case "week":
      return t("course.weekSection", { first: weekDay(u.firstDay), last: weekDay(u.lastDay) });
    case "topic":
      return t("course.topicSection", { number: u.number });
    default:
      return t("course.numberedSection", { number: u.number });
  }
}

function activityLink(courseId: string, a: ActivitySummary): string {
  return `<a href="${esc(playerUrl(courseId, a) ?? activityUrl(courseId, a.id))}"><span class="tag">${esc(typeLabel(a.type))}</span>${esc(a.name)}</a>`;
}

/** A section's summary and items; a subsection's own items are listed under its name. */
function sectionBody(courseId: string, s: Section, heading: "h2" | "h3"): string {
  const items = s.items
    .map((item) => {
      if (item.kind === "text") return `<li class="content label">${item.html}</li>`;
      const sub = item.subsection;
      if (!sub) return `<li>${activityLink(courseId, item.activity)}</li>`;
      return sub.visible ? `<li class="subsection">${sectionBody(courseId, sub, "h3")}</li>` : "";
    })
    .join("");
  const summary = s.summaryHtml.trim() ? `<div class="content summary">${s.summaryHtml}</div>` : "";
  const list = items
    ? `<ul class="list">${items}</ul>`
    : `<p class="meta">${esc(t("course.emptySection"))}</p>`;
  return `<${heading}>${esc(sectionName(s))}</${heading}>${summary}${list}`;
}

function sectionCard(courseId: string, s: Section): string {
  return card(sectionBody(courseId, s, "h2"));
}

/** Any reader's course page: its sections, then the whole course as a download (`.ext`, as it downloads). */
export function coursePage(courseId: string, title: string, course: Course, ext: string): string {
  const sections = course.sections
    .filter((s) => s.visible)
    .map((s) => sectionCard(courseId, s))
    .join("");
  const moodle = course.format === "moodle";
  const download = card(
    `<p class="meta">${esc(t(moodle ? "course.downloadHint" : "course.downloadPackageHint"))}</p><a class="btn alt" href="/c/${seg(courseId)}/download" download>${esc(t("course.downloadAs", { ext }))}</a>`,
  );
  return layout(title, sections + download, { back: "/" });
}

function fileItem(f: FileLink): string {
  let preview = "";
  if (/^image\/(jpeg|png|gif|webp)$/.test(f.mimetype))
    preview = `<img src="${esc(f.url)}" alt="${esc(f.filename)}" loading="lazy">`;
  else if (f.mimetype.startsWith("video/"))
    preview = `<video controls preload="none" src="${esc(f.url)}"></video>`;
  else if (f.mimetype.startsWith("audio/"))
    preview = `<audio controls preload="none" src="${esc(f.url)}"></audio>`;
  const where = f.filepath !== "/" ? `${esc(f.filepath)}` : "";
  return `<li><p class="meta"><span class="tag">${esc(f.mimetype)}</span>${where}${esc(f.filename)} · ${formatBytes(f.size)}</p>${preview}<a class="btn" href="${esc(f.url)}">${esc(t("activity.openFile", { name: f.filename }))}</a><a class="btn alt" href="${esc(f.url)}?download=1">${esc(t("activity.saveFile"))}</a></li>`;
}

export function filesCard(files: FileLink[]): string {
  return files.length
    ? card(`<h2>${esc(t("activity.files"))}</h2><ul class="list">${files.map(fileItem).join("")}</ul>`)
    : "";
}

function pager(prev: string | null, next: string | null): string {
  const a = (href: string | null, label: string, cls: string) =>
    href
      ? `<a class="btn ${cls}" rel="${cls === "alt" ? "prev" : "next"}" href="${esc(href)}">${esc(label)}</a>`
      : "<span></span>";
  return `<nav class="pager">${a(prev, `← ${t("learn.previous")}`, "alt")}${a(next, `${t("learn.next")} →`, "")}</nav>`;
}

/** A link off the hotspot: its address in full (to copy), marked as needing internet. */
export function externalLinkCard(url: string): string {
  return card(
    `<p>${esc(t("activity.linkTo"))} <a href="${esc(url)}" rel="noreferrer">${esc(url)}</a></p><p class="meta">${esc(t("activity.needsInternet"))}</p>`,
  );
}

type Render<T extends MoodleActivity["type"]> = (
  a: Extract<MoodleActivity, { type: T }>,
  q: ActivityQuery,
  url: (query?: string) => string,
) => string;

const book: Render<"book"> = (a, q, url) => {
  const chapters = a.chapters;
  const current = chapters.find((c) => c.id === q.chapter) ?? chapters[0];
  if (!current) return card(`<p class="meta">${esc(t("activity.nothingOffline"))}</p>`);
  const toc = chapters
    .map(
      (c) =>
        `<li${c.subchapter ? ' class="sub"' : ""}><a href="${esc(url(`?chapter=${seg(c.id)}`))}"${c.id === current.id ? ' aria-current="page"' : ""}>${c.subchapter ? "– " : ""}${esc(c.title)}</a></li>`,
    )
    .join("");
  const link = (id: string | null) => (id ? url(`?chapter=${seg(id)}`) : null);
  return (
    card(
      `<h2>${esc(current.title)}</h2><div class="content chapter">${current.html}</div>${pager(link(current.previousId), link(current.nextId))}`,
    ) + card(`<h2>${esc(t("learn.chapters"))}</h2><ul class="list">${toc}</ul>`)
  );
};

const glossary: Render<"glossary"> = (a, q, url) => {
  const letters = `<nav class="letters">${a.groups.map((g) => `<a href="${esc(url(`?letter=${seg(g.letter)}`))}">${esc(g.letter)}</a>`).join("")}<a href="${esc(url())}">${esc(t("learn.all"))}</a></nav>`;
  const group = a.groups.find((g) => g.letter === q.letter);
  const shown = group ? a.entries.filter((e) => group.entryIds.includes(e.id)) : a.entries;
  const entries = shown
    .map(
      (e) =>
        `<article class="entry" id="e${esc(e.id)}"><h3>${esc(e.concept)}</h3>${e.aliases.length ? `<p class="meta">${esc(e.aliases.join(", "))}</p>` : ""}<div class="content">${e.definitionHtml}</div>${e.attachments.length ? `<ul class="list">${e.attachments.map(fileItem).join("")}</ul>` : ""}</article>`,
    )
    .join("");
  return card(
    `<p class="meta">${esc(t("learn.glossaryEntries", { count: shown.length }))}</p>${letters}${entries}`,
  );
};

const forum: Render<"forum"> = (a, q, url) => {
  const d = a.discussions.find((x) => x.id === q.d);
  if (!d) {
    const list = a.discussions
      .map(
        (x) =>
          `<li><a href="${esc(url(`?d=${seg(x.id)}`))}">${esc(x.name)}<span class="meta">&nbsp;· ${esc(t("learn.replies", { count: Math.max(0, x.posts.length - 1) }))}</span></a></li>`,
      )
      .join("");
    return card(
      `<p class="meta">${esc(t("learn.discussions", { count: a.discussions.length }))}</p><ul class="list">${list}</ul>`,
    );
  }
  const f = currentFrame();
  const posts = d.posts
    .map(
      (p) =>
        `<article class="post${p.parentId ? " reply" : ""}"><h3>${esc(p.subject)}</h3><p class="meta">${esc(p.authorName)} · ${esc(f.t.dateTime(p.created))}</p><div class="content">${p.messageHtml}</div>${p.attachments.length ? `<ul class="list">${p.attachments.map(fileItem).join("")}</ul>` : ""}</article>`,
    )
    .join("");
  return card(
    `<h2>${esc(d.name)}</h2>${posts}<p><a class="btn alt" href="${esc(url())}">${esc(t("learn.forum"))}</a></p>`,
  );
};

/**
 * A lesson's answers so far ride along in its links (`r=58.1,59.0`: page id, then 1 when the
 * last answer there was right), so nothing is kept on the Pi. Only graded pages of this lesson
 * are read back; anything else in the query is ignored.
 */
function lessonOutcomes(pages: LessonPage[], raw: string | undefined): Map<string, boolean> {
  const graded = new Set(pages.filter(isGradedLessonPage).map((p) => p.id));
  const outcomes = new Map<string, boolean>();
  for (const item of (raw ?? "").split(",").slice(0, graded.size)) {
    const m = /^(\d+)\.([01])$/.exec(item);
    if (m && graded.has(m[1]!)) outcomes.set(m[1]!, m[2] === "1");
  }
  return outcomes;
}

const outcomesParam = (outcomes: Map<string, boolean>) =>
  [...outcomes].map(([id, right]) => `${id}.${right ? 1 : 0}`).join(",");

/** The end of a lesson: the score when it has graded pages. */
function lessonEnd(a: Extract<MoodleActivity, { type: "lesson" }>, outcomes: Map<string, boolean>): string {
  const score = lessonScore(a.pages, outcomes);
  let said = "";
  if (score.questions > 0 && score.answered === 0) said = `<p>${esc(t("lesson.noneAnswered"))}</p>`;
  else if (score.questions > 0)
    said =
      `<p id="lesson-score" class="state">${esc(t("lesson.score", { correct: score.correct, answered: score.answered }))}</p>` +
      `<p>${esc(t("lesson.grade", { share: score.correct / score.answered }))}</p>`;
  return `<p>${esc(t("lesson.end"))}</p>${said}`;
}

const lesson: Render<"lesson"> = (a, q, url) => {
  const outcomes = lessonOutcomes(a.pages, q.r);
  const page =
    q.page === "end"
      ? undefined
      : (a.pages.find((p) => p.id === q.page) ?? a.pages.find((p) => p.id === a.firstPageId));
  if (page && q.answer !== undefined && isGradedLessonPage(page))
    outcomes.set(page.id, lessonAnswerFor(page, q.answer)?.correct ?? false);
  const r = outcomesParam(outcomes);
  const pageUrl = (id: string | "end") => url(`?page=${id === "end" ? "end" : seg(id)}${r ? `&r=${r}` : ""}`);
  if (q.page === "end")
    return card(
      `${lessonEnd(a, outcomes)}<a class="btn" href="${esc(url())}">${esc(t("learn.contents"))}</a>`,
    );
  if (!page) return card(`<p class="meta">${esc(t("activity.nothingOffline"))}</p>`);
  const head = `<h2>${esc(page.title)}</h2><div class="content">${page.contentsHtml}</div>`;
  if (q.answer !== undefined) {
    const chosen = lessonAnswerFor(page, q.answer);
    const next = lessonJump(a.pages, page.id, chosen?.jumpto ?? -1);
    const said = chosen?.responseHtml.trim()
      ? `<div class="content outcome">${chosen.responseHtml}</div>`
      : "";
    return card(`${head}${said}<a class="btn" href="${esc(pageUrl(next))}">${esc(t("learn.continue"))}</a>`);
  }
  if (page.kind === "content" || page.answers.length === 0 || page.kind.startsWith("end")) {
    const buttons = page.answers.length
      ? page.answers
          .map(
            (x) =>
              `<a class="btn" href="${esc(pageUrl(lessonJump(a.pages, page.id, x.jumpto)))}">${x.html.replace(/<[^>]*>/g, "") || esc(t("learn.continue"))}</a>`,
          )
          .join("")
      : `<a class="btn" href="${esc(pageUrl(page.nextId ?? "end"))}">${esc(t("learn.continue"))}</a>`;
    return card(head + buttons);
  }
  const choices =
    page.kind === "truefalse" || page.kind === "multichoice"
      ? page.answers
          .map(
            (x) =>
              `<label class="opt"><input type="radio" name="answer" value="${esc(x.id)}" required>${x.html.replace(/<[^>]*>/g, "")}</label>`,
          )
          .join("")
      : `<label>${esc(t("quiz.answer"))}<input type="text" name="answer" required></label>`;
  const kept = r ? `<input type="hidden" name="r" value="${esc(r)}">` : "";
  return card(
    `${head}<form method="get" action="${esc(url())}"><input type="hidden" name="page" value="${esc(page.id)}">${kept}${choices}<button type="submit">${esc(t("learn.submit"))}</button></form>`,
  );
};

function imscpTree(items: ImscpItem[]): string {
  return `<ul class="list">${items.map((i) => `<li>${i.file ? `<a href="${esc(i.file.url)}">${esc(i.title)}</a>` : esc(i.title)}${i.children.length ? imscpTree(i.children) : ""}</li>`).join("")}</ul>`;
}

/** Read-only types; quiz, choice and feedback are forms (pages/answers.ts). */
const READ_ONLY: { [T in MoodleActivity["type"]]?: Render<T> } = {
  page: (a) => card(`<div class="content">${a.contentHtml}</div>`),
  label: (a) => card(`<div class="content">${a.html}</div>`),
  url: (a) => externalLinkCard(a.externalUrl),
  resource: (a) => filesCard(a.main ? [a.main, ...a.files.filter((f) => f.key !== a.main!.key)] : a.files),
  folder: (a) => filesCard(a.files),
  book,
  glossary,
  forum,
  lesson,
  assign: (a) => filesCard(a.attachments),
  imscp: (a) => (a.organization.length ? card(imscpTree(a.organization)) : filesCard(a.files)),
  h5pactivity: (a) => filesCard(a.package ? [a.package] : []),
  scorm: (a) => filesCard(a.package ? [a.package] : []),
};

export function hasReadOnlyPage(type: string): boolean {
  return type in READ_ONLY;
}

/** The page frame of an activity: name, course, description, then its own part. */
export function activityFrame(
  courseId: string,
  courseTitle: string,
  a: MoodleActivity,
  body: string,
): string {
  const intro = a.introHtml.trim() ? card(`<div class="content intro">${a.introHtml}</div>`) : "";
  const inner = intro + body || card(`<p class="meta">${esc(t("activity.nothingOffline"))}</p>`);
  return layout(a.name, inner, { subtitle: courseTitle, back: `/c/${seg(courseId)}` });
}

export function readOnlyActivityPage(
  courseId: string,
  courseTitle: string,
  a: MoodleActivity,
  q: ActivityQuery,
): string {
  const render = READ_ONLY[a.type] as Render<typeof a.type> | undefined;
  const url = (query = "") => activityUrl(courseId, a.id, query);
  // A subsection's page (a bookmark to it) lists what is in it, as the course page does.
  if (a.type === "subsection")
    return activityFrame(courseId, courseTitle, a, card(sectionBody(courseId, a.section, "h2")));
  return activityFrame(courseId, courseTitle, a, render ? render(a as never, q, url) : "");
}

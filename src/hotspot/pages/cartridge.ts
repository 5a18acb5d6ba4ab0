// An IMS package's activities on a phone (Common Cartridge, content package): web content inline,
// files, web links marked as needing internet, discussion topics read-only, the "other" kinds as
// their name. Package HTML is the reader's (links rewritten, TeX as MathML); it is shown only under
// the no-script policy (../respond.ts). Quizzes use the shared quiz pages (answers.ts).
import type { ImsActivity } from "../../readers/ims/model.js";
import { currentFrame } from "../frame.js";
import { esc, layout, seg } from "./layout.js";
import { externalLinkCard, filesCard } from "./moodle.js";

const t = (key: Parameters<ReturnType<typeof currentFrame>["t"]["t"]>[0]) => currentFrame().t.t(key);
const card = (inner: string) => `<section class="card">${inner}</section>`;
const nothing = () => card(`<p class="meta">${esc(t("activity.nothingOffline"))}</p>`);

/** The page frame: the activity's name, the course, and its part. */
export function packageFrame(courseId: string, courseTitle: string, a: ImsActivity, body: string): string {
  return layout(a.name, body || nothing(), { subtitle: courseTitle, back: `/c/${seg(courseId)}` });
}

/** Every kind but the quiz, which is a form. */
export function packageActivityBody(a: Exclude<ImsActivity, { type: "quiz" }>): string {
  switch (a.type) {
    case "page":
      return card(`<div class="content">${a.html}</div>`);
    case "resource":
      return filesCard(a.files);
    case "url":
      return a.externalUrl ? externalLinkCard(a.externalUrl) : nothing();
    case "forum":
      return (
        card(
          `<p class="meta">${esc(t("activity.discussionReadOnly"))}</p><div class="content">${a.html}</div>`,
        ) + filesCard(a.attachments)
      );
    case "other":
      return nothing();
  }
}

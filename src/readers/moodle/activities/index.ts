// One activity's content by type: each Moodle module type is one entry of the table below.
// Types not in the table still open, as their name and description ("other").
import type { ActivitySummary, FileLink } from "../../types.js";
import { type ActivityContext, rich } from "../context.js";
import type { MoodleActivity } from "../model.js";
import { list, path, text } from "../xml.js";
import { bookChapters } from "./book.js";
import { choiceForm } from "./choice.js";
import { feedbackForm } from "./feedback.js";
import { forumDiscussions } from "./forum.js";
import { glossaryEntries } from "./glossary.js";
import { imscpPackage } from "./imscp.js";
import { lessonPages } from "./lesson.js";
import { quizSlots } from "./quiz.js";

/** Paths the quiz engine needs, resolved by the course (checked inside the tree). */
export interface QuizPaths {
  directory: string;
  questionsXml: string | null;
}

type Content = (ctx: ActivityContext, quiz: () => Promise<QuizPaths>) => Promise<object> | object;

function area(ctx: ActivityContext, filearea: string, itemid?: string) {
  return ctx.files.links({
    contextid: ctx.contextid,
    component: `mod_${ctx.type}`,
    filearea,
    ...(itemid === undefined ? {} : { itemid }),
  });
}

/** The first file of an area, or the one Moodle marks as main (sortorder 1). */
function firstFile(links: FileLink[]): FileLink | null {
  return links[0] ?? null;
}

const CONTENT: Record<string, Content> = {
  page: (ctx) => ({
    contentHtml: rich(ctx, text(ctx.body.content), text(ctx.body.contentformat), "content"),
  }),
  label: (ctx) => ({ html: rich(ctx, text(ctx.body.intro), text(ctx.body.introformat), "intro") }),
  url: (ctx) => ({ externalUrl: text(ctx.body.externalurl) }),
  resource: (ctx) => {
    const files = area(ctx, "content");
    const main = ctx.files
      .inArea({ contextid: ctx.contextid, component: "mod_resource", filearea: "content" })
      .find((f) => f.sortorder === 1);
    return { files, main: main ? ctx.files.link(main) : firstFile(files) };
  },
  folder: (ctx) => ({ files: area(ctx, "content") }),
  book: (ctx) => ({ chapters: bookChapters(ctx) }),
  glossary: (ctx) => glossaryEntries(ctx),
  forum: async (ctx) => ({ discussions: forumDiscussions(ctx, await ctx.userNames()) }),
  lesson: (ctx) => lessonPages(ctx),
  assign: (ctx) => ({
    attachments: area(ctx, "introattachment"),
    submissionTypes: list(path(ctx.body, "plugin_configs").plugin_config)
      .filter(
        (c) => text(c.subtype) === "assignsubmission" && text(c.name) === "enabled" && text(c.value) === "1",
      )
      .map((c) => text(c.plugin)),
  }),
  imscp: (ctx) => imscpPackage(ctx),
  choice: (ctx) => ({ form: choiceForm(ctx) }),
  feedback: (ctx) => ({ form: feedbackForm(ctx) }),
  quiz: async (ctx, quiz) => ({ ...(await quiz()), slots: quizSlots(ctx) }),
  h5pactivity: (ctx) => ({ package: firstFile(area(ctx, "package")) }),
  scorm: (ctx) => ({ package: firstFile(area(ctx, "package")), version: text(ctx.body.version) }),
};

export function supportedType(type: string): boolean {
  return type in CONTENT;
}

export async function activityContent(
  summary: ActivitySummary,
  ctx: ActivityContext,
  quiz: () => Promise<QuizPaths>,
): Promise<MoodleActivity> {
  const introHtml = rich(ctx, text(ctx.body.intro), text(ctx.body.introformat), "intro");
  const make = CONTENT[summary.type];
  if (!make) return { ...summary, introHtml, type: "other", moodleType: summary.type };
  return { ...summary, introHtml, ...(await make(ctx, quiz)) } as MoodleActivity;
}

// What every activity parser gets: the activity's XML body, its file store and one `rich` helper
// that turns a Moodle text field into the HTML a page shows (text format applied, embedded files
// rewritten to references, TeX to MathML).
import { renderMaths } from "../maths.js";
import type { CourseTree } from "../tree.js";
import type { FileArea, MoodleFiles } from "./files.js";
import type { XmlNode } from "./xml.js";

export interface ActivityContext {
  tree: CourseTree;
  files: MoodleFiles;
  /** Stable id, e.g. "book_568". */
  id: string;
  type: string;
  /** Directory inside the tree, e.g. "activities/book_568". */
  directory: string;
  /** The activity's Moodle context id (owner of its files). */
  contextid: string;
  /** The <activity><TYPE> element of TYPE.xml. */
  body: XmlNode;
  /** Names of the course's users by id ("Firstname Lastname"), from users.xml when the backup has it. */
  userNames(): Promise<Map<string, string>>;
}

/** Moodle text formats (FORMAT_MOODLE, FORMAT_HTML, FORMAT_PLAIN, FORMAT_MARKDOWN). */
const FORMAT_HTML = "1";

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Text in any Moodle format as HTML. Plain and Markdown are shown as escaped text with line breaks. */
export function formatText(value: string, format: string): string {
  if (format === FORMAT_HTML || format === "") return value;
  // Moodle auto-format: like Moodle's text_to_html, space between tags goes first, then line breaks.
  if (format === "0") return value.replace(/>\s+</g, "><").replace(/\r?\n/g, "<br>\n");
  return escapeHtml(value).replace(/\r?\n/g, "<br>\n");
}

/** A text field as the HTML a learner sees. */
export function richText(files: MoodleFiles, value: string, format: string, area: FileArea): string {
  return renderMaths(files.rewrite(formatText(value, format), area));
}

/** The activity's own text field (its context), e.g. rich(ctx, body.intro, body.introformat, "intro"). */
export function rich(
  ctx: ActivityContext,
  value: string,
  format: string,
  filearea: string,
  itemid = "0",
  component = `mod_${ctx.type}`,
): string {
  return richText(ctx.files, value, format, { contextid: ctx.contextid, component, filearea, itemid });
}

export { escapeHtml };

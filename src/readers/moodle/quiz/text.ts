// Moodle's text fields as HTML: each text comes with a format (0 Moodle auto-format,
// 1 HTML, 2 plain, 4 Markdown) and a file area for its @@PLUGINFILE@@ links.
import type { FileArea, RichText } from "./model.js";
import { textOf } from "./xml.js";

const FORMAT_HTML = "1";
const FORMAT_MOODLE = "0";

/** Escape text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Plain text from HTML (for <option>, which cannot hold markup). */
export function plainText(html: string): string {
  return html
    .replace(/<[^>]*>/g, "")
    .replace(/&nbsp;/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#0?39;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ")
    .trim();
}

/** Convert a text in one of Moodle's formats to HTML. Markdown is shown as plain text. */
export function toHtml(text: string, format: string): string {
  if (format === FORMAT_HTML || format === "") return text;
  if (format === FORMAT_MOODLE) return text.replace(/\r?\n/g, "<br>\n");
  return escapeHtml(text).replace(/\r?\n/g, "<br>\n");
}

/** The rich text in child `field` of `element` (its format in `${field}format`). */
export function richText(element: unknown, field: string, area: FileArea): RichText {
  return { html: toHtml(textOf(element, field), textOf(element, `${field}format`)), area };
}

/** A rich text that is plain text already (patterns, numbers, choice labels). */
export function plainRich(text: string, area: FileArea): RichText {
  return { html: escapeHtml(text), area };
}

export const emptyText = (area: FileArea): RichText => ({ html: "", area });

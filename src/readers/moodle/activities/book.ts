// mod_book: chapters in page order (hidden ones left out), subchapters marked, previous / next.
import { type ActivityContext, rich } from "../context.js";
import type { BookChapter } from "../model.js";
import { int, list, path, text } from "../xml.js";

export function bookChapters(ctx: ActivityContext): BookChapter[] {
  const chapters = list(path(ctx.body, "chapters").chapter)
    .filter((c) => text(c.hidden) !== "1")
    .sort((a, b) => int(a.pagenum) - int(b.pagenum));
  return chapters.map((c, i) => {
    const id = text(c["@id"]);
    return {
      id,
      title: text(c.title),
      subchapter: text(c.subchapter) === "1",
      html: rich(ctx, text(c.content), text(c.contentformat), "chapter", id),
      previousId: i > 0 ? text(chapters[i - 1]!["@id"]) : null,
      nextId: i + 1 < chapters.length ? text(chapters[i + 1]!["@id"]) : null,
    };
  });
}

// mod_forum, read-only: discussions with their posts in thread order (a reply right after its
// parent, siblings by time), attachments and embedded files resolved.
import { type ActivityContext, rich } from "../context.js";
import type { ForumDiscussion, ForumPost } from "../model.js";
import { int, list, path, text } from "../xml.js";

function threadOrder(posts: ForumPost[]): ForumPost[] {
  const ids = new Set(posts.map((p) => p.id));
  const children = new Map<string | null, ForumPost[]>();
  for (const p of posts) {
    // A reply whose parent is missing is shown at the top level rather than lost.
    const parent = p.parentId && ids.has(p.parentId) ? p.parentId : null;
    children.set(parent, [...(children.get(parent) ?? []), p]);
  }
  const out: ForumPost[] = [];
  const seen = new Set<string>();
  const walk = (parent: string | null) => {
    for (const p of children.get(parent) ?? []) {
      if (seen.has(p.id)) continue;
      seen.add(p.id);
      out.push(p);
      walk(p.id);
    }
  };
  walk(null);
  return out;
}

export function forumDiscussions(ctx: ActivityContext, names: Map<string, string>): ForumDiscussion[] {
  return list(path(ctx.body, "discussions").discussion).map((d) => {
    const posts = list(path(d, "posts").post)
      .filter((p) => text(p.deleted) !== "1")
      .map((p): ForumPost => {
        const id = text(p["@id"]);
        const created = int(p.created);
        const parent = text(p.parent);
        return {
          id,
          parentId: parent && parent !== "0" ? parent : null,
          subject: text(p.subject),
          messageHtml: rich(ctx, text(p.message), text(p.messageformat), "post", id),
          created: created > 0 ? new Date(created * 1000) : null,
          userId: text(p.userid),
          authorName: names.get(text(p.userid)) ?? "",
          attachments: ctx.files.links({
            contextid: ctx.contextid,
            component: "mod_forum",
            filearea: "attachment",
            itemid: id,
          }),
        };
      })
      .sort(
        (a, b) => (a.created?.getTime() ?? 0) - (b.created?.getTime() ?? 0) || Number(a.id) - Number(b.id),
      );
    return { id: text(d["@id"]), name: text(d.name), posts: threadOrder(posts) };
  });
}

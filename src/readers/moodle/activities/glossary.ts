// mod_glossary: approved entries sorted by concept, grouped A–Z as Moodle's alphabet bar does
// (accents folded, anything that is not a letter under "#").
import { type ActivityContext, rich } from "../context.js";
import type { GlossaryEntry } from "../model.js";
import { list, path, text } from "../xml.js";

/** The letter an entry is listed under. */
export function glossaryLetter(concept: string): string {
  const first = concept.trim().normalize("NFD").replace(/\p{M}/gu, "").charAt(0).toUpperCase();
  return /\p{L}/u.test(first) ? first : "#";
}

export function glossaryEntries(ctx: ActivityContext): {
  entries: GlossaryEntry[];
  groups: { letter: string; entryIds: string[] }[];
} {
  const categoriesOf = new Map<string, string[]>();
  for (const c of list(path(ctx.body, "categories").category)) {
    for (const ce of list(path(c, "category_entries").category_entry)) {
      const entryId = text(ce.entryid);
      categoriesOf.set(entryId, [...(categoriesOf.get(entryId) ?? []), text(c.name)]);
    }
  }
  const entries = list(path(ctx.body, "entries").entry)
    .filter((e) => text(e.approved) !== "0")
    .map((e): GlossaryEntry => {
      const id = text(e["@id"]);
      return {
        id,
        concept: text(e.concept),
        definitionHtml: rich(ctx, text(e.definition), text(e.definitionformat), "entry", id),
        aliases: list(path(e, "aliases").alias).map((a) => text(a.alias_text)),
        categories: categoriesOf.get(id) ?? [],
        attachments: ctx.files.links({
          contextid: ctx.contextid,
          component: "mod_glossary",
          filearea: "attachment",
          itemid: id,
        }),
      };
    })
    .sort((a, b) => a.concept.localeCompare(b.concept));
  const groups: { letter: string; entryIds: string[] }[] = [];
  for (const e of entries) {
    const letter = glossaryLetter(e.concept);
    const group = groups.find((g) => g.letter === letter);
    if (group) group.entryIds.push(e.id);
    else groups.push({ letter, entryIds: [e.id] });
  }
  // "#" (numbers, symbols) after the letters, as Moodle's "Special" comes apart from A–Z.
  groups.sort((a, b) => (a.letter === "#" ? 1 : b.letter === "#" ? -1 : a.letter.localeCompare(b.letter)));
  return { entries, groups };
}

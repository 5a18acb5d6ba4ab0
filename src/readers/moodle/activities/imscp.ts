// mod_imscp: an IMS content package unpacked into the activity's files. Its table of contents is
// read from the package's own imsmanifest.xml (default organization, nested items), each item
// linked to the file its resource points at.

import type { FileLink } from "../../types.js";
import type { ActivityContext } from "../context.js";
import { type MoodleFile, MoodleFiles } from "../files.js";
import type { ImscpItem } from "../model.js";
import { list, obj, path, readXml, text, type XmlNode } from "../xml.js";

/** Elements may carry a namespace prefix (imscp:item); look them up by local name. */
function child(node: XmlNode, name: string): unknown {
  const key = Object.keys(node).find((k) => k === name || k.endsWith(`:${name}`));
  return key === undefined ? undefined : node[key];
}

function items(
  nodes: XmlNode[],
  hrefOf: Map<string, string>,
  fileAt: (href: string) => MoodleFile | undefined,
  ctx: ActivityContext,
  depth: number,
): ImscpItem[] {
  if (depth > 20) return [];
  return nodes.map((n) => {
    const href = hrefOf.get(text(n["@identifierref"]));
    const file = href ? fileAt(href) : undefined;
    return {
      title: text(child(n, "title")),
      file: file ? ctx.files.link(file) : null,
      children: items(list(child(n, "item")), hrefOf, fileAt, ctx, depth + 1),
    };
  });
}

/** The package's table of contents and all its files (keys are paths, so relative links between them resolve). */
export async function imscpPackage(
  ctx: ActivityContext,
): Promise<{ organization: ImscpItem[]; files: FileLink[] }> {
  // Each revision of the package is its own item; the newest one is current.
  const content = ctx.files.inArea({ contextid: ctx.contextid, component: "mod_imscp", filearea: "content" });
  const revision = String(Math.max(0, ...content.map((f) => Number(f.itemid) || 0)));
  const files = content.filter((f) => f.itemid === revision);
  const manifest = files.find((f) => f.filepath === "/" && f.filename === "imsmanifest.xml");
  const links = files.map((f) => ctx.files.link(f));
  if (!manifest) return { organization: [], files: links };
  const doc = await readXml(ctx.tree, MoodleFiles.contentPath(manifest));
  const root = obj(child(doc, "manifest"));
  const hrefOf = new Map<string, string>();
  for (const r of list(child(obj(child(root, "resources")), "resource"))) {
    hrefOf.set(text(r["@identifier"]), text(r["@href"]));
  }
  const orgs = obj(child(root, "organizations"));
  const all = list(child(orgs, "organization"));
  const chosen = all.find((o) => text(o["@identifier"]) === text(orgs["@default"])) ?? all[0] ?? {};
  const fileAt = (href: string) => {
    const clean = decodeURIComponent(href.split(/[?#]/)[0]!);
    return files.find((f) => `${f.filepath}${f.filename}` === `/${clean}`);
  };
  return { organization: items(list(child(path(chosen), "item")), hrefOf, fileAt, ctx, 0), files: links };
}

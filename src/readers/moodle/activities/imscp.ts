// mod_imscp: an IMS content package unpacked into the activity's files. Its table of contents is
// read from the package's own imsmanifest.xml with the IMS readers' manifest parser (default
// organization, nested items), each item linked to the file its resource points at.

import { type ManifestItem, parseManifest, resolveHref } from "../../ims/manifest.js";
import type { FileLink } from "../../types.js";
import type { ActivityContext } from "../context.js";
import { type MoodleFile, MoodleFiles } from "../files.js";
import type { ImscpItem } from "../model.js";
import { MAX_XML_BYTES } from "../xml.js";

function items(nodes: ManifestItem[], fileOf: (ref: string | null) => FileLink | null): ImscpItem[] {
  return nodes
    .filter((n) => n.visible)
    .map((n) => ({ title: n.title, file: fileOf(n.identifierref), children: items(n.children, fileOf) }));
}

/** The package's table of contents and all its files (keys are paths, so relative links between them resolve). */
export async function imscpPackage(
  ctx: ActivityContext,
): Promise<{ organization: ImscpItem[]; files: FileLink[] }> {
  // Each revision of the package is its own item; the newest one is current.
  const content = ctx.files.inArea({ contextid: ctx.contextid, component: "mod_imscp", filearea: "content" });
  const revision = String(Math.max(0, ...content.map((f) => Number(f.itemid) || 0)));
  const files = content.filter((f) => f.itemid === revision);
  const manifestFile = files.find((f) => f.filepath === "/" && f.filename === "imsmanifest.xml");
  const links = files.map((f) => ctx.files.link(f));
  if (!manifestFile) return { organization: [], files: links };
  const where = MoodleFiles.contentPath(manifestFile);
  const manifest = parseManifest(await ctx.tree.text(where, MAX_XML_BYTES), where);
  const byPath = new Map<string, MoodleFile>(files.map((f) => [`${f.filepath}${f.filename}`.slice(1), f]));
  const fileOf = (ref: string | null) => {
    const href = ref ? manifest.resources.get(ref)?.href : null;
    const path = href ? resolveHref("", href) : null;
    const file = path ? byPath.get(path) : undefined;
    return file ? ctx.files.link(file) : null;
  };
  return { organization: items(manifest.organization, fileOf), files: links };
}

// imsmanifest.xml of an IMS content package or Common Cartridge (and of a Moodle imscp
// activity): the chosen organization as a tree of items, the resources by identifier, and the
// package's title. Paths are kept as the manifest writes them (relative to the manifest's folder,
// with any xml:base applied); checking them is the caller's job (resolveHref below).
import { ReaderError } from "../errors.js";
import { child, list, obj, parseXml, text, values, type XmlNode } from "../xml.js";

export interface ManifestItem {
  identifier: string;
  title: string;
  /** The resource the item opens, or null for a folder-like item. */
  identifierref: string | null;
  /** CC's isvisible="false" (and IMS CP's) hides an item from learners. */
  visible: boolean;
  children: ManifestItem[];
}

export interface ManifestResource {
  identifier: string;
  /** webcontent, imswl_xmlv1p1, imsdt_xmlv1p1, imsqti_xmlv1p2/imscc_xmlv1p1/assessment, … */
  type: string;
  /** The entry point (xml:base applied), or null when the resource names none. */
  href: string | null;
  /** Every file the resource lists (xml:base applied). */
  files: string[];
  dependencies: string[];
}

export interface Manifest {
  /** The LOM title of the package, else the organization's title, else "". */
  title: string;
  /** metadata/schema: "IMS Common Cartridge", "IMS Content", "ADL SCORM", … */
  schema: string;
  schemaVersion: string;
  /** The root element's default namespace (tells a cartridge's version when schema is absent). */
  namespace: string;
  /** A SCORM package (ADL's schema or namespace): its content needs the SCORM runtime. */
  scorm: boolean;
  /** Items of the default organization (its top-level items). */
  organization: ManifestItem[];
  resources: Map<string, ManifestResource>;
}

/** Deeper trees than this are cut (a hostile manifest must not blow the stack). */
const MAX_DEPTH = 20;

function items(nodes: XmlNode[], depth: number): ManifestItem[] {
  if (depth > MAX_DEPTH) return [];
  return nodes.map((n) => ({
    identifier: text(n["@identifier"]),
    title: text(child(n, "title")).trim(),
    identifierref: text(n["@identifierref"]) || null,
    visible: text(n["@isvisible"]).toLowerCase() !== "false",
    children: items(list(child(n, "item")), depth + 1),
  }));
}

/** xml:base joined to a path, as a plain string ("" base leaves it alone). */
function withBase(base: string, href: string): string {
  if (!base) return href;
  return base.endsWith("/") ? base + href : `${base}/${href}`;
}

/** The first LOM title string anywhere under metadata (cartridges put it in lomimscc:general). */
function lomTitle(metadata: XmlNode): string {
  const general = obj(child(obj(child(metadata, "lom")), "general"));
  const title = obj(child(general, "title"));
  return text(values(child(title, "string"))[0] ?? values(child(title, "langstring"))[0]).trim();
}

function resources(root: XmlNode): Map<string, ManifestResource> {
  const node = obj(child(root, "resources"));
  const rootBase = text(node["@xml:base"]);
  const found = new Map<string, ManifestResource>();
  for (const r of list(child(node, "resource"))) {
    const identifier = text(r["@identifier"]);
    if (!identifier) continue;
    const base = withBase(rootBase, text(r["@xml:base"]));
    const href = text(r["@href"]);
    found.set(identifier, {
      identifier,
      type: text(r["@type"]),
      href: href ? withBase(base, href) : null,
      files: list(child(r, "file"))
        .map((f) => text(f["@href"]))
        .filter(Boolean)
        .map((f) => withBase(base, f)),
      dependencies: list(child(r, "dependency"))
        .map((d) => text(d["@identifierref"]))
        .filter(Boolean),
    });
  }
  return found;
}

/** Parse imsmanifest.xml text; `file` names it in errors. */
export function parseManifest(xml: string, file: string): Manifest {
  const doc = parseXml(xml, file);
  const root = obj(child(doc, "manifest"));
  if (Object.keys(root).length === 0) throw new ReaderError("invalid", file, "has no <manifest> element");
  const metadata = obj(child(root, "metadata"));
  const orgs = obj(child(root, "organizations"));
  const all = list(child(orgs, "organization"));
  const chosen = all.find((o) => text(o["@identifier"]) === text(orgs["@default"])) ?? all[0] ?? {};
  return {
    title: lomTitle(metadata) || text(child(chosen, "title")).trim(),
    schema: text(child(metadata, "schema")).trim(),
    schemaVersion: text(child(metadata, "schemaversion")).trim(),
    namespace: text(root["@xmlns"]),
    scorm:
      /scorm/i.test(text(child(metadata, "schema"))) ||
      Object.entries(root).some(([k, v]) => k.startsWith("@xmlns") && text(v).includes("adlnet.org")),
    organization: items(list(child(chosen, "item")), 0),
    resources: resources(root),
  };
}

/**
 * A path from a manifest or from course HTML, resolved against the folder it is relative to:
 * "." segments dropped, URL escapes decoded, query and fragment cut. Null for anything that
 * would leave the package (".." above the root, an absolute path, a URL with a scheme, a
 * backslash): callers report it as a problem and never open it.
 */
export function resolveHref(folder: string, href: string): string | null {
  const bare = href.split(/[?#]/)[0] ?? "";
  if (bare === "" || bare.startsWith("/") || /^[a-z][a-z0-9+.-]*:/i.test(bare)) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(bare);
  } catch {
    return null;
  }
  if (decoded.includes("\\") || decoded.includes("\0")) return null;
  const parts = folder ? folder.split("/") : [];
  for (const part of decoded.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      // Climbing is fine while it stays inside the package (HTML links to "../images/x.png").
      if (parts.length === 0) return null;
      parts.pop();
    } else parts.push(part);
  }
  return parts.length ? parts.join("/") : null;
}

/** The folder part of a package path ("" for a file at the root). */
export function folderOf(path: string): string {
  const cut = path.lastIndexOf("/");
  return cut < 0 ? "" : path.slice(0, cut);
}

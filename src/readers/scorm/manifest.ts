// A SCORM package's imsmanifest.xml (SCORM 1.2 and 2004): which version it is, its default
// organization as a table of contents, and for each item the file it launches. Hrefs come from
// untrusted packages: one that leaves the package (`../`, absolute, a symlink pointing out) or
// points at nothing becomes a problem and its item launches nothing; it never names a file
// outside the tree.
import { ReaderError } from "../errors.js";
import { list, obj, parseXml, text, type XmlNode } from "../moodle/xml.js";
import { CourseTree, safeRelative } from "../tree.js";
import type { ReaderProblem } from "../types.js";

export type ScormVersion = "1.2" | "2004";

/** Manifests bigger than this are refused (a large multi-SCO course is well under 1 MB). */
const MAX_MANIFEST_BYTES = 8 * 1024 * 1024;
const MAX_DEPTH = 20;

/** One launchable item: a SCO (talks to the runtime) or an asset (a plain page). */
export interface ScormSco {
  /** The item's identifier in the manifest: stable across package updates. */
  id: string;
  title: string;
  /** The file the player opens: a checked path inside the package, "/"-separated, decoded. */
  file: string;
  /** What follows the file in the launch URL: the href's query and the item's parameters ("" or "?…", "#…"). */
  query: string;
  scormType: "sco" | "asset";
  /** adlcp:datafromlms / dataFromLMS: given to the SCO as cmi.launch_data. */
  launchData: string;
  /** SCORM 1.2 adlcp:masteryscore (0–100), or null. */
  masteryScore: number | null;
}

export interface ScormTocItem {
  id: string;
  title: string;
  /** Null for a grouping item, or one whose launch file was refused. */
  sco: ScormSco | null;
  children: ScormTocItem[];
}

export interface ScormPackage {
  version: ScormVersion;
  /** The organization's title, else the first item's. */
  title: string;
  toc: ScormTocItem[];
  /** Every launchable item in table-of-contents order. */
  scos: ScormSco[];
  problems: ReaderProblem[];
}

export const MANIFEST = "imsmanifest.xml";
const ADL_12 = "http://www.adlnet.org/xsd/adlcp_rootv1p2";
const ADL_2004 = /http:\/\/www\.adlnet\.org\/xsd\/adlcp_v1p3/;

/** Element and attribute names without their namespace prefix (adlcp:scormtype → scormtype). */
function localNames(v: unknown, depth = 0): unknown {
  if (depth > 64) return undefined;
  if (Array.isArray(v)) return v.map((x) => localNames(x, depth + 1));
  if (v === null || typeof v !== "object") return v;
  const out: XmlNode = {};
  for (const [k, x] of Object.entries(v)) {
    const at = k.startsWith("@") ? "@" : "";
    const name =
      at +
      k
        .slice(at.length)
        .replace(/^[^:]*:/, "")
        .toLowerCase();
    out[name] ??= localNames(x, depth + 1);
  }
  return out;
}

/** Is this manifest a SCORM one (an ADL namespace or schema), rather than a cartridge or plain IMS CP? */
export function isScormManifest(xml: string): boolean {
  return xml.includes(ADL_12) || ADL_2004.test(xml) || /<(\w+:)?schema>\s*ADL SCORM\s*</.test(xml);
}

/** 2004 by its schemaversion ("2004 3rd Edition", "CAM 1.3"), else by its namespaces. */
export function scormVersion(xml: string, manifest: XmlNode): ScormVersion {
  const declared = text(obj(manifest.metadata).schemaversion);
  if (/^1\.2$/.test(declared)) return "1.2";
  if (/2004|1\.3/.test(declared)) return "2004";
  return ADL_2004.test(xml) ? "2004" : "1.2";
}

/** xml:base joins: a base ends at its last slash. */
function joinBase(base: string, href: string): string {
  if (!base) return href;
  return base.endsWith("/") ? base + href : `${base}/${href}`;
}

/** The item's parameters appended to its href as SCORM's content packaging says (a `?` becomes `&`). */
function withParameters(href: string, parameters: string): string {
  if (!parameters) return href;
  const p = parameters.replace(/^[?&]/, "");
  if (parameters.startsWith("#")) return href.includes("#") ? href : href + parameters;
  return href.includes("?") ? `${href}&${p}` : `${href}?${p}`;
}

interface Resource {
  href: string;
  scormType: "sco" | "asset";
}

class ManifestReader {
  readonly problems: ReaderProblem[] = [];
  private readonly resources = new Map<string, Resource>();

  constructor(
    private readonly tree: CourseTree,
    manifest: XmlNode,
  ) {
    const rs = obj(manifest.resources);
    const base = joinBase(text(manifest["@base"]), text(rs["@base"]));
    for (const r of list(rs.resource)) {
      const href = text(r["@href"]);
      const type = text(r["@scormtype"]).toLowerCase() === "sco" ? "sco" : "asset";
      if (href)
        this.resources.set(text(r["@identifier"]), {
          href: joinBase(joinBase(base, text(r["@base"])), href),
          scormType: type,
        });
    }
  }

  /** The checked file path of an href (query and fragment kept for the launch), or a problem. */
  private async launchPath(href: string, itemId: string): Promise<{ file: string; query: string } | null> {
    const cut = href.search(/[?#]/);
    const [path, rest] = cut < 0 ? [href, ""] : [href.slice(0, cut), href.slice(cut)];
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      decoded = "";
    }
    const refuse = (why: string) => {
      this.problems.push({
        file: MANIFEST,
        message: `item ${JSON.stringify(itemId)} launches ${JSON.stringify(href)}: ${why}`,
      });
      return null;
    };
    if (/^[a-z][a-z0-9+.-]*:/i.test(href)) return refuse("an address outside the package (needs internet)");
    if (!safeRelative(decoded)) return refuse("not a plain path inside the package");
    try {
      await this.tree.file(decoded);
    } catch (err) {
      return refuse(
        err instanceof ReaderError && err.code === "unsafe-path"
          ? "resolves outside the package"
          : "no such file in the package",
      );
    }
    return { file: decoded, query: rest };
  }

  async items(nodes: XmlNode[], depth: number): Promise<ScormTocItem[]> {
    if (depth > MAX_DEPTH) return [];
    const out: ScormTocItem[] = [];
    for (const n of nodes) {
      if (text(n["@isvisible"]) === "false") continue;
      const id = text(n["@identifier"]);
      const title = text(n.title) || id;
      const resource = this.resources.get(text(n["@identifierref"]));
      let sco: ScormSco | null = null;
      if (resource) {
        const launch = await this.launchPath(withParameters(resource.href, text(n["@parameters"])), id);
        const mastery = Number.parseFloat(text(n.masteryscore));
        if (launch)
          sco = {
            id,
            title,
            ...launch,
            scormType: resource.scormType,
            launchData: text(n.datafromlms),
            masteryScore: Number.isFinite(mastery) && mastery >= 0 && mastery <= 100 ? mastery : null,
          };
      } else if (text(n["@identifierref"]))
        this.problems.push({ file: MANIFEST, message: `item ${JSON.stringify(id)} points at no resource` });
      out.push({ id, title, sco, children: await this.items(list(n.item), depth + 1) });
    }
    return out;
  }
}

function flatten(items: ScormTocItem[]): ScormSco[] {
  return items.flatMap((i) => [...(i.sco ? [i.sco] : []), ...flatten(i.children)]);
}

/** Read the package whose imsmanifest.xml is at the root of `root`. Rejects when the manifest is unusable. */
export async function readScormPackage(root: string): Promise<ScormPackage> {
  const tree = new CourseTree(root);
  const xml = await tree.text(MANIFEST, MAX_MANIFEST_BYTES);
  const manifest = obj(obj(localNames(parseXml(xml, MANIFEST))).manifest);
  if (!isScormManifest(xml)) throw new ReaderError("unsupported", MANIFEST, "is not a SCORM manifest");
  const orgs = obj(manifest.organizations);
  const all = list(orgs.organization);
  const chosen = all.find((o) => text(o["@identifier"]) === text(orgs["@default"])) ?? all[0] ?? {};
  const reader = new ManifestReader(tree, manifest);
  const toc = await reader.items(list(chosen.item), 0);
  const scos = flatten(toc);
  if (scos.length === 0)
    reader.problems.push({ file: MANIFEST, message: "has no item this server can launch" });
  return {
    version: scormVersion(xml, manifest),
    title: text(chosen.title) || toc[0]?.title || "",
    toc,
    scos,
    problems: reader.problems,
  };
}

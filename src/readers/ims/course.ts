// An installed IMS package (Common Cartridge or content package) as a course: the default
// organization is the course page (its top-level folders are sections, deeper folders headings
// inside them, so a phone shows one flat list per section), each item opening its resource as an
// activity. A package with no organization (Canvas writes one empty) lists its learner-facing
// resources instead. A resource whose path would leave the package, or whose file is missing,
// is a ReaderProblem; the rest of the course still works.
import { ReaderError } from "../errors.js";
import { escapeHtml } from "../moodle/quiz/text.js";
import { CourseTree } from "../tree.js";
import type { ActivitySummary, OpenOptions, ReaderProblem, Section, SectionItem } from "../types.js";
import { MAX_XML_BYTES } from "../xml.js";
import { PackageFiles } from "./files.js";
import { type LinkTargets, packageHtml } from "./html.js";
import { folderOf, type Manifest, type ManifestItem, parseManifest, resolveHref } from "./manifest.js";
import type { ImsActivity, ImsCourse } from "./model.js";
import { type ResourceKind, readResource, resourceTitle } from "./resources.js";

export const MANIFEST = "imsmanifest.xml";

/** How one format tells the kind of a manifest resource (cartridges know more kinds than IMS CP). */
export interface ImsProfile {
  format: string;
  kindOf(type: string, entry: string): ResourceKind | null;
}

interface Entry {
  summary: ActivitySummary;
  kind: ResourceKind;
  resourceType: string;
  /** The checked package path of the resource's entry point (HTML page or descriptor XML). */
  entry: string;
}

/** The package's entry point for a resource: its href, else its first file. */
function entryOf(r: { href: string | null; files: string[] }): string | null {
  return r.href ?? r.files[0] ?? null;
}

async function readManifest(tree: CourseTree): Promise<Manifest> {
  return parseManifest(await tree.text(MANIFEST, MAX_XML_BYTES), MANIFEST);
}

/** Is the tree an IMS package whose manifest `accepts`? */
export async function detectManifest(tree: string, accepts: (m: Manifest) => boolean): Promise<boolean> {
  const t = new CourseTree(tree);
  if (!(await t.exists(MANIFEST))) return false;
  return readManifest(t).then(accepts, () => false);
}

class Builder {
  readonly entries = new Map<string, Entry>();
  readonly problems: ReaderProblem[] = [];

  constructor(
    private manifest: Manifest,
    private profile: ImsProfile,
  ) {}

  /** The activity a resource becomes (made once, however many items open it), or null with a problem. */
  activity(ref: string, name: string, sectionId: string, visible: boolean): ActivitySummary | null {
    const known = this.entries.get(ref);
    if (known) return known.summary;
    const r = this.manifest.resources.get(ref);
    if (!r) {
      this.problems.push({
        file: MANIFEST,
        message: `an item points at resource ${JSON.stringify(ref)}, which is not in the manifest`,
      });
      return null;
    }
    const raw = entryOf(r);
    const entry = raw ? resolveHref("", raw) : null;
    if (raw && !entry) {
      this.problems.push({
        file: MANIFEST,
        activityId: ref,
        message: `resource ${ref} points outside the package (${JSON.stringify(raw)}); not shown`,
      });
      return null;
    }
    const kind = entry ? this.profile.kindOf(r.type, entry) : null;
    const summary: ActivitySummary = {
      id: ref,
      type: kind ? kind.type : "other",
      name: name || entry || ref,
      visible,
      sectionId,
    };
    this.entries.set(ref, {
      summary,
      kind: kind ?? { type: "other" },
      resourceType: r.type,
      entry: entry ?? "",
    });
    return summary;
  }

  items(nodes: ManifestItem[], sectionId: string, depth: number): SectionItem[] {
    const out: SectionItem[] = [];
    for (const n of nodes) {
      const a = n.identifierref ? this.activity(n.identifierref, n.title, sectionId, n.visible) : null;
      if (!n.visible) continue;
      if (a) out.push({ kind: "activity", activity: a });
      else if (n.children.length && n.title)
        out.push({
          kind: "text",
          id: n.identifier,
          html: `<h3 class="level${depth}">${escapeHtml(n.title)}</h3>`,
        });
      out.push(...this.items(n.children, sectionId, depth + 1));
    }
    return out;
  }

  /** Top-level folders are sections; loose top-level items gather in one section named after the course. */
  sections(title: string): Section[] {
    let top = this.manifest.organization;
    // Cartridges wrap everything in one root item ("LearningModules").
    if (top.length === 1 && !top[0]!.identifierref && top[0]!.children.length) top = top[0]!.children;
    const sections: Section[] = [];
    let loose: Section | null = null;
    for (const n of top) {
      // A hidden module hides everything in it.
      if (!n.visible) continue;
      if (n.children.length) {
        const s = {
          id: n.identifier,
          name: n.title,
          summaryHtml: "",
          visible: n.visible,
          items: [] as SectionItem[],
        };
        const own = n.identifierref ? this.items([{ ...n, children: [] }], s.id, 1) : [];
        s.items = [...own, ...this.items(n.children, s.id, 1)];
        sections.push(s);
        loose = null;
      } else {
        if (!loose) {
          loose = {
            id: sections.length ? `items-${sections.length}` : "items",
            name: title,
            summaryHtml: "",
            visible: true,
            items: [],
          };
          sections.push(loose);
        }
        loose.items.push(...this.items([n], loose.id, 1));
      }
    }
    return sections;
  }
}

/** Open an installed IMS package as a course. */
export async function openImsCourse(
  root: string,
  profile: ImsProfile,
  options: OpenOptions = {},
): Promise<ImsCourse> {
  const tree = new CourseTree(root);
  const manifest = await readManifest(tree);
  const files = new PackageFiles(
    tree,
    options.fileUrl ?? ((key) => `file:${key.split("/").map(encodeURIComponent).join("/")}`),
  );
  const activityUrl = options.activityUrl ?? ((id) => `activity:${encodeURIComponent(id)}`);
  const build = new Builder(manifest, profile);
  const title = manifest.title || "Course";
  let sections = build.sections(title);
  if (sections.length === 0) sections = [await resourceSection(build, manifest, profile, tree, title)];
  // An item whose file is missing (or a link out of the tree) is a problem, not a dead link.
  const unusable = new Set<string>();
  for (const e of build.entries.values())
    if (e.entry && !(await tree.exists(e.entry))) {
      unusable.add(e.summary.id);
      e.summary.visible = false;
      build.problems.push({
        file: e.entry,
        activityId: e.summary.id,
        message: `${e.entry} is missing or not inside the package`,
      });
    }
  for (const s of sections)
    s.items = s.items.filter((i) => i.kind === "text" || !unusable.has(i.activity.id));

  const listed = new Set(
    [...manifest.resources.values()]
      .flatMap((r) => [r.href ?? "", ...r.files])
      .map((p) => resolveHref("", p) ?? ""),
  );
  const pageOf = new Map(
    [...build.entries.values()].filter((e) => e.kind.type === "page").map((e) => [e.entry, e.summary.id]),
  );
  const links = (folder: string): LinkTargets => ({
    folder,
    activityFor: (path) => {
      const id = pageOf.get(path);
      return id === undefined ? null : activityUrl(id);
    },
    fileUrl: (path) => files.url(path),
    exists: (path) => listed.has(path),
  });

  return {
    format: profile.format,
    title,
    sections,
    activities: [...build.entries.values()].map((e) => e.summary),
    problems: build.problems,
    async activity(id): Promise<ImsActivity> {
      const e = build.entries.get(id);
      if (!e?.summary.visible)
        throw new ReaderError("not-found", MANIFEST, `no activity ${JSON.stringify(id)}`);
      const base = { ...e.summary, resourceType: e.resourceType };
      if (e.kind.type === "other") return { ...base, type: "other" };
      const html = (s: string) => packageHtml(s, links(folderOf(e.entry)));
      return {
        ...base,
        ...(await readResource(tree, files, e.kind, e.entry, html, e.summary.id)),
      } as ImsActivity;
    },
    resolveFile: (key) => files.resolve(key),
  };
}

/** Without an organization: every learner-facing resource, in manifest order, titled from its own file. */
async function resourceSection(
  build: Builder,
  manifest: Manifest,
  profile: ImsProfile,
  tree: CourseTree,
  title: string,
): Promise<Section> {
  const items: SectionItem[] = [];
  for (const r of manifest.resources.values()) {
    const raw = entryOf(r);
    const entry = raw ? resolveHref("", raw) : null;
    if (raw && !entry) {
      build.problems.push({
        file: MANIFEST,
        activityId: r.identifier,
        message: `resource ${r.identifier} points outside the package (${JSON.stringify(raw)}); not shown`,
      });
      continue;
    }
    if (!entry || !profile.kindOf(r.type, entry)) continue;
    if (!(await tree.exists(entry))) {
      build.problems.push({
        file: entry,
        activityId: r.identifier,
        message: `${entry} is missing or not inside the package`,
      });
      continue;
    }
    const name = await resourceTitle(tree, profile.kindOf(r.type, entry)!, entry).catch(() => "");
    const a = build.activity(r.identifier, name || entry, "contents", true);
    if (a) items.push({ kind: "activity", activity: a });
  }
  return { id: "contents", name: title, summaryHtml: "", visible: true, items };
}

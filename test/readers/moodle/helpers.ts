// Shared pieces for the Moodle reader tests: real corpus backups extracted with the archive
// module into a temp dir (once per file and test file), and small hand-written backup trees for
// the cases no real course has (hostile links, broken XML, other Moodle versions).
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { extractArchive } from "../../../src/archive/index.js";
import { openCourse } from "../../../src/readers/index.js";
import type { MoodleActivity } from "../../../src/readers/moodle/index.js";
import type { Course } from "../../../src/readers/types.js";
import { tempDir } from "../../agent/helpers.js";
import { CORPUS_DIR, corpusPresent, MOODLE51_DIR } from "../../support/corpus.js";

export { corpusPresent };
export const corpusMissing = corpusPresent ? "" : ` (skipped: no corpus at ${CORPUS_DIR})`;

export interface Workspace {
  path: string;
  remove(): Promise<void>;
  /** Extract a corpus archive ("moodle51/community-health@v1.mbz") once; returns the tree. */
  extract(name: string): Promise<string>;
  /** Open a corpus archive as a Moodle course. */
  course(name: string): Promise<Course<MoodleActivity>>;
  /** Write a hand-made tree: relative path → file text. */
  tree(name: string, files: Record<string, string>): Promise<string>;
}

export async function workspace(): Promise<Workspace> {
  const dir = await tempDir("hc-readers-");
  const trees = new Map<string, Promise<string>>();
  const extract = (name: string) => {
    let tree = trees.get(name);
    if (!tree) {
      const source = name.startsWith("moodle51/")
        ? join(MOODLE51_DIR, name.slice(9))
        : join(CORPUS_DIR, name);
      const dest = join(dir.path, name.replace(/[/@]/g, "_"));
      tree = extractArchive(source, dest).then(() => dest);
      trees.set(name, tree);
    }
    return tree;
  };
  return {
    ...dir,
    extract,
    course: async (name) => (await openCourse(await extract(name))) as Course<MoodleActivity>,
    tree: async (name, files) => {
      const root = join(dir.path, name);
      for (const [path, text] of Object.entries(files)) {
        await mkdir(dirname(join(root, path)), { recursive: true });
        await writeFile(join(root, path), text);
      }
      return root;
    },
  };
}

/** A workspace made before the file's tests and removed after them; call the getter inside tests. */
export function withWorkspace(): () => Workspace {
  let ws: Workspace | undefined;
  beforeAll(async () => {
    ws = await workspace();
  });
  afterAll(() => ws?.remove());
  return () => ws!;
}

/** The activity of a course with its per-type content narrowed to `type`. */
export async function activityOf<T extends MoodleActivity["type"]>(
  course: Course<MoodleActivity>,
  id: string,
  type: T,
): Promise<Extract<MoodleActivity, { type: T }>> {
  const a = await course.activity(id);
  if (a.type !== type) throw new Error(`${id} is a ${a.type}, not a ${type}`);
  return a as Extract<MoodleActivity, { type: T }>;
}

/** Activities listed on the course page, counted by type (labels included). */
export function listedByType(course: Course<MoodleActivity>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of course.sections)
    for (const item of s.items) {
      const type = item.kind === "text" ? "label" : item.activity.type;
      counts[type] = (counts[type] ?? 0) + 1;
    }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

/** A minimal Moodle backup: moodle_backup.xml listing these sections and activities. */
export function backupXml(opts: {
  version?: string;
  sections: { id: string; directory?: string }[];
  activities: { id: string; section: string; type: string; title: string; directory?: string }[];
}): string {
  const acts = opts.activities
    .map(
      (a) =>
        `<activity><moduleid>${a.id}</moduleid><sectionid>${a.section}</sectionid><modulename>${a.type}</modulename>` +
        `<title>${a.title}</title><directory>${a.directory ?? `activities/${a.type}_${a.id}`}</directory></activity>`,
    )
    .join("");
  const secs = opts.sections
    .map(
      (s) =>
        `<section><sectionid>${s.id}</sectionid><directory>${s.directory ?? `sections/section_${s.id}`}</directory></section>`,
    )
    .join("");
  return (
    `<?xml version="1.0" encoding="UTF-8"?><moodle_backup><information>` +
    `<moodle_version>${opts.version ?? "2025100600"}</moodle_version><original_course_fullname>Fixture</original_course_fullname>` +
    `<original_course_contextid>50</original_course_contextid>` +
    `<contents><activities>${acts}</activities><sections>${secs}</sections></contents></information></moodle_backup>`
  );
}

export function sectionXml(
  id: string,
  number: number,
  name = "$@NULL@$",
  sequence = "",
  visible = 1,
): string {
  return `<section id="${id}"><number>${number}</number><name>${name}</name><summary></summary><summaryformat>1</summaryformat><sequence>${sequence}</sequence><visible>${visible}</visible></section>`;
}

/**
 * The files of a backup from Moodle `version` in course `format`, starting 5 January 2026,
 * with no activities and one section per entry of `names` (undefined: left unnamed).
 */
export function sectionsBackup(
  version: string,
  format: string,
  names: (string | undefined)[],
): Record<string, string> {
  const files: Record<string, string> = {
    "moodle_backup.xml": backupXml({
      version,
      sections: names.map((_, i) => ({ id: `${10 + i}` })),
      activities: [],
    }),
    "course/course.xml": `<course id="1" contextid="50"><fullname>F</fullname><format>${format}</format><startdate>1767571200</startdate></course>`,
  };
  names.forEach((name, i) => {
    files[`sections/section_${10 + i}/section.xml`] = sectionXml(`${10 + i}`, i, name);
  });
  return files;
}

export function moduleXml(type: string, visible = 1, visibleOnCoursePage = 1): string {
  return `<module><modulename>${type}</modulename><visible>${visible}</visible><visibleoncoursepage>${visibleOnCoursePage}</visibleoncoursepage></module>`;
}

export function activityXml(type: string, contextid: string, inner: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><activity id="1" moduleid="1" modulename="${type}" contextid="${contextid}"><${type} id="1">${inner}</${type}></activity>`;
}

export function filesXml(
  files: {
    id: string;
    hash: string;
    contextid: string;
    component: string;
    filearea: string;
    itemid?: string;
    filepath?: string;
    filename: string;
    mimetype?: string;
    size?: number;
  }[],
): string {
  return `<?xml version="1.0" encoding="UTF-8"?><files>${files
    .map(
      (f) =>
        `<file id="${f.id}"><contenthash>${f.hash}</contenthash><contextid>${f.contextid}</contextid><component>${f.component}</component>` +
        `<filearea>${f.filearea}</filearea><itemid>${f.itemid ?? "0"}</itemid><filepath>${f.filepath ?? "/"}</filepath>` +
        `<filename>${f.filename}</filename><filesize>${f.size ?? 0}</filesize><mimetype>${f.mimetype ?? "application/octet-stream"}</mimetype><sortorder>0</sortorder></file>`,
    )
    .join("")}</files>`;
}

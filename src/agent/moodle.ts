// Reads an extracted Moodle backup well enough for learners to use it without an LMS:
// sections and activities (moodle_backup.xml, sections/*/section.xml), each activity's text
// and files (activities/*/<mod>.xml, inforef.xml) and the real names and types of the
// content-addressed files (files.xml → files/<xx>/<contenthash>). Untrusted input: a real
// XML parser with entity limits, size caps, and every path checked before it is opened.
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { XMLParser } from "fast-xml-parser";
import { realPathInside } from "../util/real-path.js";

/** XML files bigger than this are not parsed (a quiz with thousands of questions is ~10 MB). */
const MAX_XML_BYTES = 64 * 1024 * 1024;

/** Repeated elements, by path, so one child still comes back as a list. */
const ARRAY_PATHS = new Set([
  "moodle_backup.information.contents.activities.activity",
  "moodle_backup.information.contents.sections.section",
  "files.file",
  "inforef.fileref.file",
]);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  jPath: true,
  isArray: (_name, jPath) => ARRAY_PATHS.has(String(jPath)),
});

export interface MoodleFile {
  /** files.xml id: stable within one backup, used in URLs. */
  id: string;
  contenthash: string;
  filename: string;
  mimetype: string;
  size: number;
  component: string;
  filearea: string;
  contextid: string;
}

export interface MoodleActivity {
  moduleId: string;
  mod: string;
  title: string;
  /** Relative directory, e.g. activities/page_201 (checked: no "..", no absolute). */
  directory: string;
}

export interface MoodleSection {
  id: string;
  number: number;
  title: string;
  activities: MoodleActivity[];
}

export interface MoodleCourse {
  fullname: string;
  shortname: string;
  backupDate: Date | null;
  sections: MoodleSection[];
  files: Map<string, MoodleFile>;
}

export interface ActivityContent {
  activity: MoodleActivity;
  name: string;
  /** Untrusted HTML from the backup (intro, page content): render only under a no-script CSP. */
  introHtml: string;
  contentHtml: string;
  externalUrl: string | null;
  files: MoodleFile[];
}

export class MoodleBackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MoodleBackupError";
  }
}

type Node = Record<string, unknown>;

function obj(v: unknown): Node {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Node) : {};
}
function arr(v: unknown): Node[] {
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).map(obj);
}
/** Text of a leaf; "" for absent, objects (attributes only) and Moodle's $@NULL@$. */
function text(v: unknown): string {
  if (typeof v === "string") return v === "$@NULL@$" ? "" : v;
  if (typeof v === "number") return String(v);
  const t = obj(v)["#text"];
  return typeof t === "string" || typeof t === "number" ? String(t) : "";
}

/** A relative path inside the backup from untrusted XML: plain segments only. */
export function safeRelative(path: string): string | null {
  if (path === "" || path.startsWith("/") || path.includes("\\") || path.includes("\0")) return null;
  const parts = path.split("/");
  if (parts.some((p) => p === "" || p === "." || p === "..")) return null;
  return path;
}

/** Is this tree a Moodle backup? */
export async function isMoodleBackup(treePath: string): Promise<boolean> {
  const s = await stat(join(treePath, "moodle_backup.xml")).catch(() => null);
  return s?.isFile() === true;
}

async function readXml(treePath: string, rel: string): Promise<Node | null> {
  const s = await stat(join(treePath, rel)).catch(() => null);
  if (!s) return null;
  // Read only what really lies inside the tree, whatever symlinks lead there.
  const path = await realPathInside(treePath, rel);
  if (!path) throw new MoodleBackupError(`${rel} leads outside the course`);
  if (!s?.isFile()) return null;
  if (s.size > MAX_XML_BYTES)
    throw new MoodleBackupError(`${rel} is ${s.size} bytes; refusing to parse over ${MAX_XML_BYTES}`);
  const xml = await readFile(path, "utf8");
  try {
    // true: validate first — the parser alone accepts unclosed tags.
    return obj(parser.parse(xml, true));
  } catch (err) {
    throw new MoodleBackupError(`${rel} is not well-formed XML: ${(err as Error).message}`);
  }
}

const HEX40 = /^[0-9a-f]{40}$/;

/** Parse the structure of an extracted backup. Throws MoodleBackupError on a broken one. */
export async function readMoodleCourse(treePath: string): Promise<MoodleCourse> {
  const backup = await readXml(treePath, "moodle_backup.xml");
  if (!backup) throw new MoodleBackupError("moodle_backup.xml is missing");
  const info = obj(obj(backup.moodle_backup).information);
  const contents = obj(info.contents);
  const dateSec = Number(text(info.backup_date));

  const activities = new Map<string, MoodleActivity & { sectionId: string; order: number }>();
  arr(obj(contents.activities).activity).forEach((a, order) => {
    const directory = safeRelative(text(a.directory));
    const moduleId = text(a.moduleid);
    const mod = text(a.modulename);
    if (!directory || !/^\d+$/.test(moduleId) || !/^[a-z0-9_]+$/.test(mod)) return;
    activities.set(moduleId, {
      moduleId,
      mod,
      title: text(a.title),
      directory,
      sectionId: text(a.sectionid),
      order,
    });
  });

  const sections: MoodleSection[] = [];
  let listed = 0;
  for (const s of arr(obj(contents.sections).section)) {
    const id = text(s.sectionid);
    const directory = safeRelative(text(s.directory));
    const sectionXml = directory ? obj((await readXml(treePath, `${directory}/section.xml`))?.section) : {};
    const numberText = text(sectionXml.number);
    const number = /^\d+$/.test(numberText) ? Number(numberText) : listed;
    listed++;
    const title = text(sectionXml.name) || text(s.title) || (number === 0 ? "General" : `Section ${number}`);
    const inSection = [...activities.values()].filter((a) => a.sectionId === id);
    // The section's sequence is the order a teacher arranged; fall back to backup order.
    const sequence = text(sectionXml.sequence).split(",").filter(Boolean);
    const rank = (a: { moduleId: string; order: number }) => {
      const i = sequence.indexOf(a.moduleId);
      return i >= 0 ? i : sequence.length + a.order;
    };
    inSection.sort((a, b) => rank(a) - rank(b));
    sections.push({
      id,
      number,
      title,
      activities: inSection.map(({ moduleId, mod, title, directory }) => ({
        moduleId,
        mod,
        title,
        directory,
      })),
    });
  }
  sections.sort((a, b) => a.number - b.number);

  const files = new Map<string, MoodleFile>();
  const filesXml = await readXml(treePath, "files.xml");
  for (const f of arr(obj(filesXml?.files).file)) {
    const id = text(f["@id"]);
    const contenthash = text(f.contenthash).toLowerCase();
    const filename = text(f.filename);
    // "." entries are Moodle's directory records, not files.
    if (!/^\d+$/.test(id) || !HEX40.test(contenthash) || filename === "" || filename === ".") continue;
    files.set(id, {
      id,
      contenthash,
      filename,
      mimetype: text(f.mimetype) || "application/octet-stream",
      size: Number(text(f.filesize)) || 0,
      component: text(f.component),
      filearea: text(f.filearea),
      contextid: text(f.contextid),
    });
  }

  return {
    fullname: text(info.original_course_fullname),
    shortname: text(info.original_course_shortname),
    backupDate: Number.isFinite(dateSec) && dateSec > 0 ? new Date(dateSec * 1000) : null,
    sections,
    files,
  };
}

/** Path of a file's bytes inside the tree: files/<first two hex>/<contenthash>. */
export function moodleFilePath(file: MoodleFile): string {
  return `files/${file.contenthash.slice(0, 2)}/${file.contenthash}`;
}

/** One activity's text and files. */
export async function readActivity(
  treePath: string,
  course: MoodleCourse,
  activity: MoodleActivity,
): Promise<ActivityContent> {
  const doc = await readXml(treePath, `${activity.directory}/${activity.mod}.xml`);
  const root = obj(doc?.activity);
  const body = obj(root[activity.mod]);
  const inforef = await readXml(treePath, `${activity.directory}/inforef.xml`);
  const ids = arr(obj(obj(inforef?.inforef).fileref).file).map((f) => text(f.id));
  const contextid = text(root["@contextid"]);
  const files = new Map<string, MoodleFile>();
  for (const id of ids) {
    const f = course.files.get(id);
    if (f) files.set(id, f);
  }
  // Files of the activity's context that inforef did not list (older backups).
  if (contextid) for (const f of course.files.values()) if (f.contextid === contextid) files.set(f.id, f);
  return {
    activity,
    name: text(body.name) || activity.title,
    introHtml: text(body.intro),
    contentHtml: text(body.content),
    externalUrl: text(body.externalurl) || null,
    files: [...files.values()].sort((a, b) => Number(a.id) - Number(b.id)),
  };
}

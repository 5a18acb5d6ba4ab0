// Deterministic Moodle-like course backups (.mbz as zip or tar.gz) and the seven update
// scenarios of the research, for `handcarry demo`, tests and benchmarks. Same seed → same bytes.
// (Lives in src/ because the demo ships it; test/fixtures/moodle.ts re-exports it and keeps the CLI.)
import { createCipheriv, createHash } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { type WriteResult, writeArchive } from "../archive/index.js";
import { mulberry32 } from "../util/prng.js";

export type ModName = "page" | "resource" | "url" | "quiz" | "forum" | "label";

export interface MediaSpec {
  /** Moodle file id (files.xml). */
  id: number;
  filename: string;
  mimetype: string;
  size: number;
  /** Seeds the bytes: the same seed gives the same file, hence the same content hash. */
  seed: string;
  timecreated: number;
}

export interface ActivitySpec {
  id: number;
  mod: ModName;
  name: string;
  /** Seeds the generated text. */
  textSeed: string;
  /** Paragraphs of body text (pages, quizzes, forums); drives XML size. */
  paragraphs: number;
  /** A sentence inserted into the middle of the body: a small text edit. */
  edit?: string;
  url?: string;
  media: MediaSpec[];
  added: number;
}

export interface SectionSpec {
  id: number;
  name: string;
  summarySeed: string;
  activities: ActivitySpec[];
}

export interface CourseSpec {
  courseId: number;
  shortname: string;
  fullname: string;
  /** In display order; the first is section 0 ("General"). A section's number is its index. */
  sections: SectionSpec[];
  /** Unix seconds when this backup was made: every entry and moodle_backup.xml carry it. */
  exportTime: number;
  /** Seed for everything not pinned by an id-level seed (backup ids, log noise). */
  seed: number;
}

/** One entry of a generated backup. Content is produced on demand to keep memory low. */
export interface CourseEntry {
  path: string;
  type: "file" | "dir";
  mode: number;
  mtime: Date;
  size: number;
  data(): Buffer;
}

export interface Scenario {
  name: ScenarioName;
  description: string;
  old?: CourseSpec;
  new: CourseSpec;
}

export type ScenarioName =
  | "full-download"
  | "large-addition"
  | "medium-addition"
  | "small-addition"
  | "small-text-change"
  | "section-reorder"
  | "no-change";

export interface CourseOptions {
  seed?: number;
  /** Multiplies media sizes. 1 gives ~10 MB for the full course; the research course was 30.5 MB (≈3). */
  scale?: number;
}

// ---------------------------------------------------------------- deterministic randomness

/** mulberry32: tiny, fast, good enough for fixture shapes. */
export const prng = mulberry32;

function seedOf(text: string): number {
  return createHash("sha256").update(text).digest().readUInt32BE(0);
}

/** Incompressible bytes from a seed (AES-128-CTR keystream), e.g. media stand-ins. */
export function randomBytesFrom(seed: string, size: number): Buffer {
  const key = createHash("sha256").update(`key:${seed}`).digest().subarray(0, 16);
  const iv = createHash("sha256").update(`iv:${seed}`).digest().subarray(0, 16);
  const cipher = createCipheriv("aes-128-ctr", key, iv);
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
}

const WORDS = (
  "learning course module student teacher assessment quiz answer question section topic lesson " +
  "activity resource village health water hygiene nutrition farming literacy numeracy practice " +
  "review summary example exercise discussion forum reading video image diagram chart map " +
  "community training field guide handbook chapter unit objective outcome skill knowledge week " +
  "introduction conclusion method result evidence observation report project group task safety"
).split(" ");

function sentence(rand: () => number): string {
  const n = 6 + Math.floor(rand() * 12);
  const words: string[] = [];
  for (let i = 0; i < n; i++) words.push(WORDS[Math.floor(rand() * WORDS.length)]!);
  const first = words[0]!;
  words[0] = first[0]!.toUpperCase() + first.slice(1);
  return `${words.join(" ")}.`;
}

function paragraphs(seed: string, count: number, edit?: string): string[] {
  const rand = prng(seedOf(seed));
  const out: string[] = [];
  for (let p = 0; p < count; p++) {
    const sentences: string[] = [];
    const n = 3 + Math.floor(rand() * 5);
    for (let s = 0; s < n; s++) sentences.push(sentence(rand));
    out.push(sentences.join(" "));
  }
  if (edit !== undefined && out.length > 0) {
    const middle = Math.floor(out.length / 2);
    out[middle] = `${out[middle]} ${edit}`;
  }
  return out;
}

function xmlEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

// ---------------------------------------------------------------- course specs

const DAY = 86_400;
const BASE_TIME = 1_700_000_000; // 2023-11-14, a fixed origin so fixtures never depend on the clock

const MEDIA_KINDS = [
  { ext: "pdf", mimetype: "application/pdf", min: 200_000, max: 2_000_000 },
  { ext: "jpg", mimetype: "image/jpeg", min: 50_000, max: 400_000 },
  { ext: "png", mimetype: "image/png", min: 50_000, max: 300_000 },
  { ext: "mp4", mimetype: "video/mp4", min: 1_000_000, max: 2_000_000 },
] as const;

/**
 * The full course of the scenarios: section 0 plus three topic sections, each with pages,
 * files (PDFs, images, a video stand-in), a quiz and a forum.
 */
export function fullCourse(options: CourseOptions = {}): CourseSpec {
  const seed = options.seed ?? 1;
  const scale = options.scale ?? 1;
  const rand = prng(seed);
  let nextModule = 200 + Math.floor(rand() * 50);
  let nextFile = 1000 + Math.floor(rand() * 100);
  const media = (kindIndex: number, label: string): MediaSpec => {
    const kind = MEDIA_KINDS[kindIndex]!;
    const size = Math.round((kind.min + rand() * (kind.max - kind.min)) * scale);
    const id = nextFile++;
    return {
      id,
      filename: `${label}-${id}.${kind.ext}`,
      mimetype: kind.mimetype,
      size: Math.max(size, 16),
      seed: `${seed}:file:${id}`,
      timecreated: BASE_TIME - 30 * DAY + id,
    };
  };
  const activity = (mod: ModName, name: string, extra: Partial<ActivitySpec> = {}): ActivitySpec => {
    const id = nextModule++;
    return {
      id,
      mod,
      name,
      textSeed: `${seed}:text:${id}`,
      paragraphs: mod === "page" ? 80 : mod === "quiz" ? 120 : mod === "forum" ? 40 : 3,
      media: [],
      added: BASE_TIME - 20 * DAY + id,
      ...extra,
    };
  };
  const topic = (n: number): SectionSpec => {
    const activities = [
      activity("page", `Topic ${n}: introduction`),
      activity("resource", `Topic ${n}: handbook`, { media: [media(0, "handbook")] }),
      activity("page", `Topic ${n}: pictures`, {
        media: [media(1, "photo"), media(2, "diagram"), media(1, "photo")],
      }),
      activity("quiz", `Topic ${n}: check your understanding`),
      activity("forum", `Topic ${n}: questions and answers`),
    ];
    if (n === 2)
      activities.push(
        activity("resource", `Topic ${n}: demonstration video`, { media: [media(3, "video")] }),
      );
    if (n === 3)
      activities.push(activity("resource", "Field guide", { media: [media(0, "guide"), media(3, "video")] }));
    return { id: 40 + n, name: `Topic ${n}`, summarySeed: `${seed}:section:${n}`, activities };
  };
  const general: SectionSpec = {
    id: 40,
    name: "General",
    summarySeed: `${seed}:section:0`,
    activities: [activity("forum", "Announcements"), activity("label", "Welcome")],
  };
  return {
    courseId: 7,
    shortname: "FIELD-HEALTH",
    fullname: "Community health and hygiene (field edition)",
    sections: [general, topic(1), topic(2), topic(3)],
    exportTime: BASE_TIME,
    seed,
  };
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** A re-export of `spec` later in time: Moodle stamps the new time everywhere. */
function reexport(spec: CourseSpec, days: number): CourseSpec {
  const next = clone(spec);
  next.exportTime = spec.exportTime + days * DAY + 3600;
  return next;
}

function withSections(spec: CourseSpec, count: number): CourseSpec {
  const next = clone(spec);
  next.sections = next.sections.slice(0, count + 1);
  return next;
}

/** The seven scenarios of the research, as (old, new) course specs. */
export function scenarios(options: CourseOptions = {}): Scenario[] {
  const full = fullCourse(options);
  const earlier = { ...clone(full), exportTime: full.exportTime - 7 * DAY };

  const withUrl = reexport(earlier, 7);
  const target = withUrl.sections[2]!;
  target.activities.push({
    id: 900,
    mod: "url",
    name: "Ministry of Health guidance",
    textSeed: `${full.seed}:text:900`,
    paragraphs: 1,
    url: "https://example.org/guidance/handwashing",
    media: [],
    added: withUrl.exportTime - 3600,
  });

  const edited = reexport(earlier, 7);
  const page = edited.sections[1]!.activities.find((a) => a.mod === "page")!;
  page.edit = "Wash hands with soap for at least twenty seconds before preparing food.";

  const reordered = reexport(earlier, 7);
  const [s2, s3] = [reordered.sections[2]!, reordered.sections[3]!];
  reordered.sections[2] = s3;
  reordered.sections[3] = s2;

  return [
    { name: "full-download", description: "no old version: the whole course is new", new: full },
    {
      name: "large-addition",
      description: "1 → 3 topic sections",
      old: withSections(earlier, 1),
      new: reexport(earlier, 7),
    },
    {
      name: "medium-addition",
      description: "2 → 3 topic sections",
      old: withSections(earlier, 2),
      new: reexport(earlier, 7),
    },
    { name: "small-addition", description: "one URL module added to topic 2", old: earlier, new: withUrl },
    { name: "small-text-change", description: "one sentence added to a page", old: earlier, new: edited },
    { name: "section-reorder", description: "topics 2 and 3 swapped", old: earlier, new: reordered },
    {
      name: "no-change",
      description:
        "re-export of the same course: only the export stamps change (moodle_backup.xml, moodle_backup.log, .ARCHIVE_INDEX)",
      old: earlier,
      new: reexport(earlier, 7),
    },
  ];
}

// ---------------------------------------------------------------- rendering a backup

/** sha1 of a media file's bytes: Moodle's contenthash, which names it under files/. */
function mediaBytes(m: MediaSpec): Buffer {
  const body = randomBytesFrom(m.seed, m.size);
  // A real-looking magic number so sniffers see a PDF/JPEG/PNG/MP4, the rest is noise.
  const magic: Record<string, Buffer> = {
    "application/pdf": Buffer.from("%PDF-1.5\n"),
    "image/jpeg": Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
    "image/png": Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    "video/mp4": Buffer.from([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 0x6d, 0x70, 0x34, 0x32]),
  };
  magic[m.mimetype]?.copy(body, 0);
  return body;
}

function contextIdOf(activity: ActivitySpec): number {
  return 5000 + activity.id;
}

function componentOf(activity: ActivitySpec): string {
  return `mod_${activity.mod}`;
}

const XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n';

function sectionXml(section: SectionSpec, number: number): string {
  const summary = paragraphs(section.summarySeed, 2)
    .map((p) => `<p>${p}</p>`)
    .join("\n");
  return (
    XML_HEAD +
    `<section id="${section.id}">\n  <number>${number}</number>\n  <name>${xmlEscape(section.name)}</name>\n` +
    `  <summary>${xmlEscape(summary)}</summary>\n  <summaryformat>1</summaryformat>\n` +
    `  <sequence>${section.activities.map((a) => a.id).join(",")}</sequence>\n  <visible>1</visible>\n` +
    "  <availabilityjson>$@NULL@$</availabilityjson>\n</section>"
  );
}

function moduleXml(activity: ActivitySpec, section: SectionSpec, number: number): string {
  return (
    XML_HEAD +
    `<module id="${activity.id}" version="2022112800">\n  <modulename>${activity.mod}</modulename>\n` +
    `  <sectionid>${section.id}</sectionid>\n  <sectionnumber>${number}</sectionnumber>\n` +
    `  <idnumber></idnumber>\n  <added>${activity.added}</added>\n  <score>0</score>\n  <indent>0</indent>\n` +
    "  <visible>1</visible>\n  <visibleoncoursepage>1</visibleoncoursepage>\n  <visibleold>1</visibleold>\n" +
    "  <groupmode>0</groupmode>\n  <groupingid>0</groupingid>\n  <completion>1</completion>\n" +
    "  <completionview>0</completionview>\n  <completionexpected>0</completionexpected>\n" +
    "  <availability>$@NULL@$</availability>\n  <showdescription>0</showdescription>\n</module>"
  );
}

function activityXml(activity: ActivitySpec): string {
  const text = paragraphs(activity.textSeed, activity.paragraphs, activity.edit);
  const html = text.map((p) => `<p>${p}</p>`).join("\n");
  const intro = xmlEscape(`<p>${text[0] ?? activity.name}</p>`);
  let body = "";
  switch (activity.mod) {
    case "page":
      body = `    <content>${xmlEscape(html)}</content>\n    <contentformat>1</contentformat>\n`;
      break;
    case "url":
      body = `    <externalurl>${xmlEscape(activity.url ?? "")}</externalurl>\n    <display>0</display>\n`;
      break;
    case "resource":
      body =
        "    <tobemigrated>0</tobemigrated>\n    <legacyfiles>0</legacyfiles>\n    <display>0</display>\n";
      break;
    case "quiz": {
      const questions = text.map(
        (p, i) =>
          `      <question_instance id="${activity.id * 100 + i}">\n        <slot>${i + 1}</slot>\n` +
          `        <questiontext>${xmlEscape(`<p>${p}</p>`)}</questiontext>\n        <maxmark>1.0000000</maxmark>\n` +
          "      </question_instance>\n",
      );
      body = `    <timelimit>0</timelimit>\n    <question_instances>\n${questions.join("")}    </question_instances>\n`;
      break;
    }
    case "forum": {
      const posts = text.map(
        (p, i) =>
          `        <post id="${activity.id * 100 + i}">\n          <subject>Re: ${xmlEscape(activity.name)}</subject>\n` +
          `          <message>${xmlEscape(`<p>${p}</p>`)}</message>\n        </post>\n`,
      );
      body = `    <type>general</type>\n    <discussions>\n      <discussion>\n        <posts>\n${posts.join("")}        </posts>\n      </discussion>\n    </discussions>\n`;
      break;
    }
    case "label":
      body = "";
      break;
  }
  return (
    XML_HEAD +
    `<activity id="${activity.id}" moduleid="${activity.id}" modulename="${activity.mod}" contextid="${contextIdOf(activity)}">\n` +
    `  <${activity.mod} id="${activity.id}">\n    <name>${xmlEscape(activity.name)}</name>\n` +
    `    <intro>${intro}</intro>\n    <introformat>1</introformat>\n${body}` +
    `    <timemodified>${activity.added}</timemodified>\n  </${activity.mod}>\n</activity>`
  );
}

function inforefXml(activity: ActivitySpec): string {
  const refs = activity.media.map((m) => `    <file>\n      <id>${m.id}</id>\n    </file>\n`).join("");
  return XML_HEAD + `<inforef>\n  <fileref>\n${refs}  </fileref>\n</inforef>`;
}

function filesXml(spec: CourseSpec, hashes: Map<number, string>): string {
  // Moodle lists files by id (database order), not by course order.
  const owned = spec.sections
    .flatMap((section) =>
      section.activities.flatMap((activity) => activity.media.map((m, index) => ({ m, index, activity }))),
    )
    .sort((a, b) => a.m.id - b.m.id);
  const files: string[] = [];
  for (const { m, index, activity } of owned) {
    files.push(
      `  <file id="${m.id}">\n    <contenthash>${hashes.get(m.id)}</contenthash>\n` +
        `    <contextid>${contextIdOf(activity)}</contextid>\n    <component>${componentOf(activity)}</component>\n` +
        `    <filearea>content</filearea>\n    <itemid>0</itemid>\n    <filepath>/</filepath>\n` +
        `    <filename>${xmlEscape(m.filename)}</filename>\n    <userid>2</userid>\n    <filesize>${m.size}</filesize>\n` +
        `    <mimetype>${m.mimetype}</mimetype>\n    <status>0</status>\n    <timecreated>${m.timecreated}</timecreated>\n` +
        `    <timemodified>${m.timecreated}</timemodified>\n    <source>${xmlEscape(m.filename)}</source>\n` +
        `    <author>Course Team</author>\n    <license>cc-4.0</license>\n    <sortorder>${index === 0 ? 1 : 0}</sortorder>\n` +
        "    <repositorytype>$@NULL@$</repositorytype>\n    <repositoryid>$@NULL@$</repositoryid>\n" +
        "    <reference>$@NULL@$</reference>\n  </file>\n",
    );
  }
  return XML_HEAD + `<files>\n${files.join("")}</files>`;
}

function courseXml(spec: CourseSpec): string {
  const summary = paragraphs(`${spec.seed}:course-summary`, 3)
    .map((p) => `<p>${p}</p>`)
    .join("");
  return (
    XML_HEAD +
    `<course id="${spec.courseId}" contextid="${4000 + spec.courseId}">\n  <shortname>${xmlEscape(spec.shortname)}</shortname>\n` +
    `  <fullname>${xmlEscape(spec.fullname)}</fullname>\n  <idnumber></idnumber>\n  <summary>${xmlEscape(summary)}</summary>\n` +
    `  <summaryformat>1</summaryformat>\n  <format>topics</format>\n  <showgrades>1</showgrades>\n  <newsitems>5</newsitems>\n` +
    `  <startdate>${BASE_TIME - 60 * DAY}</startdate>\n  <enddate>0</enddate>\n  <visible>1</visible>\n` +
    `  <lang></lang>\n  <theme></theme>\n  <timecreated>${BASE_TIME - 60 * DAY}</timecreated>\n` +
    `  <timemodified>${BASE_TIME - 10 * DAY}</timemodified>\n  <enablecompletion>1</enablecompletion>\n</course>`
  );
}

const BACKUP_SETTINGS = [
  "filename",
  "imscc11",
  "users",
  "anonymize",
  "role_assignments",
  "activities",
  "blocks",
  "files",
  "filters",
  "comments",
  "badges",
  "calendarevents",
  "userscompletion",
  "logs",
  "grade_histories",
  "questionbank",
  "groups",
  "competencies",
  "customfield",
  "contentbankcontent",
  "legacyfiles",
];

function moodleBackupXml(spec: CourseSpec): string {
  const stamp = new Date(spec.exportTime * 1000)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/T(\d{4}).*/, "-$1");
  const name = `backup-moodle2-course-${spec.courseId}-${spec.shortname.toLowerCase()}-${stamp}-nu.mbz`;
  const backupId = createHash("md5").update(`${spec.seed}:${spec.exportTime}`).digest("hex");
  const activities = spec.sections.flatMap((section) =>
    section.activities.map(
      (a) =>
        `        <activity>\n          <moduleid>${a.id}</moduleid>\n          <sectionid>${section.id}</sectionid>\n` +
        `          <modulename>${a.mod}</modulename>\n          <title>${xmlEscape(a.name)}</title>\n` +
        `          <directory>activities/${a.mod}_${a.id}</directory>\n          <insubsection></insubsection>\n        </activity>\n`,
    ),
  );
  const sections = spec.sections.map(
    (s) =>
      `        <section>\n          <sectionid>${s.id}</sectionid>\n          <title>${xmlEscape(s.name)}</title>\n` +
      `          <directory>sections/section_${s.id}</directory>\n          <parentcmid></parentcmid>\n          <modname></modname>\n        </section>\n`,
  );
  const settings: string[] = [];
  for (const setting of BACKUP_SETTINGS) {
    settings.push(
      `      <setting>\n        <level>root</level>\n        <name>${setting}</name>\n        <value>${setting === "filename" ? name : setting === "users" || setting === "anonymize" ? 0 : 1}</value>\n      </setting>\n`,
    );
  }
  for (const section of spec.sections) {
    for (const suffix of ["included", "userinfo"]) {
      settings.push(
        `      <setting>\n        <level>section</level>\n        <section>section_${section.id}</section>\n        <name>section_${section.id}_${suffix}</name>\n        <value>${suffix === "included" ? 1 : 0}</value>\n      </setting>\n`,
      );
    }
    for (const a of section.activities) {
      for (const suffix of ["included", "userinfo"]) {
        settings.push(
          `      <setting>\n        <level>activity</level>\n        <activity>${a.mod}_${a.id}</activity>\n        <name>${a.mod}_${a.id}_${suffix}</name>\n        <value>${suffix === "included" ? 1 : 0}</value>\n      </setting>\n`,
        );
      }
    }
  }
  return (
    XML_HEAD +
    "<moodle_backup>\n  <information>\n" +
    `    <name>${name}</name>\n    <moodle_version>2022112800</moodle_version>\n    <moodle_release>4.1 (Build: 20221128)</moodle_release>\n` +
    `    <backup_version>2022112800</backup_version>\n    <backup_release>4.1</backup_release>\n` +
    `    <backup_date>${spec.exportTime}</backup_date>\n    <mnet_remoteusers>0</mnet_remoteusers>\n    <include_files>1</include_files>\n` +
    "    <original_wwwroot>https://learn.example.org</original_wwwroot>\n" +
    `    <original_site_identifier_hash>${createHash("md5").update(`site:${spec.seed}`).digest("hex")}</original_site_identifier_hash>\n` +
    `    <original_course_id>${spec.courseId}</original_course_id>\n    <original_course_format>topics</original_course_format>\n` +
    `    <original_course_fullname>${xmlEscape(spec.fullname)}</original_course_fullname>\n` +
    `    <original_course_shortname>${xmlEscape(spec.shortname)}</original_course_shortname>\n` +
    `    <original_course_startdate>${BASE_TIME - 60 * DAY}</original_course_startdate>\n` +
    `    <original_course_contextid>${4000 + spec.courseId}</original_course_contextid>\n` +
    `    <original_system_contextid>1</original_system_contextid>\n` +
    `    <details>\n      <detail backup_id="${backupId}">\n        <type>course</type>\n        <format>moodle2</format>\n` +
    "        <interactive>1</interactive>\n        <mode>10</mode>\n        <execution>1</execution>\n        <executiontime>0</executiontime>\n      </detail>\n    </details>\n" +
    `    <contents>\n      <activities>\n${activities.join("")}      </activities>\n      <sections>\n${sections.join("")}      </sections>\n` +
    `      <course>\n        <courseid>${spec.courseId}</courseid>\n        <title>${xmlEscape(spec.shortname)}</title>\n        <directory>course</directory>\n      </course>\n    </contents>\n` +
    `    <settings>\n${settings.join("")}    </settings>\n  </information>\n</moodle_backup>`
  );
}

function backupLog(spec: CourseSpec, paths: string[]): string {
  const rand = prng(spec.seed ^ spec.exportTime);
  let t = spec.exportTime - 20;
  const lines = [`[${t}] backup started for course ${spec.courseId}`];
  for (const path of paths) {
    if (!path.endsWith(".xml")) continue;
    if (rand() < 0.3) t += 1;
    lines.push(`[${t}] processed ${path}`);
  }
  lines.push(`[${spec.exportTime}] backup finished`);
  return `${lines.join("\n")}\n`;
}

const STATIC_TOP_LEVEL: Record<string, string> = {
  "completion.xml": `${XML_HEAD}<course_completion>\n</course_completion>`,
  "gradebook.xml": `${XML_HEAD}<gradebook>\n  <attributes>\n  </attributes>\n  <grade_categories>\n  </grade_categories>\n</gradebook>`,
  "grade_history.xml": `${XML_HEAD}<grade_history>\n  <grade_grades>\n  </grade_grades>\n</grade_history>`,
  "groups.xml": `${XML_HEAD}<groups>\n  <groupings>\n  </groupings>\n</groups>`,
  "outcomes.xml": `${XML_HEAD}<outcomes_definition>\n</outcomes_definition>`,
  "roles.xml": `${XML_HEAD}<roles_definition>\n  <role id="5">\n    <name></name>\n    <shortname>student</shortname>\n    <archetype>student</archetype>\n  </role>\n</roles_definition>`,
  "scales.xml": `${XML_HEAD}<scales_definition>\n</scales_definition>`,
};

/**
 * Render a backup: the entries Moodle would put in the .mbz, in a Moodle-like order, every
 * entry stamped with the export time. `seed` overrides spec.seed for the per-export noise.
 */
export function generateCourse(spec: CourseSpec, seed: number = spec.seed): CourseEntry[] {
  const s: CourseSpec = seed === spec.seed ? spec : { ...spec, seed };
  const mtime = new Date(s.exportTime * 1000);
  const files = new Map<string, () => Buffer>();
  const dirs = new Set<string>();
  const addFile = (path: string, make: () => Buffer) => {
    for (let cut = path.lastIndexOf("/"); cut > 0; cut = path.lastIndexOf("/", cut - 1))
      dirs.add(path.slice(0, cut));
    files.set(path, make);
  };
  const text = (value: string) => () => Buffer.from(value, "utf8");

  s.sections.forEach((section, number) => {
    for (const activity of section.activities) {
      const dir = `activities/${activity.mod}_${activity.id}`;
      addFile(`${dir}/module.xml`, text(moduleXml(activity, section, number)));
      addFile(`${dir}/${activity.mod}.xml`, text(activityXml(activity)));
      addFile(`${dir}/inforef.xml`, text(inforefXml(activity)));
      addFile(
        `${dir}/grades.xml`,
        text(`${XML_HEAD}<activity_gradebook>\n  <grade_items>\n  </grade_items>\n</activity_gradebook>`),
      );
      addFile(
        `${dir}/roles.xml`,
        text(`${XML_HEAD}<roles>\n  <role_overrides>\n  </role_overrides>\n</roles>`),
      );
      addFile(
        `${dir}/filters.xml`,
        text(`${XML_HEAD}<filters>\n  <filter_actives>\n  </filter_actives>\n</filters>`),
      );
    }
  });
  s.sections.forEach((section, number) => {
    addFile(`sections/section_${section.id}/section.xml`, text(sectionXml(section, number)));
    addFile(`sections/section_${section.id}/inforef.xml`, text(`${XML_HEAD}<inforef>\n</inforef>`));
  });
  addFile("course/course.xml", text(courseXml(s)));
  addFile("course/inforef.xml", text(`${XML_HEAD}<inforef>\n</inforef>`));
  addFile("course/roles.xml", text(`${XML_HEAD}<roles>\n  <role_overrides>\n  </role_overrides>\n</roles>`));

  // Content-addressed pool: files/<first 2 hex of sha1>/<sha1>, one copy per distinct content.
  const hashes = new Map<number, string>();
  const media = s.sections.flatMap((section) => section.activities.flatMap((a) => a.media));
  for (const m of media) {
    const bytes = mediaBytes(m);
    const sha1 = createHash("sha1").update(bytes).digest("hex");
    hashes.set(m.id, sha1);
    addFile(`files/${sha1.slice(0, 2)}/${sha1}`, () => mediaBytes(m));
  }
  addFile("files.xml", text(filesXml(s, hashes)));
  for (const [name, body] of Object.entries(STATIC_TOP_LEVEL)) addFile(name, text(body));
  addFile("questions.xml", text(`${XML_HEAD}<question_categories>\n</question_categories>`));
  addFile("moodle_backup.xml", text(moodleBackupXml(s)));
  const contentPaths = [...files.keys()];
  addFile("moodle_backup.log", text(backupLog(s, contentPaths)));

  // Sizes are needed by .ARCHIVE_INDEX; media sizes are known from the spec, text is cheap.
  const sizes = new Map<string, number>();
  for (const [path, make] of files) {
    const m = path.startsWith("files/") ? media.find((x) => hashes.get(x.id) === path.slice(-40)) : undefined;
    sizes.set(path, m ? m.size : make().length);
  }
  const ordered = [...dirs].sort();
  const indexLines = [
    ...ordered.map((d) => `${d}/\td\t0\t?`),
    ...[...files.keys()].map((p) => `${p}\tf\t${sizes.get(p)}\t${s.exportTime}`),
  ];
  const archiveIndex = `Moodle archive file index. Count: ${indexLines.length}\n${indexLines.join("\n")}\n`;

  const entries: CourseEntry[] = [
    {
      path: ".ARCHIVE_INDEX",
      type: "file",
      mode: 0o644,
      mtime,
      size: Buffer.byteLength(archiveIndex),
      data: text(archiveIndex),
    },
  ];
  for (const d of ordered)
    entries.push({ path: d, type: "dir", mode: 0o755, mtime, size: 0, data: () => Buffer.alloc(0) });
  for (const [path, make] of files) {
    entries.push({ path, type: "file", mode: 0o644, mtime, size: sizes.get(path)!, data: make });
  }
  return entries;
}

/** Write generated entries as an .mbz (zip, Moodle's default, or tar.gz as with enabletgzbackups). */
export async function writeCourse(
  entries: CourseEntry[],
  format: "zip" | "tar.gz" | "tar",
  path: string,
): Promise<WriteResult> {
  const byPath = new Map(entries.map((e) => [e.path, e]));
  return writeArchive(path, format, entries, (entry) => Readable.from([byPath.get(entry.path)!.data()]));
}

export interface ScenarioFiles {
  name: ScenarioName;
  description: string;
  old?: string;
  new: string;
}

/** Write one scenario pair to `dir` as old.mbz / new.mbz (the benchmark's entry point). */
export async function writeScenario(
  scenario: Scenario,
  dir: string,
  format: "zip" | "tar.gz" = "zip",
): Promise<ScenarioFiles> {
  await mkdir(dir, { recursive: true });
  const result: ScenarioFiles = {
    name: scenario.name,
    description: scenario.description,
    new: join(dir, "new.mbz"),
  };
  await writeCourse(generateCourse(scenario.new), format, result.new);
  if (scenario.old) {
    result.old = join(dir, "old.mbz");
    await writeCourse(generateCourse(scenario.old), format, result.old);
  }
  return result;
}

/** Write every scenario to `dir/<name>/{old,new}.mbz`. */
export async function writeScenarioPairs(
  dir: string,
  options: CourseOptions & { format?: "zip" | "tar.gz"; only?: ScenarioName[] } = {},
): Promise<ScenarioFiles[]> {
  const out: ScenarioFiles[] = [];
  for (const scenario of scenarios(options)) {
    if (options.only && !options.only.includes(scenario.name)) continue;
    out.push(await writeScenario(scenario, join(dir, scenario.name), options.format ?? "zip"));
  }
  return out;
}

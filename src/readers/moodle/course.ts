// An extracted Moodle backup (2.x–5.x) as a course: moodle_backup.xml lists sections and
// activities, sections/*/section.xml names and orders them, activities/*/module.xml says what a
// learner may see, and each activity's own XML is read only when it is opened. A broken part is
// recorded as a problem and left out; the rest of the course still works.
import { dirname } from "node:path";
import { ReaderError } from "../errors.js";
import { CourseTree, safeRelative } from "../tree.js";
import type {
  ActivitySummary,
  OpenOptions,
  ReaderProblem,
  Section,
  SectionItem,
  UnnamedSection,
} from "../types.js";
import { activityContent } from "./activities/index.js";
import { type ActivityContext, richText } from "./context.js";
import { defaultFileUrl, MoodleFiles } from "./files.js";
import type { MoodleActivity, MoodleCourse } from "./model.js";
import { type CourseFormat, defaultSectionName, unnamedSection } from "./sections.js";
import { int, list, obj, path, readXml, text, type XmlNode } from "./xml.js";

/** Module types that exist in a backup but are not on the course page (Moodle 5's question banks). */
const NOT_ON_COURSE_PAGE = new Set(["qbank"]);

interface ListedActivity extends ActivitySummary {
  directory: string;
  /** Shown on the course page (visible and not "available but not shown"). */
  listed: boolean;
}

interface SectionRecord {
  id: string;
  number: number;
  name: string;
  unnamed: UnnamedSection | undefined;
  summaryHtml: string;
  visible: boolean;
  sequence: string[];
  /** Moodle 4.5+ subsections: the module id of the subsection this section belongs to. */
  parentModuleId: string;
}

function problemOf(err: unknown, file: string, activityId?: string): ReaderProblem {
  const message = err instanceof Error ? err.message : String(err);
  return {
    file: err instanceof ReaderError && err.file ? err.file : file,
    message,
    ...(activityId ? { activityId } : {}),
  };
}

class MoodleCourseReader {
  readonly tree: CourseTree;
  readonly files: MoodleFiles;
  readonly problems: ReaderProblem[] = [];
  private courseContextId = "";
  private format: CourseFormat = { format: "topics", moodleVersion: 0, startDate: 0 };
  private names: Promise<Map<string, string>> | undefined;

  constructor(root: string, options: OpenOptions) {
    this.tree = new CourseTree(root);
    this.files = new MoodleFiles(this.tree, options.fileUrl ?? defaultFileUrl);
  }

  /** Run one step; a failure becomes a problem and the step's fallback. */
  private async attempt<T>(
    file: string,
    step: () => Promise<T>,
    fallback: T,
    activityId?: string,
  ): Promise<T> {
    try {
      return await step();
    } catch (err) {
      this.problems.push(problemOf(err, file, activityId));
      return fallback;
    }
  }

  async open(): Promise<MoodleCourse> {
    const info = path(await readXml(this.tree, "moodle_backup.xml"), "moodle_backup", "information");
    await this.attempt("files.xml", () => this.files.load(), undefined);
    const title = await this.readCourseFormat(info);
    const contents = path(info, "contents");
    const activities = await this.readActivities(list(path(contents, "activities").activity));
    const records = await this.readSections(list(path(contents, "sections").section));
    for (const a of activities.filter((x) => !records.some((r) => r.id === x.sectionId))) {
      this.problems.push({
        file: `${a.directory}/module.xml`,
        message: `is in no section of the backup`,
        activityId: a.id,
      });
    }
    const labels = await this.readLabels(activities);
    const sectionOf = (r: SectionRecord): Section => this.section(r, activities, labels, records);
    const byId = new Map(activities.map((a) => [a.id, a]));
    const summary = ({ directory: _d, listed: _l, ...a }: ListedActivity): ActivitySummary => a;
    return {
      format: "moodle",
      title,
      sections: records.filter((r) => r.parentModuleId === "").map(sectionOf),
      activities: activities.map(summary),
      problems: this.problems,
      activity: async (id) => {
        const a = byId.get(id);
        if (!a?.visible)
          throw new ReaderError("not-found", "moodle_backup.xml", `no activity ${JSON.stringify(id)}`);
        if (a.type !== "subsection") return this.activity(a);
        const r = records.find((s) => s.parentModuleId === id.split("_").pop());
        if (!r) throw new ReaderError("missing-file", a.directory, "has no section of its own");
        return { ...summary(a), introHtml: "", type: "subsection", section: sectionOf(r) };
      },
      resolveFile: (key) => this.files.resolve(key),
      richText: (value, format, area) => richText(this.files, value, format, area),
      questionFileUrl: (area, path) => this.files.findLink(area, path)?.url ?? null,
    };
  }

  /** The course's title, format and start date; moodle_backup.xml repeats them for backups without course.xml. */
  private async readCourseFormat(info: XmlNode): Promise<string> {
    const course = (await this.tree.exists("course/course.xml"))
      ? await this.attempt("course/course.xml", () => readXml(this.tree, "course/course.xml"), {})
      : {};
    const c = obj(course.course);
    this.courseContextId = text(c["@contextid"]) || text(info.original_course_contextid);
    this.format = {
      format: text(c.format) || text(info.original_course_format) || "topics",
      moodleVersion: Number(text(info.moodle_version)) || 0,
      startDate: int(c.startdate) || int(info.original_course_startdate),
    };
    return text(c.fullname) || text(info.original_course_fullname);
  }

  private async readActivities(entries: XmlNode[]): Promise<ListedActivity[]> {
    const out: ListedActivity[] = [];
    for (const a of entries) {
      const directory = safeRelative(text(a.directory));
      const moduleId = text(a.moduleid);
      const type = text(a.modulename);
      if (!directory || !/^\d+$/.test(moduleId) || !/^[a-z][a-z0-9_]*$/.test(type)) {
        this.problems.push({
          file: "moodle_backup.xml",
          message: `activity ${JSON.stringify(text(a.title))} has a bad directory or type`,
        });
        continue;
      }
      const id = `${type}_${moduleId}`;
      const module = await this.attempt(
        `${directory}/module.xml`,
        () => readXml(this.tree, `${directory}/module.xml`),
        null,
        id,
      );
      if (!module) continue;
      const m = obj(module.module);
      const visible = text(m.visible) !== "0";
      out.push({
        id,
        type,
        name: text(a.title),
        visible,
        sectionId: text(a.sectionid) || text(m.sectionid),
        directory,
        listed: visible && text(m.visibleoncoursepage) !== "0" && !NOT_ON_COURSE_PAGE.has(type),
      });
    }
    return out;
  }

  private async readSections(entries: XmlNode[]): Promise<SectionRecord[]> {
    const out: SectionRecord[] = [];
    for (const [i, s] of entries.entries()) {
      const id = text(s.sectionid);
      const directory = safeRelative(text(s.directory));
      const file = `${directory ?? "sections/?"}/section.xml`;
      const doc = directory ? await this.attempt(file, () => readXml(this.tree, file), {}) : {};
      const x = obj(doc.section);
      const number = int(x.number, i);
      out.push({
        id,
        number,
        name: text(x.name) || defaultSectionName(number, this.format),
        unnamed: text(x.name) ? undefined : unnamedSection(number, this.format),
        summaryHtml: richText(this.files, text(x.summary), text(x.summaryformat), {
          contextid: this.courseContextId,
          component: "course",
          filearea: "section",
          itemid: id,
        }),
        visible: text(x.visible) !== "0",
        sequence: text(x.sequence).split(",").filter(Boolean),
        parentModuleId: text(s.parentcmid),
      });
    }
    return out.sort((a, b) => a.number - b.number);
  }

  /** Labels are shown inline on the course page, so their text is read with the course. */
  private async readLabels(activities: ListedActivity[]): Promise<Map<string, string>> {
    const html = new Map<string, string>();
    for (const a of activities.filter((x) => x.type === "label" && x.listed)) {
      const label = await this.attempt(`${a.directory}/label.xml`, () => this.activity(a), null, a.id);
      if (label?.type === "label") html.set(a.id, label.html);
    }
    return html;
  }

  /**
   * A section with its items. A subsection's own section is read into its item, one level
   * deep as Moodle allows (`records` is empty for it), so a backup whose subsections name each
   * other cannot loop.
   */
  private section(
    r: SectionRecord,
    activities: ListedActivity[],
    labels: Map<string, string>,
    records: SectionRecord[] = [],
  ): Section {
    const inSection = activities.filter((a) => a.sectionId === r.id);
    // The section's sequence is the teacher's order; anything it misses follows in backup order.
    const rank = (a: ListedActivity) => {
      const i = r.sequence.indexOf(a.id.split("_").pop()!);
      return i >= 0 ? i : r.sequence.length + activities.indexOf(a);
    };
    const items: SectionItem[] = [];
    for (const a of inSection.sort((x, y) => rank(x) - rank(y))) {
      if (!a.listed || !r.visible) continue;
      if (a.type === "label") {
        const html = labels.get(a.id);
        if (html !== undefined) items.push({ kind: "text", id: a.id, html });
        continue;
      }
      const { directory: _d, listed: _l, ...activity } = a;
      const item = { kind: "activity" as const, activity: { ...activity, visible: a.visible && r.visible } };
      const own =
        a.type === "subsection" ? records.find((s) => s.parentModuleId === a.id.split("_").pop()) : undefined;
      items.push(own ? { ...item, subsection: this.section(own, activities, labels) } : item);
    }
    const named = r.unnamed ? { name: r.name, unnamed: r.unnamed } : { name: r.name };
    return { id: r.id, ...named, summaryHtml: r.summaryHtml, visible: r.visible, items };
  }

  /** users.xml read once, when an activity first needs a name; without it, names are "". */
  private userNames(): Promise<Map<string, string>> {
    this.names ??= (async () => {
      const names = new Map<string, string>();
      if (!(await this.tree.exists("users.xml"))) return names;
      const doc = await this.attempt("users.xml", () => readXml(this.tree, "users.xml"), {});
      for (const u of list(obj(doc.users).user)) {
        names.set(text(u["@id"]), `${text(u.firstname)} ${text(u.lastname)}`.trim());
      }
      return names;
    })();
    return this.names;
  }

  private async activity(a: ListedActivity): Promise<MoodleActivity> {
    const file = `${a.directory}/${a.type}.xml`;
    const root = obj((await readXml(this.tree, file)).activity);
    const ctx: ActivityContext = {
      tree: this.tree,
      files: this.files,
      id: a.id,
      type: a.type,
      directory: a.directory,
      contextid: text(root["@contextid"]),
      body: obj(root[a.type]),
      userNames: () => this.userNames(),
    };
    const { directory: _d, listed: _l, ...summary } = a;
    const quiz = async () => ({
      directory: dirname((await this.tree.file(file)).path),
      questionsXml: (await this.tree.exists("questions.xml"))
        ? (await this.tree.file("questions.xml")).path
        : null,
    });
    return activityContent(summary, ctx, quiz);
  }
}

/** Open an extracted Moodle backup. Rejects only when moodle_backup.xml itself is unusable. */
export function openMoodleCourse(root: string, options: OpenOptions = {}): Promise<MoodleCourse> {
  return new MoodleCourseReader(root, options).open();
}

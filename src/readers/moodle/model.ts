// The Moodle course model: what each activity type gives a page to render. All HTML is the
// course's own (untrusted: render it under a no-script policy) with files rewritten to references
// and TeX rendered to MathML.
import type { ActivitySummary, Course, FileLink, Section } from "../types.js";
import type { ChoiceForm } from "./activities/choice.js";
import type { FeedbackForm } from "./activities/feedback.js";
import type { LessonPage } from "./activities/lesson.js";
import type { FileArea } from "./files.js";

export interface BookChapter {
  id: string;
  title: string;
  /** Subchapters belong to the chapter before them. */
  subchapter: boolean;
  html: string;
  previousId: string | null;
  nextId: string | null;
}

export interface GlossaryEntry {
  id: string;
  concept: string;
  definitionHtml: string;
  aliases: string[];
  categories: string[];
  attachments: FileLink[];
}

export interface ForumPost {
  id: string;
  parentId: string | null;
  subject: string;
  messageHtml: string;
  created: Date | null;
  userId: string;
  /** "" when the backup was made without users. */
  authorName: string;
  attachments: FileLink[];
}

export interface ForumDiscussion {
  id: string;
  name: string;
  /** Posts in thread order: each reply follows its parent. */
  posts: ForumPost[];
}

export interface ImscpItem {
  title: string;
  /** The page the item opens, when it has one. */
  file: FileLink | null;
  children: ImscpItem[];
}

export interface QuizSlot {
  slot: number;
  page: number;
  maxMark: number;
  /** Moodle 2.x–3.x point at a question id; 4.x+ at a question bank entry (a version, or the latest). */
  question:
    | { kind: "question"; questionId: string }
    | { kind: "bank-entry"; questionBankEntryId: string; version: number | null }
    | { kind: "random"; filter: string };
}

interface Base extends ActivitySummary {
  introHtml: string;
}

export type MoodleActivity =
  | (Base & { type: "page"; contentHtml: string })
  | (Base & { type: "label"; html: string })
  | (Base & { type: "url"; externalUrl: string })
  | (Base & { type: "resource"; main: FileLink | null; files: FileLink[] })
  | (Base & { type: "folder"; files: FileLink[] })
  | (Base & { type: "book"; chapters: BookChapter[] })
  | (Base & { type: "glossary"; entries: GlossaryEntry[]; groups: { letter: string; entryIds: string[] }[] })
  | (Base & { type: "forum"; discussions: ForumDiscussion[] })
  | (Base & { type: "lesson"; pages: LessonPage[]; firstPageId: string | null })
  | (Base & { type: "assign"; attachments: FileLink[]; submissionTypes: string[] })
  | (Base & { type: "imscp"; organization: ImscpItem[]; files: FileLink[] })
  | (Base & { type: "choice"; form: ChoiceForm })
  | (Base & { type: "feedback"; form: FeedbackForm })
  | (Base & {
      type: "quiz";
      /** Absolute, checked path of activities/quiz_N (quiz.xml and the quiz's own question bank). */
      directory: string;
      /** Absolute, checked path of the course's questions.xml, or null when the backup has none. */
      questionsXml: string | null;
      slots: QuizSlot[];
    })
  | (Base & { type: "h5pactivity"; package: FileLink | null })
  | (Base & { type: "scorm"; package: FileLink | null; version: string })
  | (Base & { type: "subsection"; section: Section })
  /** A type this reader does not open: its name and description still show. */
  | (Base & { type: "other"; moodleType: string });

/** A Moodle course: the common model plus the text helper the quiz engine uses for question texts. */
export interface MoodleCourse extends Course<MoodleActivity> {
  /**
   * Any Moodle text field as a page shows it: text format applied, @@PLUGINFILE@@ links of `area`
   * rewritten to file references, TeX rendered to MathML.
   */
  richText(value: string, format: string, area: FileArea): string;
  /** The reference of a file a quiz question links (its area without the context), or null. */
  questionFileUrl(area: Omit<FileArea, "contextid">, path: string): string | null;
}

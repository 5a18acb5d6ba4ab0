// The one interface every course format implements (moodle, imscc, imscp, …): an
// installed course tree (a directory) in, a course model out. Readers know nothing of HTTP: text
// they return carries file references built by the caller's `fileUrl`, and `resolveFile` turns a
// reference back into a checked path inside the tree.

/** A file inside an installed course: where its bytes are and what to call them. */
export interface ResolvedFile {
  /** Absolute path, checked (realpath) to lie inside the course tree. */
  path: string;
  filename: string;
  mimetype: string;
  size: number;
}

/** One embedded file as the course names it: a stable key plus what a page needs to link it. */
export interface FileLink {
  /** Stable across course updates; pass it to `Course.resolveFile`. */
  key: string;
  /** What the caller's `fileUrl` made of the key (an href for pages). */
  url: string;
  filename: string;
  /** Folder inside the activity's file area, "/" or "/posters/". */
  filepath: string;
  mimetype: string;
  size: number;
}

export interface OpenOptions {
  /**
   * Turns a file key into the reference written into returned HTML (default: `file:` + the key,
   * URI-encoded per segment). The hotspot passes a function that makes its own URL.
   */
  fileUrl?: (key: string) => string;
  /**
   * Turns an activity id into the reference written into returned HTML where one page of the
   * course links another (default: `activity:` + the id, URI-encoded).
   */
  activityUrl?: (id: string) => string;
}

/** A section of the course page. */
/** The LMS's own name for an unnamed section, by kind (Moodle: see readers/moodle/sections.ts). */
export type UnnamedSection =
  | { kind: "general" }
  | { kind: "topic" | "section"; number: number }
  | { kind: "new-section" }
  /** Week `number`: its first and last day, in seconds (the dates are read in UTC). */
  | { kind: "week"; firstDay: number; lastDay: number };

export interface Section {
  /** Stable across course updates (the LMS's own section id). */
  id: string;
  /** The teacher's name, or the LMS's own name for an unnamed section (in English). */
  name: string;
  /** Set when the teacher gave no name: what the LMS's own name is, to say it in another language. */
  unnamed?: UnnamedSection;
  summaryHtml: string;
  visible: boolean;
  /** What the course page shows, in order: inline text (labels) and links to activities. */
  items: SectionItem[];
}

export type SectionItem =
  | { kind: "text"; id: string; html: string }
  | {
      kind: "activity";
      activity: ActivitySummary;
      /** An activity that holds a section of its own (Moodle 4.5+ subsections): what is in it. */
      subsection?: Section;
    };

export interface ActivitySummary {
  /** Stable across course updates: use it in URLs and bookmarks. */
  id: string;
  /** The format's own type name (Moodle: "page", "book", "quiz", …). */
  type: string;
  name: string;
  /** False for activities a learner may not open; they are never listed in a section. */
  visible: boolean;
  sectionId: string;
}

/** Something in the course could not be read; the rest of the course still works. */
export interface ReaderProblem {
  /** Path inside the tree of the file that was wrong. */
  file: string;
  message: string;
  /** The activity it belongs to, when it belongs to one. */
  activityId?: string;
}

export interface Course<A = unknown> {
  /** The reader that opened it ("moodle", …). */
  format: string;
  title: string;
  sections: Section[];
  /** Every activity the course lists, shown or not, in course order. */
  activities: ActivitySummary[];
  /** Parts that could not be read (a broken activity, a missing section file). */
  problems: ReaderProblem[];
  /** One activity with its per-type content. Rejects with a ReaderError for unknown or hidden ids. */
  activity(id: string): Promise<A>;
  /** A file key (from a FileLink or from the HTML) to its bytes, or a ReaderError. */
  resolveFile(key: string): Promise<ResolvedFile>;
}

export interface CourseReader<A = unknown> {
  format: string;
  /** Is the tree in this format? Looks at content, never at names the tree was given. */
  detect(tree: string): Promise<boolean>;
  open(tree: string, options?: OpenOptions): Promise<Course<A>>;
}

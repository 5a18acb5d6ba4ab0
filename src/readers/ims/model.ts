// The course model of IMS packages (Common Cartridge, content packages): what each kind of
// resource gives a page. Type names are the ones the hotspot already labels (page, resource,
// url, forum, quiz). All HTML is the package's own (untrusted: render it under a no-script
// policy) with links rewritten to file and activity references and TeX rendered to MathML.
import type { Attempt } from "../moodle/quiz/attempt.js";
import type { ActivitySummary, Course, FileLink } from "../types.js";

interface Base extends ActivitySummary {
  /** The manifest resource it opens, as the manifest names it. */
  resourceType: string;
}

export type ImsActivity =
  /** Web content in HTML: its body shown inline. */
  | (Base & { type: "page"; html: string; file: FileLink })
  /** Web content that is not HTML (a PDF, a picture, a recording). */
  | (Base & { type: "resource"; files: FileLink[] })
  /** A cartridge web link: it leaves the hotspot, so it needs internet. */
  | (Base & { type: "url"; externalUrl: string })
  /** A cartridge discussion topic: its prompt, read-only (there is no one to discuss with offline). */
  | (Base & { type: "forum"; html: string; attachments: FileLink[] })
  /** A QTI assessment, as questions of the offline quiz engine. */
  | (Base & { type: "quiz"; questionCount: number; attempt(seed: number): Attempt })
  /** A resource kind this reader does not open (an LTI tool, …): its name still shows. */
  | (Base & { type: "other" });

export type ImsCourse = Course<ImsActivity>;

// The IMS Common Cartridge reader (1.0–1.3, and Canvas's exports of them): web content as pages,
// web links, discussion topics read-only, QTI assessments as quizzes. The manifest and course
// building are shared with IMS content packages (../ims/).
import { detectManifest, type ImsProfile, openImsCourse } from "../ims/course.js";
import type { Manifest } from "../ims/manifest.js";
import type { ImsActivity } from "../ims/model.js";
import type { ResourceKind } from "../ims/resources.js";
import type { CourseReader } from "../types.js";

const isHtml = (path: string) => /\.html?$/i.test(path);

/** Cartridge resource types (the version part, v1p0…v1p3, varies) to what a learner sees. */
function kindOf(type: string, entry: string): ResourceKind | null {
  if (type === "webcontent") return { type: isHtml(entry) ? "page" : "resource" };
  if (/^imswl_xmlv1p\d$/.test(type)) return { type: "url" };
  if (/^imsdt_xmlv1p\d$/.test(type)) return { type: "forum" };
  if (/^imsqti_xmlv1p2\/imscc_xmlv1p\d\/assessment$/.test(type)) return { type: "quiz" };
  // Canvas exports assignments as "learning application resources" with an HTML description.
  if (/^associatedcontent\/imscc_xmlv1p\d\/learning-application-resource$/.test(type))
    return isHtml(entry) ? { type: "page" } : null;
  // LTI tools need their server; question banks are not shown by themselves.
  if (/^imsbasiclti_xmlv1p\d$|^imsblti/.test(type)) return { type: "other" };
  return null;
}

export function isCartridge(m: Manifest): boolean {
  return /common cartridge/i.test(m.schema) || /imsglobal\.org\/xsd\/imscc(v\d+p\d+)?\//.test(m.namespace);
}

const profile: ImsProfile = { format: "imscc", kindOf };

export const imsccReader: CourseReader<ImsActivity> = {
  format: "imscc",
  detect: (tree) => detectManifest(tree, isCartridge),
  open: (tree, options) => openImsCourse(tree, profile, options),
};

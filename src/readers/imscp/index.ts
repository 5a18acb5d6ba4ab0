// The IMS content package reader: the organization as the course page, each item's resource shown
// as a page (HTML) or a file. SCORM packages are content packages too, but their pages need the
// SCORM runtime: they are left to the SCORM reader. Shares ../ims/ with the cartridge reader.
import { detectManifest, type ImsProfile, openImsCourse } from "../ims/course.js";
import type { ImsActivity } from "../ims/model.js";
import { isCartridge } from "../imscc/index.js";
import type { CourseReader } from "../types.js";

const profile: ImsProfile = {
  format: "imscp",
  kindOf: (_type, entry) => ({ type: /\.html?$/i.test(entry) ? "page" : "resource" }),
};

export const imscpReader: CourseReader<ImsActivity> = {
  format: "imscp",
  detect: (tree) => detectManifest(tree, (m) => !m.scorm && !isCartridge(m)),
  open: (tree, options) => openImsCourse(tree, profile, options),
};

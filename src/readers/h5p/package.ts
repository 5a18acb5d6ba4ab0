// An unzipped H5P package: h5p.json (title, main library, the libraries it needs), the content in
// content/content.json, and one folder per library ("H5P.DragText-1.8/library.json"). Everything
// is checked before a player is given the package, so a broken one fails here with the file and
// the field named, not as a blank frame on a phone.
import { z } from "zod";
import { describeIssues } from "../../util/issues.js";
import { ReaderError } from "../errors.js";
import type { CourseTree } from "../tree.js";

/** h5p.json is a few KB; content.json holds texts, so it may be larger, but not unbounded. */
const MAX_H5P_JSON = 256 * 1024;
const MAX_CONTENT_JSON = 16 * 1024 * 1024;

const machineName = z
  .string()
  .regex(/^[A-Za-z][\w.-]{0,126}$/, "must be a library's machine name such as H5P.DragText");
const versionPart = z.union([z.string().regex(/^\d{1,4}$/), z.number().int().min(0).max(9999)]);

const dependency = z.object({
  machineName,
  majorVersion: versionPart,
  minorVersion: versionPart,
});

/** The fields a player needs; H5P's other fields (license, authors, …) pass through unchecked. */
export const h5pJsonSchema = z.object({
  title: z.string().trim().min(1, "must not be empty").max(1000),
  language: z.string().max(20).optional(),
  mainLibrary: machineName,
  embedTypes: z
    .array(z.enum(["div", "iframe"]))
    .min(1)
    .optional(),
  preloadedDependencies: z.array(dependency).min(1, "must name at least the main library"),
});

export interface H5pLibraryRef {
  machineName: string;
  majorVersion: number;
  minorVersion: number;
  /** The library's folder in the package: "H5P.DragText-1.8". */
  folder: string;
}

export interface H5pPackage {
  title: string;
  language: string;
  mainLibrary: H5pLibraryRef;
  dependencies: H5pLibraryRef[];
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ReaderError("invalid", file, `is not JSON (${(err as Error).message})`, err);
  }
}

/**
 * Read and check the package whose h5p.json is at the tree's root: h5p.json valid, content.json
 * JSON, and every library h5p.json names present with its library.json. Throws ReaderError.
 */
export async function readH5pPackage(tree: CourseTree): Promise<H5pPackage> {
  const raw = parseJson(await tree.text("h5p.json", MAX_H5P_JSON), "h5p.json");
  const checked = h5pJsonSchema.safeParse(raw);
  if (!checked.success)
    throw new ReaderError(
      "invalid",
      "h5p.json",
      `is not a valid H5P package: ${describeIssues(checked.error, "(file)")}`,
    );
  const h5p = checked.data;
  parseJson(await tree.text("content/content.json", MAX_CONTENT_JSON), "content/content.json");
  const dependencies = h5p.preloadedDependencies.map((d) => {
    const [majorVersion, minorVersion] = [Number(d.majorVersion), Number(d.minorVersion)];
    return {
      machineName: d.machineName,
      majorVersion,
      minorVersion,
      folder: `${d.machineName}-${majorVersion}.${minorVersion}`,
    };
  });
  const main = dependencies.find((d) => d.machineName === h5p.mainLibrary);
  if (!main)
    throw new ReaderError(
      "invalid",
      "h5p.json",
      `mainLibrary ${JSON.stringify(h5p.mainLibrary)} is not among preloadedDependencies`,
    );
  for (const d of dependencies) {
    if (!(await tree.exists(`${d.folder}/library.json`)))
      throw new ReaderError(
        "missing-file",
        `${d.folder}/library.json`,
        `is missing: the package does not include library ${d.folder}, which h5p.json needs`,
      );
  }
  return { title: h5p.title.trim(), language: h5p.language ?? "und", mainLibrary: main, dependencies };
}

// The H5P reader over the real DragText package from the corpus (unzipped as the agent installs
// it) and over packages made here with one thing wrong each; the .h5p extraction cache over the
// real file and over a hostile zip.
import { existsSync } from "node:fs";
import { mkdir, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { extractArchive } from "../../src/archive/index.js";
import { extractH5p, h5pReader, readerFor } from "../../src/readers/index.js";
import { tempDir } from "../agent/helpers.js";
import { makeZip, patchBytes } from "../archive/helpers.js";
import { CORPUS_DIR } from "../support/corpus.js";

const DRAGTEXT = join(CORPUS_DIR, "H5P.DragText@859ed559.h5p");
const present = existsSync(DRAGTEXT);
if (!present) console.warn(`skipping the corpus H5P tests: ${DRAGTEXT} is absent`);

let dir: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  dir = await tempDir("hc-h5p-reader-");
});
afterAll(() => dir?.remove());

const GOOD_H5P_JSON = {
  title: "Colours",
  mainLibrary: "H5P.Colours",
  preloadedDependencies: [{ machineName: "H5P.Colours", majorVersion: "1", minorVersion: "2" }],
};

/** A package tree made on disk: h5p.json as given, content.json and the libraries named. */
async function packageTree(name: string, files: Record<string, string>): Promise<string> {
  const root = join(dir.path, name);
  const all = {
    "content/content.json": "{}",
    "H5P.Colours-1.2/library.json": "{}",
    ...files,
  };
  for (const [path, text] of Object.entries(all)) {
    await mkdir(join(root, path, ".."), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

describe.skipIf(!present)("the DragText package as a course", () => {
  it("is detected as H5P and shows its title and one activity", async () => {
    const tree = join(dir.path, "dragtext");
    await extractArchive(DRAGTEXT, tree);
    expect((await readerFor(tree))?.format).toBe("h5p");
    const course = await h5pReader.open(tree);
    expect(course.title).toBe("Drag the Words");
    expect(course.sections).toHaveLength(1);
    expect(course.sections[0]!.items).toEqual([
      {
        kind: "activity",
        activity: { id: "content", type: "h5p", name: "Drag the Words", visible: true, sectionId: "h5p" },
      },
    ]);
    const activity = await course.activity("content");
    expect(activity.package.mainLibrary).toEqual({
      machineName: "H5P.DragText",
      majorVersion: 1,
      minorVersion: 8,
      folder: "H5P.DragText-1.8",
    });
    expect(activity.package.dependencies.map((d) => d.folder)).toEqual([
      "H5P.DragText-1.8",
      "jQuery.ui-1.10",
      "FontAwesome-4.5",
      "H5P.JoubelUI-1.3",
      "H5P.Transition-1.0",
      "Drop-1.0",
      "Tether-1.0",
      "H5P.FontIcons-1.0",
      "H5P.Question-1.4",
    ]);
    await expect(course.activity("other")).rejects.toThrow('h5p.json: no activity "other"');
  });

  it("extracts a .h5p once into a folder named by its SHA-256, and reuses it", async () => {
    const cache = join(dir.path, "cache");
    const first = await extractH5p(DRAGTEXT, cache, "H5P.DragText.h5p");
    expect(first).toBe(join(cache, "ac067f193e68bd28ed6e19cb66f95abf63ad049235a5292b75a184a4f92ed427"));
    const before = (await stat(first)).mtimeMs;
    expect(await extractH5p(DRAGTEXT, cache, "H5P.DragText.h5p")).toBe(first);
    expect((await stat(first)).mtimeMs).toBe(before);
    expect(await readdir(cache)).toEqual([first.split("/").pop()]);
    expect((await h5pReader.open(first)).title).toBe("Drag the Words");
  });
});

describe("packages with one thing wrong", () => {
  const cases: [string, Record<string, string>, string][] = [
    ["not-json", { "h5p.json": "{title:" }, "h5p.json: is not JSON"],
    [
      "no-title",
      { "h5p.json": JSON.stringify({ ...GOOD_H5P_JSON, title: " " }) },
      "h5p.json: is not a valid H5P package: title: must not be empty",
    ],
    [
      "bad-library-name",
      { "h5p.json": JSON.stringify({ ...GOOD_H5P_JSON, mainLibrary: "../../etc" }) },
      "h5p.json: is not a valid H5P package: mainLibrary: must be a library's machine name such as H5P.DragText",
    ],
    [
      "main-not-listed",
      { "h5p.json": JSON.stringify({ ...GOOD_H5P_JSON, mainLibrary: "H5P.Other" }) },
      'h5p.json: mainLibrary "H5P.Other" is not among preloadedDependencies',
    ],
    [
      "library-missing",
      {
        "h5p.json": JSON.stringify({
          ...GOOD_H5P_JSON,
          preloadedDependencies: [
            ...GOOD_H5P_JSON.preloadedDependencies,
            { machineName: "H5P.Question", majorVersion: 1, minorVersion: 4 },
          ],
        }),
      },
      "H5P.Question-1.4/library.json: is missing: the package does not include library H5P.Question-1.4, which h5p.json needs",
    ],
    [
      "content-not-json",
      { "h5p.json": JSON.stringify(GOOD_H5P_JSON), "content/content.json": "<html>" },
      "content/content.json: is not JSON",
    ],
  ];
  for (const [name, files, message] of cases) {
    it(`${name}: a ReaderError naming the file and field`, async () => {
      const root = await packageTree(name, files);
      const error = await h5pReader.open(root).then(
        () => null,
        (err: Error) => err,
      );
      expect(error?.name).toBe("ReaderError");
      expect(error?.message.startsWith(message)).toBe(true);
    });
  }

  it("a valid one opens", async () => {
    const root = await packageTree("good", { "h5p.json": JSON.stringify(GOOD_H5P_JSON) });
    expect((await h5pReader.open(root)).title).toBe("Colours");
  });

  it("a .h5p with a path climbing out is refused and leaves nothing in the cache", async () => {
    const zip = patchBytes(
      await makeZip([
        { name: "h5p.json", data: Buffer.from(JSON.stringify(GOOD_H5P_JSON)) },
        { name: "xx/evil.txt", data: Buffer.from("x") },
      ]),
      "xx/evil",
      "../evil",
    );
    const file = join(dir.path, "climb.h5p");
    await writeFile(file, zip);
    const cache = join(dir.path, "climb-cache");
    await expect(extractH5p(file, cache, "climb.h5p")).rejects.toThrow(
      /^climb\.h5p: is not a usable \.h5p package \(/,
    );
    expect(existsSync(join(dir.path, "evil.txt"))).toBe(false);
    expect(await readdir(cache)).toEqual([]);
  });

  it("a .h5p holding a symlink is refused", async () => {
    const zip = await makeZip([
      { name: "h5p.json", data: Buffer.from(JSON.stringify(GOOD_H5P_JSON)) },
      { name: "content/link", data: Buffer.from("/etc/passwd"), mode: 0o120777 },
    ]);
    const file = join(dir.path, "link.h5p");
    await writeFile(file, zip);
    await expect(extractH5p(file, join(dir.path, "link-cache"), "link.h5p")).rejects.toThrow(
      /^link\.h5p: is not a usable \.h5p package \(.*symlink/i,
    );
  });
});

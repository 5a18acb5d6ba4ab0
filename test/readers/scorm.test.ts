// The SCORM reader on real and made packages: the version told from the manifest, the
// organization as a table of contents with each SCO's launch (parameters kept), and hrefs that
// try to leave the package (../, absolute, a symlink out, a URL) refused as problems, never files.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { extractArchive } from "../../src/archive/index.js";
import { openCourse, readerFor } from "../../src/readers/index.js";
import { readScormPackage, unpackPackage } from "../../src/readers/scorm/index.js";
import { tempDir } from "../agent/helpers.js";
import { courseTree } from "../hotspot/helpers.js";
import { CORPUS_DIR } from "../support/corpus.js";
import { manifest, twoScoPackage } from "../support/scorm.js";

const BASIC = join(CORPUS_DIR, "singlescobasic@733a3274.zip");
let dir: Awaited<ReturnType<typeof tempDir>>;

beforeAll(async () => {
  dir = await tempDir("hc-scorm-reader-");
});
afterAll(async () => {
  await dir?.remove();
});

describe.skipIf(!existsSync(BASIC))("the corpus SCORM 1.2 package", () => {
  it("is a SCORM 1.2 course of one package with one SCO launching shared/launchpage.html", async () => {
    const tree = join(dir.path, "basic");
    await extractArchive(BASIC, tree);
    expect((await readerFor(tree))?.format).toBe("scorm");
    const course = await openCourse(tree);
    expect(course.format).toBe("scorm");
    expect(course.title).toBe("Golf Explained - Run-time Basic Calls");
    expect(course.activities.map((a) => [a.id, a.type])).toEqual([["package", "scorm"]]);
    const pkg = await readScormPackage(tree);
    expect(pkg.version).toBe("1.2");
    expect(pkg.scos).toEqual([
      {
        id: "item_1",
        title: "Golf Explained",
        file: "shared/launchpage.html",
        query: "",
        scormType: "sco",
        launchData: "",
        masteryScore: null,
      },
    ]);
    expect(pkg.problems).toEqual([]);
  });

  it("unpacks the zip once into a directory named by its SHA-256", async () => {
    const cache = join(dir.path, "cache");
    const first = await unpackPackage(BASIC, cache, "singlescobasic.zip");
    expect(first).toBe(join(cache, "abd5edb6cc69585e710f64d0ecf8f500c736947282245b1243e6705540939051"));
    expect(await unpackPackage(BASIC, cache, "singlescobasic.zip")).toBe(first);
    expect(existsSync(join(first, "imsmanifest.xml"))).toBe(true);
  });
});

describe("made SCORM packages", () => {
  it("a 2004 package of two SCOs: both in the table of contents, parameters on the launch", async () => {
    const c = await courseTree(dir.path, "two-sco", twoScoPackage());
    const pkg = await readScormPackage(c.treePath);
    expect(pkg.version).toBe("2004");
    expect(pkg.title).toBe("Hand washing");
    expect(pkg.toc.map((i) => [i.id, i.title, i.sco?.file, i.sco?.query])).toEqual([
      ["sco_wash", "Washing hands", "wash/index.html", "?lang=en"],
      ["sco_dry", "Drying hands", "dry/index.html", ""],
    ]);
  });

  it("hrefs that leave the package are problems and launch nothing", async () => {
    const c = await courseTree(dir.path, "hostile", {
      "imsmanifest.xml": manifest("1.2", "Hostile", [
        { id: "up", title: "Up", href: "../../etc/passwd" },
        { id: "abs", title: "Absolute", href: "/etc/passwd" },
        { id: "link", title: "Link", href: "out.html" },
        { id: "web", title: "Web", href: "http://example.org/x.html" },
        { id: "ok", title: "Fine", href: "ok.html" },
      ]),
      "out.html": { symlink: "/etc/hostname" },
      "ok.html": "<p>ok</p>",
    });
    const pkg = await readScormPackage(c.treePath);
    expect(pkg.scos.map((s) => s.id)).toEqual(["ok"]);
    expect(pkg.problems.map((p) => p.message)).toEqual([
      'item "up" launches "../../etc/passwd": not a plain path inside the package',
      'item "abs" launches "/etc/passwd": not a plain path inside the package',
      'item "link" launches "out.html": resolves outside the package',
      'item "web" launches "http://example.org/x.html": an address outside the package (needs internet)',
    ]);
  });

  it("a package zip holding a symlink is refused, naming the entry, and nothing is unpacked", async () => {
    const src = join(dir.path, "bad-src");
    await mkdir(src, { recursive: true });
    await writeFile(
      join(src, "imsmanifest.xml"),
      manifest("1.2", "Bad", [{ id: "a", title: "A", href: "link" }]),
    );
    await symlink("/etc/passwd", join(src, "link"));
    const zip = join(dir.path, "bad.zip");
    execFileSync("zip", ["-qry", zip, "imsmanifest.xml", "link"], { cwd: src });
    const cache = join(dir.path, "bad-cache");
    await expect(unpackPackage(zip, cache, "bad.zip")).rejects.toThrow(/^bad\.zip: entry "link": /);
    expect(await readdir(cache)).toEqual([]);
  });

  it("a Common Cartridge manifest is not SCORM: the cartridge reader takes it", async () => {
    const c = await courseTree(dir.path, "cc", {
      "imsmanifest.xml": `<?xml version="1.0"?><manifest identifier="m" xmlns="http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"><metadata><schema>IMS Common Cartridge</schema><schemaversion>1.1.0</schemaversion></metadata><organizations/><resources/></manifest>`,
    });
    expect((await readerFor(c.treePath))?.format).toBe("imscc");
  });
});

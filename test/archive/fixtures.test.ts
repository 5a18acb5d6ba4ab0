// The Moodle-like fixture generator produces what each scenario claims.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { deflateRawSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentHash, detectFormat, type Manifest, readManifest } from "../../src/archive/index.js";
import {
  type CourseEntry,
  fullCourse,
  generateCourse,
  type Scenario,
  scenarios,
  writeCourse,
  writeScenarioPairs,
} from "../fixtures/moodle.js";
import { run, sandbox, sha256 } from "./helpers.js";

const box = sandbox();
afterAll(() => box.cleanup());

const STAMPED = ["moodle_backup.xml", "moodle_backup.log", ".ARCHIVE_INDEX"];
const SCALE = 0.05; // ~0.5 MB courses keep this file fast

function byPath(entries: CourseEntry[]): Map<string, CourseEntry> {
  return new Map(entries.map((e) => [e.path, e]));
}

function xmlOf(entries: CourseEntry[], path: string): string {
  const entry = byPath(entries).get(path);
  if (!entry) throw new Error(`no ${path}`);
  return entry.data().toString("utf8");
}

/** Paths whose content differs between two generated courses (both present). */
function changedPaths(a: CourseEntry[], b: CourseEntry[]): string[] {
  const old = byPath(a);
  return b
    .filter((e) => e.type === "file" && old.has(e.path) && !old.get(e.path)!.data().equals(e.data()))
    .map((e) => e.path)
    .sort();
}

function sectionOrder(backupXml: string): string[] {
  return [...backupXml.matchAll(/<section>\s*<sectionid>(\d+)<\/sectionid>/g)].map((m) => m[1]!);
}

describe("generateCourse", () => {
  const spec = fullCourse({ seed: 11, scale: SCALE });
  const entries = generateCourse(spec);

  it("is deterministic: same seed, same bytes; another seed, another course", () => {
    const again = generateCourse(fullCourse({ seed: 11, scale: SCALE }));
    expect(again.map((e) => [e.path, e.size, sha256(e.data())])).toEqual(
      entries.map((e) => [e.path, e.size, sha256(e.data())]),
    );
    const other = generateCourse(fullCourse({ seed: 12, scale: SCALE }));
    const hash = (list: CourseEntry[]) =>
      contentHash(list.filter((e) => e.type === "file").map((e) => ({ ...e, sha256: sha256(e.data()) })));
    expect(hash(other)).not.toBe(hash(entries));
  });

  it("has the Moodle backup layout, consistent with moodle_backup.xml", () => {
    const paths = new Set(entries.map((e) => e.path));
    for (const required of ["moodle_backup.xml", "course/course.xml", "files.xml", ".ARCHIVE_INDEX"]) {
      expect(paths).toContain(required);
    }
    const backup = xmlOf(entries, "moodle_backup.xml");
    expect(backup).toContain(`<original_course_fullname>${spec.fullname}</original_course_fullname>`);
    expect(backup).toContain(`<backup_date>${spec.exportTime}</backup_date>`);
    const activityDirs = [...backup.matchAll(/<directory>(activities\/[a-z]+_\d+)<\/directory>/g)].map(
      (m) => m[1]!,
    );
    expect(activityDirs.length).toBe(spec.sections.reduce((n, s) => n + s.activities.length, 0));
    for (const dir of activityDirs) {
      const mod = dir.split("/")[1]!.split("_")[0]!;
      for (const file of ["module.xml", `${mod}.xml`, "inforef.xml"])
        expect(paths).toContain(`${dir}/${file}`);
    }
    const sectionDirs = [...backup.matchAll(/<directory>(sections\/section_\d+)<\/directory>/g)].map(
      (m) => m[1]!,
    );
    expect(sectionDirs).toHaveLength(spec.sections.length);
    for (const dir of sectionDirs) expect(paths).toContain(`${dir}/section.xml`);
    // .ARCHIVE_INDEX lists every other entry with its size.
    const index = xmlOf(entries, ".ARCHIVE_INDEX").trim().split("\n");
    expect(index[0]).toBe(`Moodle archive file index. Count: ${entries.length - 1}`);
    for (const e of entries.filter((x) => x.type === "file" && x.path !== ".ARCHIVE_INDEX")) {
      expect(index).toContain(`${e.path}\tf\t${e.size}\t${spec.exportTime}`);
    }
  });

  it("files.xml points at content-addressed files/<xx>/<sha1> whose bytes hash to that sha1", () => {
    const filesXml = xmlOf(entries, "files.xml");
    const records = [
      ...filesXml.matchAll(
        /<contenthash>([0-9a-f]{40})<\/contenthash>[\s\S]*?<component>([a-z_]+)<\/component>[\s\S]*?<filename>([^<]+)<\/filename>[\s\S]*?<filesize>(\d+)<\/filesize>\s*<mimetype>([^<]+)<\/mimetype>/g,
      ),
    ];
    expect(records.length).toBeGreaterThan(10);
    const all = byPath(entries);
    for (const [, sha1, component, , size, mimetype] of records) {
      const file = all.get(`files/${sha1!.slice(0, 2)}/${sha1}`);
      expect(file).toBeDefined();
      const bytes = file!.data();
      expect(createHash("sha1").update(bytes).digest("hex")).toBe(sha1);
      expect(bytes.length).toBe(Number(size));
      expect(component).toMatch(/^mod_(resource|page)$/);
      expect(mimetype).toMatch(/^(application\/pdf|image\/(jpeg|png)|video\/mp4)$/);
    }
  });

  it("media does not compress, XML does", () => {
    const ratio = (e: CourseEntry) => deflateRawSync(e.data()).length / e.size;
    const media = entries.filter((e) => e.path.startsWith("files/") && e.type === "file");
    const xml = entries.filter((e) => e.path.endsWith(".xml") && e.size > 2000);
    expect(media.every((e) => ratio(e) > 0.99)).toBe(true);
    expect(xml.length).toBeGreaterThan(10);
    expect(xml.every((e) => ratio(e) < 0.5)).toBe(true);
  });

  it("the size knob scales the media; the default course is 5–30 MB", () => {
    const total = (list: CourseEntry[]) => list.reduce((n, e) => n + e.size, 0);
    const media = (list: CourseEntry[]) => total(list.filter((e) => e.path.startsWith("files/")));
    const one = generateCourse(fullCourse({ seed: 11 }));
    const three = generateCourse(fullCourse({ seed: 11, scale: 3 }));
    expect(total(one)).toBeGreaterThan(5e6);
    expect(total(one)).toBeLessThan(30e6);
    expect(media(three) / media(one)).toBeCloseTo(3, 1);
  });
});

describe("scenarios", () => {
  const list = scenarios({ seed: 21, scale: SCALE });
  const get = (name: Scenario["name"]) => list.find((s) => s.name === name)!;
  const render = (name: Scenario["name"]) => {
    const s = get(name);
    return { old: s.old ? generateCourse(s.old) : [], next: generateCourse(s.new) };
  };

  it("are the seven of the research", () => {
    expect(list.map((s) => s.name)).toEqual([
      "full-download",
      "large-addition",
      "medium-addition",
      "small-addition",
      "small-text-change",
      "section-reorder",
      "no-change",
    ]);
    expect(get("full-download").old).toBeUndefined();
    expect(list.filter((s) => s.old).every((s) => s.new.exportTime > s.old!.exportTime)).toBe(true);
  });

  it("large and medium additions grow the course from 1 and 2 topic sections to 3", () => {
    for (const [name, before] of [
      ["large-addition", 1],
      ["medium-addition", 2],
    ] as const) {
      const { old, next } = render(name);
      expect(sectionOrder(xmlOf(old, "moodle_backup.xml"))).toHaveLength(before + 1);
      expect(sectionOrder(xmlOf(next, "moodle_backup.xml"))).toHaveLength(4);
      const newPaths = new Set(next.map((e) => e.path));
      expect(old.every((e) => newPaths.has(e.path))).toBe(true); // nothing removed
      const added = next.filter((e) => !old.some((o) => o.path === e.path));
      expect(added.some((e) => e.path.startsWith("files/"))).toBe(true); // new media arrives
    }
    const large = render("large-addition");
    const medium = render("medium-addition");
    const size = (l: CourseEntry[]) => l.reduce((n, e) => n + e.size, 0);
    expect(size(large.next) - size(large.old)).toBeGreaterThan(size(medium.next) - size(medium.old));
  });

  it("small addition adds exactly one URL module and touches only its section", () => {
    const { old, next } = render("small-addition");
    const oldPaths = new Set(old.map((e) => e.path));
    const added = next.filter((e) => !oldPaths.has(e.path)).map((e) => e.path);
    expect(added.every((p) => p.startsWith("activities/url_900"))).toBe(true);
    expect(added).toContain("activities/url_900/url.xml");
    expect(xmlOf(next, "activities/url_900/url.xml")).toContain("<externalurl>https://example.org/");
    expect(changedPaths(old, next)).toEqual([...STAMPED, "sections/section_42/section.xml"].sort());
  });

  it("small text change edits one page by one sentence", () => {
    const { old, next } = render("small-text-change");
    const changed = changedPaths(old, next).filter((p) => !STAMPED.includes(p));
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatch(/^activities\/page_\d+\/page\.xml$/);
    const before = xmlOf(old, changed[0]!);
    const after = xmlOf(next, changed[0]!);
    expect(after.length - before.length).toBe(
      " Wash hands with soap for at least twenty seconds before preparing food.".length,
    );
  });

  it("section reorder keeps the same entries and swaps topics 2 and 3", () => {
    const { old, next } = render("section-reorder");
    expect(next.map((e) => e.path).sort()).toEqual(old.map((e) => e.path).sort());
    const [o, n] = [
      sectionOrder(xmlOf(old, "moodle_backup.xml")),
      sectionOrder(xmlOf(next, "moodle_backup.xml")),
    ];
    expect(n).toEqual([o[0], o[1], o[3], o[2]]);
    expect(xmlOf(next, `sections/section_${o[3]}/section.xml`)).toContain("<number>2</number>");
    // Media and activity bodies are untouched; only numbering and the stamps change.
    const changed = changedPaths(old, next).filter((p) => !STAMPED.includes(p));
    expect(changed.every((p) => /section\.xml$|module\.xml$/.test(p))).toBe(true);
    expect(changed.some((p) => p.endsWith("module.xml"))).toBe(true);
  });

  it("no change: a re-export differs only in Moodle's export stamps and entry timestamps", () => {
    const { old, next } = render("no-change");
    expect(next.map((e) => e.path)).toEqual(old.map((e) => e.path));
    expect(changedPaths(old, next)).toEqual([...STAMPED].sort());
    const oldTimes = new Set(old.map((e) => e.mtime.getTime()));
    expect(next.every((e) => !oldTimes.has(e.mtime.getTime()))).toBe(true);
  });
});

describe("written scenario archives", () => {
  let zipManifests: { old: Manifest; next: Manifest };

  beforeAll(async () => {
    const s = scenarios({ seed: 21, scale: SCALE }).find((x) => x.name === "no-change")!;
    const oldPath = join(box.dir, "old.mbz");
    const newPath = join(box.dir, "new.mbz");
    await writeCourse(generateCourse(s.old!), "zip", oldPath);
    await writeCourse(generateCourse(s.new), "zip", newPath);
    zipManifests = { old: await readManifest(oldPath), next: await readManifest(newPath) };
  });

  it("no change: the content hash differs only through the stamped entries", () => {
    const { old, next } = zipManifests;
    expect(next.contentHash).not.toBe(old.contentHash); // moodle_backup.xml carries the export time
    const unstamped = (m: Manifest) => contentHash(m.entries.filter((e) => !STAMPED.includes(e.path)));
    expect(unstamped(next)).toBe(unstamped(old));
  });

  it("zip and tar.gz flavours hold the same content; writing is byte-for-byte reproducible", async () => {
    const entries = generateCourse(scenarios({ seed: 21, scale: SCALE })[6]!.old!);
    const a = join(box.dir, "a.mbz");
    const b = join(box.dir, "b.mbz");
    const c = join(box.dir, "c.mbz");
    await writeCourse(entries, "tar.gz", a);
    await writeCourse(entries, "tar.gz", b);
    await writeCourse(entries, "zip", c);
    expect(await detectFormat(a)).toBe("tar.gz");
    expect(sha256(readFileSync(a))).toBe(sha256(readFileSync(b)));
    expect((await readManifest(a)).contentHash).toBe(zipManifests.old.contentHash);
    expect((await readManifest(c)).contentHash).toBe(zipManifests.old.contentHash);
    expect(run("unzip", ["-t", c])).toMatch(/No errors detected/);
  });

  it("writeScenarioPairs writes old/new pairs (the benchmark's entry point)", async () => {
    const dir = join(box.dir, "pairs");
    const written = await writeScenarioPairs(dir, {
      seed: 3,
      scale: 0.02,
      format: "tar.gz",
      only: ["full-download", "section-reorder"],
    });
    expect(written.map((w) => w.name)).toEqual(["full-download", "section-reorder"]);
    expect(written[0]!.old).toBeUndefined();
    expect(written[1]!.old).toBe(join(dir, "section-reorder", "old.mbz"));
    expect(run("tar", ["tzf", written[1]!.new])).toContain("moodle_backup.xml");
  });
});

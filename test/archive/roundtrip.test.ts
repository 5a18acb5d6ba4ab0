import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ArchiveFormat,
  contentHash,
  directorySource,
  extractArchive,
  type Manifest,
  openArchive,
  readEntries,
  readManifest,
  writeArchive,
} from "../../src/archive/index.js";
import { fullCourse, generateCourse, writeCourse } from "../fixtures/moodle.js";
import { listAll, run, sandbox, sha256, treeHashes } from "./helpers.js";

const box = sandbox();
afterAll(() => box.cleanup());

const FORMATS: ArchiveFormat[] = ["zip", "tar", "tar.gz"];

describe("round trip of a generated course", () => {
  const course = generateCourse(fullCourse({ seed: 3, scale: 0.05 }));
  const expected = new Map(course.filter((e) => e.type === "file").map((e) => [e.path, sha256(e.data())]));
  const source: Record<string, string> = {};

  beforeAll(async () => {
    for (const format of FORMATS) {
      source[format] = join(box.dir, `course.${format}`);
      await writeCourse(course, format, source[format]);
    }
  });

  for (const from of FORMATS) {
    for (const to of FORMATS) {
      it(`${from} → ${to}: same content hash, valid for the system tools, byte-identical entries`, async () => {
        const original = await readManifest(source[from]!);
        expect(original.format).toBe(from);
        const work = join(box.dir, `${from}-to-${to}`);
        mkdirSync(work);
        await extractArchive(source[from]!, join(work, "tree"));
        const out = join(work, `rebuilt.${to}`);
        const written = await writeArchive(out, to, original.entries, directorySource(join(work, "tree")));
        expect(written.contentHash).toBe(original.contentHash);

        const rebuilt = await readManifest(out);
        expect(rebuilt.format).toBe(to);
        expect(rebuilt.contentHash).toBe(original.contentHash);
        // Modes and mtimes survive (mtime to the second; zip's DOS field is the fallback only).
        const before = new Map(original.entries.map((e) => [e.path, e]));
        for (const e of rebuilt.entries) {
          expect(e.mode).toBe(before.get(e.path)!.mode);
          expect(Math.abs(e.mtime.getTime() - before.get(e.path)!.mtime.getTime())).toBeLessThan(1000);
        }

        // Real tools as oracles: integrity check, then unpack and compare every byte.
        const unpacked = join(work, "unpacked");
        mkdirSync(unpacked);
        if (to === "zip") {
          expect(run("unzip", ["-t", out])).toMatch(/No errors detected/);
          run("unzip", ["-q", out, "-d", unpacked]);
        } else {
          run("tar", [to === "tar.gz" ? "tzf" : "tf", out]);
          run("tar", [to === "tar.gz" ? "xzf" : "xf", out, "-C", unpacked]);
        }
        expect(treeHashes(unpacked)).toEqual(expected);
      });
    }
  }

  it("the content hash does not depend on the container", async () => {
    const hashes = await Promise.all(FORMATS.map(async (f) => (await readManifest(source[f]!)).contentHash));
    expect(new Set(hashes).size).toBe(1);
    expect(hashes[0]).toMatch(/^hc1:[0-9a-f]{64}$/);
  });

  it("media is stored, XML is deflated in a rebuilt zip", async () => {
    const listing = run("unzip", ["-v", source.zip!]);
    const media = listing.split("\n").filter((l) => / files\/[0-9a-f]{2}\/[0-9a-f]{40}$/.test(l));
    const xml = listing.split("\n").filter((l) => /\.xml$/.test(l));
    expect(media.length).toBeGreaterThan(0);
    expect(media.every((l) => /\bStored\b/.test(l))).toBe(true);
    expect(xml.every((l) => /\bDefl:N\b/.test(l))).toBe(true);
  });
});

describe("archives made by the system zip and tar", () => {
  let tree: string;
  let oracle: Map<string, string>;

  beforeAll(() => {
    tree = join(box.dir, "tree-src");
    mkdirSync(join(tree, "course/sub"), { recursive: true });
    mkdirSync(join(tree, "empty"));
    writeFileSync(join(tree, "course/a.xml"), "<a>hello</a>\n".repeat(200));
    writeFileSync(
      join(tree, "course/sub/b.bin"),
      Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256)),
    );
    writeFileSync(join(tree, "course/empty.txt"), "");
    writeFileSync(join(tree, "top level ünïcode.txt"), "unicode name\n");
    symlinkSync("sub/b.bin", join(tree, "course/link"));
    oracle = treeHashes(tree);
  });

  const cases: [string, (out: string) => void][] = [
    ["zip -r -y", (out) => run("zip", ["-q", "-r", "-y", out, "."], tree)],
    ["zip -r -D (no directory entries)", (out) => run("zip", ["-q", "-r", "-y", "-D", out, "."], tree)],
    ["tar cf", (out) => run("tar", ["cf", out, "."], tree)],
    ["tar czf", (out) => run("tar", ["czf", out, "."], tree)],
  ];

  const manifests: Manifest[] = [];
  cases.forEach(([label, make], index) => {
    it(`${label}: entries, types, symlink and bytes read correctly`, async () => {
      const out = join(box.dir, `sys-${index}.course`); // an extension that says nothing on purpose
      make(out);
      const manifest = await readManifest(out);
      const files = manifest.entries.filter((e) => e.type === "file");
      expect(new Map(files.map((e) => [e.path, e.sha256]))).toEqual(oracle);
      const link = manifest.entries.find((e) => e.path === "course/link");
      expect(link).toMatchObject({ type: "symlink", linkTarget: "sub/b.bin", sha256: sha256("sub/b.bin") });
      if (!label.includes("-D"))
        expect(manifest.entries.find((e) => e.path === "empty")).toMatchObject({ type: "dir" });
      expect(manifest.entries.every((e) => !e.path.startsWith("./") && !e.path.endsWith("/"))).toBe(true);
      manifests[index] = manifest;
    });
  });

  it("the same content hash whoever made the archive; implied directory entries do not count, empty ones do", () => {
    const [zipWithDirs, zipWithoutDirs, plainTar, gzTar] = manifests;
    expect(zipWithDirs!.contentHash).toBe(plainTar!.contentHash);
    expect(gzTar!.contentHash).toBe(plainTar!.contentHash);
    // zip -D leaves out every directory entry, so the empty directory is gone: a different tree.
    expect(zipWithoutDirs!.contentHash).not.toBe(plainTar!.contentHash);
    expect(zipWithoutDirs!.contentHash).toBe(
      contentHash(plainTar!.entries.filter((e) => e.path !== "empty")),
    );
  });

  it("extraction recreates the tree, symlink included, and nothing else", async () => {
    const out = join(box.dir, "sys.tgz");
    run("tar", ["czf", out, "."], tree);
    const dest = join(box.dir, "not/yet/there/extracted-sys"); // parents are created
    const manifest = await extractArchive(out, dest);
    expect(treeHashes(dest)).toEqual(oracle);
    expect(listAll(dest)).toEqual(listAll(tree));
    expect(readFileSync(join(dest, "course/link")).equals(readFileSync(join(tree, "course/sub/b.bin")))).toBe(
      true,
    );
    expect(manifest.contentHash).toBe((await readManifest(out)).contentHash);
  });
});

describe("streaming reader contract", () => {
  it("skips entries that are not opened and reads later ones correctly (tar.gz)", async () => {
    const course = generateCourse(fullCourse({ seed: 5, scale: 0.02 }));
    const path = join(box.dir, "skip.tar.gz");
    await writeCourse(course, "tar.gz", path);
    const want = new Map(course.filter((e) => e.type === "file").map((e) => [e.path, sha256(e.data())]));
    let i = 0;
    let checked = 0;
    for await (const entry of readEntries(path)) {
      if (entry.type !== "file") continue;
      if (i++ % 2 === 0) continue; // skip every other file without opening it
      const bytes = Buffer.concat(await entry.open().toArray());
      expect(sha256(bytes)).toBe(want.get(entry.path));
      checked++;
    }
    expect(checked).toBeGreaterThan(10);
  });

  it("refuses to advance past an entry that was opened but not read", async () => {
    const path = join(box.dir, "unread.tar");
    await writeArchive(
      path,
      "tar",
      [
        { path: "a", type: "file", size: 70000, mode: 0o644, mtime: new Date() },
        { path: "b", type: "file", size: 1, mode: 0o644, mtime: new Date() },
      ],
      (e) => Readable.from([Buffer.alloc(e.size, 1)]),
    );
    const run = async () => {
      for await (const entry of readEntries(path)) entry.open();
    };
    await expect(run()).rejects.toThrow(/opened but not read to the end/);
  });
});

describe("openArchive: entries by path as a content source", () => {
  const course = generateCourse(fullCourse({ seed: 9, scale: 0.02 }));
  const want = new Map(course.filter((e) => e.type === "file").map((e) => [e.path, sha256(e.data())]));

  for (const format of FORMATS) {
    it(`${format}: reads entries in any order and rebuilds another format from them`, async () => {
      const src = join(box.dir, `open-src.${format}`);
      await writeCourse(course, format, src);
      const opened = await openArchive(src);
      try {
        expect(opened.format).toBe(format);
        const files = opened.entries.filter((e) => e.type === "file");
        // Reverse order: the worst case for a tar cursor, free for zip.
        for (const e of [...files].reverse().slice(0, 8)) {
          const bytes = Buffer.concat(await (await opened.open(e.path)).toArray());
          expect(sha256(bytes)).toBe(want.get(e.path));
        }
        const target = format === "zip" ? "tar.gz" : "zip";
        const out = join(box.dir, `open-out-${format}.${target}`);
        const reordered = [...opened.entries].sort((a, b) => (a.path < b.path ? 1 : -1));
        const result = await writeArchive(out, target, reordered, opened.source);
        expect(result.contentHash).toBe((await readManifest(src)).contentHash);
      } finally {
        await opened.close();
      }
      await expect(opened.open("no/such/entry")).rejects.toThrow(/no entry/);
    });
  }
});

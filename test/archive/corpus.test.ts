// Real course exports from ../shared/corpus (read in place, never copied into the repo).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { directorySource, extractArchive, readManifest, writeArchive } from "../../src/archive/index.js";
import { CORPUS_DIR as CORPUS, corpusPresent as present } from "../support/corpus.js";
import { run, sandbox } from "./helpers.js";

if (!present) console.warn(`corpus tests skipped: ${CORPUS} is absent`);

// The archives at the top level (folders such as moodle51/ have tests of their own).
const files = present
  ? readdirSync(CORPUS, { withFileTypes: true })
      .filter((f) => f.isFile() && !f.name.endsWith(".md"))
      .map((f) => f.name)
      .sort()
  : [];

// Container per the corpus README's provenance table.
const EXPECTED_FORMAT: Record<string, string> = { "STACK-demo@05f7ebf4.mbz": "tar.gz" };

// "what changed" column of the corpus README: entries of NEW that are new or differ from OLD.
const PAIRS: [string, string, number, number][] = [
  ["STACK-demo@0934172d.mbz", "STACK-demo@2887ec43.mbz", 61, 362],
  ["STACK-demo@709b94ef.mbz", "STACK-demo@0781e3a4.mbz", 458 - 386 + 8, 458],
  ["qtype_coderunner@f41c4d12.zip", "qtype_coderunner@9da4546b.zip", 2, 508],
  ["H5P.DragText@77231c0d.h5p", "H5P.DragText@859ed559.h5p", 49, 148],
  ["singlesco_scorm12@733a3274.zip", "singlescobasic@733a3274.zip", 3, 46],
];

describe.skipIf(!present)("real corpus archives", () => {
  const box = sandbox();
  afterAll(() => box.cleanup());

  it.each(files)("%s: format and file list agree with unzip / tar", async (name) => {
    const path = join(CORPUS, name);
    const manifest = await readManifest(path);
    expect(manifest.format).toBe(EXPECTED_FORMAT[name] ?? "zip");
    const listing =
      manifest.format === "zip"
        ? run("unzip", ["-Z1", path])
        : run("tar", [manifest.format === "tar.gz" ? "tzf" : "tf", path]);
    const toolFiles = listing
      .split("\n")
      .filter((l) => l !== "" && !l.endsWith("/"))
      .map((l) => l.replace(/^\.\//, ""))
      .sort();
    const ours = manifest.entries
      .filter((e) => e.type === "file")
      .map((e) => e.path)
      .sort();
    expect(ours).toEqual(toolFiles);
  });

  it.each(PAIRS)(
    "%s → %s: the changed entries the corpus README states",
    async (old, next, changed, total) => {
      const [a, b] = await Promise.all([readManifest(join(CORPUS, old)), readManifest(join(CORPUS, next))]);
      const before = new Map(a.entries.filter((e) => e.type === "file").map((e) => [e.path, e.sha256]));
      const after = b.entries.filter((e) => e.type === "file");
      expect(after).toHaveLength(total);
      expect(after.filter((e) => before.get(e.path) !== e.sha256)).toHaveLength(changed);
      expect(a.contentHash).not.toBe(b.contentHash);
    },
  );

  // One archive per family keeps this under a few seconds; every file is parsed above.
  const rebuilt = files.filter((f, i) => files.findIndex((g) => g.split("@")[0] === f.split("@")[0]) === i);
  rebuilt.push(...files.filter((f) => f === "STACK-demo@0934172d.mbz")); // the zip flavour of the Moodle course

  it.each(rebuilt)(
    "%s: rebuilt in its own format with the same content hash, valid for unzip/tar",
    async (name) => {
      const path = join(CORPUS, name);
      const manifest = await readManifest(path);
      const tree = join(box.dir, `${name}.d`);
      await extractArchive(path, tree);
      const out = join(box.dir, `${name}.rebuilt`);
      const result = await writeArchive(out, manifest.format, manifest.entries, directorySource(tree));
      expect(result.contentHash).toBe(manifest.contentHash);
      expect((await readManifest(out)).contentHash).toBe(manifest.contentHash);
      if (manifest.format === "zip") expect(run("unzip", ["-t", out])).toMatch(/No errors detected/);
      else run("tar", ["tzf", out]);
    },
  );
});

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  contentHash,
  EMPTY_SHA256,
  type HashableEntry,
  InvalidManifestError,
  manifestFromJson,
  manifestToJson,
  readManifest,
  UnsafePathError,
  type WritableEntry,
  writeArchive,
} from "../../src/archive/index.js";
import { makeZip, sandbox, sha256 } from "./helpers.js";

const box = sandbox();
afterAll(() => box.cleanup());

const file = (path: string, content: string): HashableEntry => ({
  path,
  type: "file",
  size: Buffer.byteLength(content),
  sha256: sha256(content),
});

describe("contentHash over manifest entries", () => {
  const base = [file("a.xml", "<a/>"), file("dir/b.bin", "bbbb"), file("dir/c.txt", "c")];
  const h = contentHash(base);

  it("has the versioned format", () => {
    expect(h).toMatch(/^hc1:[0-9a-f]{64}$/);
  });

  it("ignores entry order", () => {
    expect(contentHash([...base].reverse())).toBe(h);
  });

  it("changes when a byte, a path, a size, a type or the entry set changes", () => {
    const variants = [
      [file("a.xml", "<b/>"), base[1]!, base[2]!],
      [file("A.xml", "<a/>"), base[1]!, base[2]!],
      [{ ...base[0]!, size: 5 }, base[1]!, base[2]!],
      [{ ...base[0]!, type: "symlink" as const }, base[1]!, base[2]!],
      [base[0]!, base[1]!],
      [...base, file("new.txt", "")],
      [...base, { path: "empty", type: "dir" as const, size: 0, sha256: EMPTY_SHA256 }],
    ];
    const hashes = variants.map((v) => contentHash(v));
    expect(hashes).not.toContain(h);
    expect(new Set(hashes).size).toBe(variants.length);
  });

  it("ignores directory entries implied by other entries, counts empty ones", () => {
    const dir = { path: "dir", type: "dir" as const, size: 0, sha256: EMPTY_SHA256 };
    expect(contentHash([...base, dir])).toBe(h);
    expect(contentHash([...base, { ...dir, path: "other" }])).not.toBe(h);
  });

  it("sorts by UTF-8 bytes, so the encoding is unambiguous for paths that share prefixes", () => {
    // Moving bytes between path and content must change the hash (length-prefixed encoding).
    expect(contentHash([file("ab", "c")])).not.toBe(contentHash([file("a", "bc")]));
    expect(contentHash([file("a/b", "x"), file("a.b", "x")])).toBe(
      contentHash([file("a.b", "x"), file("a/b", "x")]),
    );
  });

  it("refuses duplicate paths and malformed sha256", () => {
    expect(() => contentHash([base[0]!, base[0]!])).toThrow(/duplicate/);
    expect(() => contentHash([{ ...base[0]!, sha256: "xyz" }])).toThrow(/bad sha256/);
  });

  it("property: any permutation gives the same hash, any single change a different one", () => {
    const entryArb = fc.record({
      path: fc.stringMatching(/^[a-z]{1,6}(\/[a-z]{1,6}){0,2}$/),
      content: fc.string({ maxLength: 20 }),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(entryArb, { selector: (e) => e.path, minLength: 1, maxLength: 12 }),
        fc.nat(),
        (raw, seed) => {
          // Drop entries whose path is a prefix directory of another (a file cannot also be a directory).
          const items = raw.filter((e) => !raw.some((o) => o.path.startsWith(`${e.path}/`)));
          const entries = items.map((e) => file(e.path, e.content));
          const shuffled = [...entries];
          for (let k = shuffled.length - 1; k > 0; k--) {
            const j = (seed + k * 7919) % (k + 1);
            [shuffled[k], shuffled[j]] = [shuffled[j]!, shuffled[k]!];
          }
          expect(contentHash(shuffled)).toBe(contentHash(entries));
          const i = seed % entries.length;
          const changed = entries.map((e, j) => (j === i ? file(e.path, `${items[j]!.content}!`) : e));
          expect(contentHash(changed)).not.toBe(contentHash(entries));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("contentHash of real archives", () => {
  const entries: WritableEntry[] = [
    { path: "course", type: "dir", size: 0, mode: 0o755, mtime: new Date("2020-01-01T00:00:00Z") },
    { path: "course/a.xml", type: "file", size: 3000, mode: 0o644, mtime: new Date("2020-01-01T00:00:00Z") },
    { path: "course/b.bin", type: "file", size: 4096, mode: 0o600, mtime: new Date("2020-01-01T00:00:00Z") },
  ];
  const bytes = new Map([
    ["course/a.xml", Buffer.from("<x>hello</x>".repeat(250))],
    ["course/b.bin", Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31) & 255))],
  ]);
  const source = (e: WritableEntry) => Readable.from([bytes.get(e.path)!]);

  it("is independent of compression level, entry order, timestamps and modes", async () => {
    const a = await writeArchive(join(box.dir, "a.zip"), "zip", entries, source, { compressionLevel: 9 });
    const reordered = [...entries]
      .reverse()
      .map((e) => ({ ...e, mtime: new Date("2024-06-01T12:00:00Z"), mode: 0o777 }));
    const b = await writeArchive(join(box.dir, "b.zip"), "zip", reordered, source, { compressionLevel: 1 });
    const c = await writeArchive(join(box.dir, "c.zip"), "zip", entries, source, { compressionLevel: 0 });
    const d = await writeArchive(join(box.dir, "d.tar.gz"), "tar.gz", reordered, source, {
      compressionLevel: 9,
    });
    const manifests = await Promise.all([a, b, c, d].map((r) => readManifest(r.path)));
    const sizes = new Set([a, b, c].map((r) => r.bytes));
    expect(sizes.size).toBe(3); // genuinely different archives...
    expect(new Set(manifests.map((m) => m.contentHash)).size).toBe(1); // ...with the same content
    expect(manifests[0]!.contentHash).toBe(a.contentHash);
  });

  it("changes when one byte inside one entry changes", async () => {
    const a = await makeZip([
      { name: "x.txt", data: Buffer.from("hello world") },
      { name: "y.txt", data: Buffer.from("y") },
    ]);
    const b = await makeZip([
      { name: "x.txt", data: Buffer.from("hello World") },
      { name: "y.txt", data: Buffer.from("y") },
    ]);
    writeFileSync(join(box.dir, "x1.zip"), a);
    writeFileSync(join(box.dir, "x2.zip"), b);
    const [m1, m2] = await Promise.all([
      readManifest(join(box.dir, "x1.zip")),
      readManifest(join(box.dir, "x2.zip")),
    ]);
    expect(m1.contentHash).not.toBe(m2.contentHash);
    expect(m1.entries.find((e) => e.path === "y.txt")!.sha256).toBe(
      m2.entries.find((e) => e.path === "y.txt")!.sha256,
    );
  });
});

describe("manifest JSON", () => {
  it("round-trips through JSON and refuses tampering", async () => {
    const path = join(box.dir, "json.zip");
    writeFileSync(
      path,
      await makeZip([
        { name: "a/", dir: true },
        { name: "a/x.txt", data: Buffer.from("x") },
        { name: "a/y.txt", data: Buffer.from("y") },
      ]),
    );
    const manifest = await readManifest(path);
    const json = JSON.parse(JSON.stringify(manifestToJson(manifest)));
    expect(manifestFromJson(json)).toEqual(manifest);

    const tampered = structuredClone(json);
    tampered.entries[1].sha256 = "f".repeat(64);
    expect(() => manifestFromJson(tampered, "agent upload")).toThrow(InvalidManifestError);
    expect(() => manifestFromJson(tampered, "agent upload")).toThrow(
      /agent upload: contentHash .* does not match/,
    );

    const escaping = structuredClone(json);
    escaping.entries[1].path = "../x.txt";
    expect(() => manifestFromJson(escaping)).toThrow(UnsafePathError);

    const unnormalized = structuredClone(json);
    unnormalized.entries[1].path = "./a/x.txt";
    expect(() => manifestFromJson(unnormalized)).toThrow(/not normalized/);

    expect(() => manifestFromJson({ ...json, entries: "nope" })).toThrow(/invalid manifest at entries/);
  });
});

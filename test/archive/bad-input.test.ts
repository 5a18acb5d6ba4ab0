import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import {
  type ArchiveError,
  ArchiveLimitError,
  ContentMismatchError,
  CorruptArchiveError,
  DuplicateEntryError,
  EncryptedEntryError,
  extractArchive,
  type ReadLimits,
  readManifest,
  TruncatedArchiveError,
  UnknownFormatError,
  UnsafePathError,
  UnsafeSymlinkError,
  UnsupportedEntryError,
  UnsupportedFormatError,
  type WritableEntry,
  writeArchive,
} from "../../src/archive/index.js";
import { listAll, makeTar, makeTarGz, makeZip, patchBytes, run, sandbox } from "./helpers.js";

const box = sandbox();
afterAll(() => box.cleanup());

type ErrorClass = new (...args: never[]) => ArchiveError;
let caseNumber = 0;

/**
 * The archive must be refused with `type`, naming the archive and the entry, both when
 * reading its manifest and when extracting it; extraction must leave nothing behind.
 */
async function expectRefused(
  bytes: Buffer,
  type: ErrorClass,
  entry: string | undefined,
  detail: RegExp,
  limits?: Partial<ReadLimits>,
): Promise<ArchiveError> {
  const dir = join(box.dir, `case-${++caseNumber}`);
  mkdirSync(dir);
  const archive = join(dir, "upload.bin"); // the name says nothing: detection is by content
  writeFileSync(archive, bytes);
  const options = limits ? { limits } : {};

  const err = await readManifest(archive, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  const archiveError = err as ArchiveError;
  expect(archiveError.archive).toBe(archive);
  expect(archiveError.entry).toBe(entry);
  expect(archiveError.message).toContain(archive);
  if (entry !== undefined) expect(archiveError.message).toContain(JSON.stringify(entry));
  expect(archiveError.message).toMatch(detail);

  const dest = join(dir, "out");
  await expect(extractArchive(archive, dest, options)).rejects.toBeInstanceOf(type);
  expect(listAll(dir)).toEqual(["upload.bin"]); // no destination, no staging directory
  expect(existsSync(join(box.dir, "evil.txt"))).toBe(false);
  expect(existsSync(join(tmpdir(), "hc-evil.txt"))).toBe(false);
  return archiveError;
}

const text = (s: string) => Buffer.from(s);

describe("zip slip and unsafe names", () => {
  it.each([
    ["../evil.txt", "xx/evil.txt", /"\.\." segment/],
    ["a/../../evil.txt", "a/xx/xx/evil.txt", /"\.\." segment/],
    ["..\\evil.txt", "xxxevil.txt", /"\.\." segment/],
    ["/tmp/hc-evil.txt", "tmpx/hc-evil.txt", /absolute path/],
    ["C:\\evil.txt", "Cxxevil.txt", /drive/],
    ["C:/evil.txt", "Cx/evil.txt", /drive/],
  ])("zip entry %j is refused", async (evil, placeholder, detail) => {
    const zip = await makeZip([
      { name: "fine.txt", data: text("ok") },
      { name: placeholder, data: text("pwned") },
    ]);
    await expectRefused(patchBytes(zip, placeholder, evil), UnsafePathError, evil, detail);
  });

  it.each([
    ["../evil.txt", /"\.\." segment/],
    ["./a/../../../evil.txt", /"\.\." segment/],
    ["/tmp/hc-evil.txt", /absolute path/],
  ])("tar entry %j is refused", async (evil, detail) => {
    const tar = await makeTar([
      { name: "fine.txt", data: text("ok") },
      { name: evil, data: text("pwned") },
    ]);
    await expectRefused(tar, UnsafePathError, evil, detail);
    await expectRefused(gzipSync(tar), UnsafePathError, evil, detail);
  });
});

describe("names no filesystem takes", () => {
  it.each([
    ["a name of 256 bytes", `dir/${"n".repeat(256)}.txt`, /a name in the path is longer than 255 bytes/],
    [
      "a name of 128 two-byte characters",
      `${"é".repeat(128)}`,
      /a name in the path is longer than 255 bytes/,
    ],
    ["a path of 3221 bytes", `${"d".repeat(200)}/`.repeat(16) + "x.txt", /path is longer than 3072 bytes/],
  ])("%s is refused before anything is written (zip and tar)", async (_what, name, detail) => {
    const zip = await makeZip([
      { name: "fine.txt", data: text("ok") },
      { name, data: text("long") },
    ]);
    await expectRefused(zip, UnsafePathError, name, detail);
    const tar = await makeTar([
      { name: "fine.txt", data: text("ok") },
      { name, data: text("long") },
    ]);
    await expectRefused(tar, UnsafePathError, name, detail);
  });

  it("a name of exactly 255 bytes is fine", async () => {
    const name = `dir/${"n".repeat(251)}.txt`;
    const dir = join(box.dir, "name-255");
    mkdirSync(dir);
    writeFileSync(join(dir, "a.zip"), await makeZip([{ name, data: text("ok") }]));
    const m = await extractArchive(join(dir, "a.zip"), join(dir, "out"));
    expect(m.entries.map((e) => e.path)).toEqual([name]);
    expect(readFileSync(join(dir, "out", name), "utf8")).toBe("ok");
  });
});

describe("symlinks", () => {
  const refused = /symlink to .* refused: course archives may not contain symlinks/;

  it.each([
    ["../../etc"],
    ["/etc/passwd"],
    ["../sub/../../x"],
    ["x.txt"], // even one pointing inside: no course format needs links
  ])("zip symlink to %j is refused", async (target) => {
    const zip = await makeZip([
      { name: "sub/", dir: true },
      { name: "sub/link", data: text(target), mode: 0o120777, compress: false },
    ]);
    await expectRefused(zip, UnsafeSymlinkError, "sub/link", refused);
  });

  it.each([["../../etc"], ["/etc"], ["."]])("tar symlink to %j is refused", async (target) => {
    const tar = await makeTar([{ name: "link", type: "symlink", linkname: target }]);
    await expectRefused(tar, UnsafeSymlinkError, "link", refused);
    await expectRefused(gzipSync(tar), UnsafeSymlinkError, "link", refused);
  });

  it("a link chain that looks harmless as text (the second link climbs through the first) is refused", async () => {
    // up → tree root (a/b/c/d/.. .. .. .. as text); esc → up/../../../../etc/passwd, which is
    // a/b/c/etc/passwd as text but climbs above the tree once the kernel follows "up".
    const up = { name: "a/b/c/d/up", target: "../../../.." };
    const esc = { name: "a/b/c/d/esc", target: "up/../../../../../../../../../../etc/passwd" };
    const tar = await makeTar([
      { name: "a/b/c/d/", type: "directory" },
      { name: up.name, type: "symlink", linkname: up.target },
      { name: esc.name, type: "symlink", linkname: esc.target },
    ]);
    await expectRefused(gzipSync(tar), UnsafeSymlinkError, up.name, refused);
    const zip = await makeZip([
      { name: "a/b/c/d/", dir: true },
      { name: up.name, data: text(up.target), mode: 0o120777, compress: false },
      { name: esc.name, data: text(esc.target), mode: 0o120777, compress: false },
    ]);
    await expectRefused(zip, UnsafeSymlinkError, up.name, refused);
  });

  it("a symlink whose parent directory has no entry is refused, not a crash", async () => {
    const tar = await makeTar([{ name: "nowhere/link", type: "symlink", linkname: "x" }]);
    await expectRefused(tar, UnsafeSymlinkError, "nowhere/link", refused);
  });

  it("an entry meant to be written through a symlink is refused at the link", async () => {
    const tar = await makeTar([
      { name: "real", type: "directory" },
      { name: "link", type: "symlink", linkname: "real" },
      { name: "link/x.txt", data: text("through the link") },
    ]);
    await expectRefused(tar, UnsafeSymlinkError, "link", refused);
  });

  it.each([
    [0o010644, "FIFO"],
    [0o020644, "character device"],
    [0o060644, "block device"],
    [0o140644, "socket"],
  ])("a zip entry with Unix file type %o is refused", async (mode, what) => {
    const zip = await makeZip([{ name: "special", data: text(""), mode, compress: false }]);
    await expectRefused(zip, UnsupportedEntryError, "special", new RegExp(`${what} is not supported`));
  });

  it("a hard link in a tar is refused", async () => {
    const tar = await makeTar([
      { name: "a.txt", data: text("a") },
      { name: "b.txt", type: "link", linkname: "a.txt" },
    ]);
    await expectRefused(tar, UnsupportedEntryError, "b.txt", /hard link/);
  });
});

describe("duplicate entries", () => {
  it("the same name twice in a zip", async () => {
    const zip = await makeZip([
      { name: "a.txt", data: text("first") },
      { name: "b.txt", data: text("second") },
    ]);
    await expectRefused(
      patchBytes(zip, "b.txt", "a.txt"),
      DuplicateEntryError,
      "a.txt",
      /duplicate entry name/,
    );
  });

  it("names equal after normalization in a tar (./a.txt and a.txt)", async () => {
    const tar = await makeTar([
      { name: "./a.txt", data: text("1") },
      { name: "a.txt", data: text("2") },
    ]);
    await expectRefused(tar, DuplicateEntryError, "a.txt", /duplicate entry name/);
  });

  it("a file where another entry needs a directory", async () => {
    const tar = await makeTar([
      { name: "a/b.txt", data: text("1") },
      { name: "a", data: text("2") },
    ]);
    await expectRefused(tar, DuplicateEntryError, "a", /where other entries need a directory/);
  });
});

describe("zip bombs", () => {
  it("too many entries", async () => {
    const zip = await makeZip(
      Array.from({ length: 12 }, (_, i) => ({ name: `f${i}.txt`, data: text(`${i}`) })),
    );
    const err = await expectRefused(zip, ArchiveLimitError, "f10.txt", /more than 10 entries/, {
      maxEntries: 10,
    });
    expect((err as ArchiveLimitError).limit).toBe("entries");
  });

  it("too many expanded bytes in total", async () => {
    const zip = await makeZip([
      { name: "a.bin", data: Buffer.alloc(800, 1) },
      { name: "b.bin", data: Buffer.alloc(800, 2) },
    ]);
    const err = await expectRefused(zip, ArchiveLimitError, "b.bin", /expanded size exceeds 1000 bytes/, {
      maxTotalSize: 1000,
    });
    expect((err as ArchiveLimitError).limit).toBe("total-size");
  });

  it("a zip entry with a huge expansion ratio (default limits)", async () => {
    const zip = await makeZip([{ name: "zeros.bin", data: Buffer.alloc(8 * 1024 * 1024) }], 9);
    const err = await expectRefused(zip, ArchiveLimitError, "zeros.bin", /ratio above 200/);
    expect((err as ArchiveLimitError).limit).toBe("ratio");
  });

  it("a tar.gz stream with a huge expansion ratio (default limits)", async () => {
    const tgz = await makeTarGz([{ name: "zeros.bin", data: Buffer.alloc(8 * 1024 * 1024) }]);
    const err = await expectRefused(tgz, ArchiveLimitError, "zeros.bin", /gzip stream expands more than 200/);
    expect((err as ArchiveLimitError).limit).toBe("ratio");
  });

  it("a zip entry that lies about its size (inflates to more than declared)", async () => {
    const data = Buffer.alloc(64 * 1024, 7);
    const zip = await makeZip([{ name: "liar.bin", data }]);
    // Declared uncompressed size 65536 → 16 in both the local and the central header.
    const patched = Buffer.from(zip);
    const local = patched.indexOf(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
    const central = patched.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    expect(patched.readUInt32LE(local + 22)).toBe(data.length);
    expect(patched.readUInt32LE(central + 24)).toBe(data.length);
    patched.writeUInt32LE(16, local + 22);
    patched.writeUInt32LE(16, central + 24);
    await expectRefused(patched, CorruptArchiveError, "liar.bin", /too many bytes|header says/);
  });
});

describe("truncated and corrupt archives", () => {
  it("a zip cut in half", async () => {
    const zip = await makeZip([{ name: "a.bin", data: Buffer.alloc(10_000, 3) }]);
    await expectRefused(zip.subarray(0, zip.length / 2), TruncatedArchiveError, undefined, /truncated/);
  });

  it("a tar cut in the middle of an entry", async () => {
    const tar = await makeTar([
      { name: "a.txt", data: text("a") },
      { name: "big.bin", data: Buffer.alloc(20_000, 5) },
    ]);
    await expectRefused(tar.subarray(0, 8_000), TruncatedArchiveError, "big.bin", /truncated/);
  });

  it("a tar.gz cut in the middle", async () => {
    const noise = randomBytes(50_000);
    const tgz = await makeTarGz([
      { name: "a.txt", data: text("a") },
      { name: "noise.bin", data: noise },
    ]);
    await expectRefused(
      tgz.subarray(0, tgz.length - 20_000),
      TruncatedArchiveError,
      "noise.bin",
      /truncated/,
    );
  });

  it("a zip entry whose bytes do not match its CRC-32", async () => {
    const zip = await makeZip([{ name: "stored.txt", data: text("hello hello hello"), compress: false }]);
    await expectRefused(
      patchBytes(zip, "hello hello hello", "hello jello hello"),
      CorruptArchiveError,
      "stored.txt",
      /CRC-32 mismatch/,
    );
  });

  it("a tar.gz whose gzip CRC is wrong", async () => {
    // Big enough that the entry is under way when the trailer is checked, so the error can name it.
    const tgz = Buffer.from(await makeTarGz([{ name: "noise.bin", data: randomBytes(300_000) }]));
    tgz[tgz.length - 8]! ^= 0xff; // first byte of the gzip trailer's CRC-32
    await expectRefused(tgz, CorruptArchiveError, "noise.bin", /bad gzip data: incorrect data check/);
  });

  it("a tar whose header checksum is wrong", async () => {
    const tar = await makeTar([
      { name: "a.txt", data: text("a") },
      { name: "b.txt", data: text("b") },
    ]);
    await expectRefused(patchBytes(tar, "b.txt", "c.txt"), CorruptArchiveError, "a.txt", /corrupt tar/);
  });

  it("an encrypted zip entry", async () => {
    const dir = join(box.dir, "enc");
    mkdirSync(dir);
    writeFileSync(join(dir, "secret.txt"), "the answers to the quiz");
    run("zip", ["-q", "-P", "hunter2", "enc.zip", "secret.txt"], dir);
    await expectRefused(readFileSync(join(dir, "enc.zip")), EncryptedEntryError, "secret.txt", /encrypted/);
  });
});

describe("formats", () => {
  it.each([
    [
      "plain text",
      text("just some text, definitely not an archive\n".repeat(40)),
      UnknownFormatError,
      /unknown archive format/,
    ],
    ["an empty file", Buffer.alloc(0), UnknownFormatError, /empty/],
    ["bzip2", Buffer.concat([text("BZh91AY&SY"), Buffer.alloc(100, 9)]), UnsupportedFormatError, /bzip2/],
    ["xz", Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0, 0]), UnsupportedFormatError, /xz/],
    ["zstd", Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0]), UnsupportedFormatError, /zstd/],
    [
      "gzip of plain text",
      gzipSync(text("hello\n".repeat(200))),
      UnsupportedFormatError,
      /does not hold a tar/,
    ],
    [
      "gzip with garbage inside",
      Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(600, 0xee)]),
      CorruptArchiveError,
      /bad gzip/,
    ],
  ])("%s is refused with a clear error", async (_label, bytes, type, detail) => {
    await expectRefused(bytes, type as ErrorClass, undefined, detail);
  });

  it("detection ignores the file name: a zip called .tar.gz reads as a zip", async () => {
    const path = join(box.dir, "misnamed.tar.gz");
    writeFileSync(path, await makeZip([{ name: "a.txt", data: text("a") }]));
    expect((await readManifest(path)).format).toBe("zip");
  });

  it("an empty zip (only the end record) and an empty tar are valid and empty", async () => {
    const emptyZip = join(box.dir, "empty.zip");
    writeFileSync(emptyZip, await makeZip([]));
    expect(readFileSync(emptyZip).subarray(0, 4)).toEqual(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    expect(await readManifest(emptyZip)).toMatchObject({ format: "zip", entries: [] });
    const emptyTar = join(box.dir, "empty.tar");
    writeFileSync(emptyTar, await makeTar([]));
    expect(await readManifest(emptyTar)).toMatchObject({ format: "tar", entries: [] });
  });
});

describe("rebuild refuses bad entries and never leaves partial output", () => {
  const mtime = new Date("2024-01-01T00:00:00Z");
  const good: WritableEntry = { path: "a.txt", type: "file", size: 5, mode: 0o644, mtime };

  async function expectNoOutput(
    entries: WritableEntry[],
    bytes: Buffer,
    type: ErrorClass,
    detail: RegExp,
  ): Promise<void> {
    for (const format of ["zip", "tar", "tar.gz"] as const) {
      const dir = join(box.dir, `rebuild-${++caseNumber}`);
      mkdirSync(dir);
      const out = join(dir, `course.${format}`);
      writeFileSync(out, "the version the agent serves today");
      const err = await writeArchive(out, format, entries, () => Readable.from([bytes])).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(type);
      expect((err as Error).message).toMatch(detail);
      expect(listAll(dir)).toEqual([`course.${format}`]); // no temp file left
      expect(readFileSync(out, "utf8")).toBe("the version the agent serves today"); // untouched
    }
  }

  it("content that does not match the entry's sha256", async () => {
    const sha256 = "0".repeat(64);
    await expectNoOutput([{ ...good, sha256 }], text("hello"), ContentMismatchError, /differs from/);
  });

  it("content of the wrong size", async () => {
    await expectNoOutput([good], text("hello, longer"), ContentMismatchError, /13 bytes, entry says 5/);
  });

  it("an unsafe path", async () => {
    await expectNoOutput([{ ...good, path: "../a.txt" }], text("hello"), UnsafePathError, /zip slip/);
  });

  it("a duplicate path", async () => {
    await expectNoOutput([good, good], text("hello"), DuplicateEntryError, /duplicate/);
  });

  it("a content source that fails halfway (e.g. a broken delta)", async () => {
    for (const format of ["zip", "tar", "tar.gz"] as const) {
      const dir = join(box.dir, `rebuild-${++caseNumber}`);
      mkdirSync(dir);
      const out = join(dir, `course.${format}`);
      const failing = () =>
        Readable.from(
          (async function* () {
            yield Buffer.alloc(100_000, 1);
            throw new Error("piece 7 failed its MD5");
          })(),
        );
      const big: WritableEntry = { ...good, path: "b.bin", size: 200_000 };
      await expect(
        writeArchive(out, format, [good, big], (e) =>
          e === good ? Readable.from([text("hello")]) : failing(),
        ),
      ).rejects.toThrow(/piece 7 failed its MD5/);
      expect(listAll(dir)).toEqual([]);
    }
  });

  it("a symlink", async () => {
    const link: WritableEntry = {
      path: "l",
      type: "symlink",
      size: 6,
      mode: 0o777,
      mtime,
      linkTarget: "../etc",
    };
    await expectNoOutput([good, link], text("hello"), UnsafeSymlinkError, /may not contain symlinks/);
  });
});

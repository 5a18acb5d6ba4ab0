// Damaged archives fail with typed errors only: random byte flips and cuts in a zip, a tar
// and a tar.gz never crash the reader, hang it, or surface a raw library error.
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArchiveError, extractArchive, readManifest } from "../../src/archive/index.js";
import { makeTar, makeZip, sandbox } from "./helpers.js";

const box = sandbox();
afterAll(() => box.cleanup());

const originals: Record<string, Buffer> = {};

beforeAll(async () => {
  const items = [
    { name: "course/a.xml", data: Buffer.from("<a>hello</a>\n".repeat(300)) },
    { name: "course/b.bin", data: Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) & 255)) },
    { name: "course/c.txt", data: Buffer.from("short") },
  ];
  originals.zip = await makeZip(items);
  originals.tar = await makeTar(items);
  originals["tar.gz"] = gzipSync(originals.tar);
});

describe("damaged archives", () => {
  for (const format of ["zip", "tar", "tar.gz"]) {
    it(`${format}: flips and cuts give a manifest or an ArchiveError, nothing else`, async () => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
          fc.option(fc.nat(), { nil: undefined }),
          async (flips, cut) => {
            const original = originals[format]!;
            let bytes = Buffer.from(original);
            for (const [at, xor] of flips) bytes[at % bytes.length]! ^= xor;
            if (cut !== undefined) bytes = bytes.subarray(0, cut % bytes.length);
            const path = join(box.dir, `fuzz-${format}-${n++}`);
            writeFileSync(path, bytes);
            const outcome = await readManifest(path).then(
              () => "ok",
              (err: unknown) => err,
            );
            if (outcome !== "ok") {
              expect(outcome, String(outcome)).toBeInstanceOf(ArchiveError);
              expect((outcome as ArchiveError).message).toContain(path);
              // Extraction fails the same way and leaves nothing next to the archive.
              const dir = join(box.dir, `x-${format}-${n}`);
              mkdirSync(dir);
              await expect(extractArchive(path, join(dir, "out"))).rejects.toBeInstanceOf(ArchiveError);
              expect(readdirSync(dir)).toEqual([]);
            }
          },
        ),
        { numRuns: 300 },
      );
    });
  }
});

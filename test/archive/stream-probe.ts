// Memory probe, run as its own process: builds a big course archive from a stream, reads
// its manifest, transcodes it entry by entry into the other formats, and prints peak RSS.
//   node --import tsx test/archive/stream-probe.ts DIR TOTAL_MB [FORMAT...]
// Prints one JSON line: {"maxRssMB":N,"baselineMB":N,"totalMB":N,"hashes":{...},"seconds":{...}}.
import { createCipheriv, createHash } from "node:crypto";
import { join } from "node:path";
import { Readable } from "node:stream";
import {
  type ArchiveFormat,
  ArchiveWriter,
  readEntries,
  readManifest,
  type WritableEntry,
  writeArchive,
} from "../../src/archive/index.js";

// RSS once the runtime and modules are loaded: what streaming adds is measured on top of it.
const baselineMB = Math.round(process.memoryUsage().rss / 1024 / 1024);
const [dir, totalArg, ...formatArgs] = process.argv.slice(2);
if (!dir || !totalArg) throw new Error("usage: stream-probe.ts DIR TOTAL_MB [FORMAT...]");
const totalMB = Number(totalArg);
const formats = (formatArgs.length > 0 ? formatArgs : ["zip", "tar"]) as ArchiveFormat[];
const ENTRY_MB = 64;

/** Incompressible bytes in 64 KiB chunks (what fs streams give): never more than one chunk in memory. */
function noise(seed: string, size: number): Readable {
  const key = createHash("sha256").update(seed).digest().subarray(0, 16);
  const cipher = createCipheriv("aes-128-ctr", key, Buffer.alloc(16));
  const zeros = Buffer.alloc(64 * 1024);
  let left = size;
  return new Readable({
    read() {
      if (left === 0) return void this.push(null);
      const n = Math.min(left, zeros.length);
      left -= n;
      this.push(cipher.update(zeros.subarray(0, n)));
    },
  });
}

const entries: WritableEntry[] = [];
const mtime = new Date("2024-05-01T00:00:00Z");
entries.push({ path: "course", type: "dir", size: 0, mode: 0o755, mtime });
for (let i = 0, left = totalMB; left > 0; i++, left -= ENTRY_MB) {
  entries.push({
    path: `course/media-${i}.bin`,
    type: "file",
    size: Math.min(left, ENTRY_MB) * 1024 * 1024,
    mode: 0o644,
    mtime,
  });
}
entries.push({ path: "course/course.xml", type: "file", size: 200_000, mode: 0o644, mtime });

const seconds: Record<string, number> = {};
const hashes: Record<string, string> = {};
/** Peak RSS (MB) so far after each stage: shows which stage raised it. */
const peakAfter: Record<string, number> = {};
const timed = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
  const start = performance.now();
  const result = await fn();
  seconds[label] = Math.round(performance.now() - start) / 1000;
  peakAfter[label] = Math.round(process.resourceUsage().maxRSS / 1024);
  return result;
};

const [first, ...others] = formats;
const firstPath = join(dir, `big.${first}`);
await timed(`write ${first}`, () =>
  writeArchive(firstPath, first!, entries, (e) =>
    e.path.endsWith(".xml")
      ? Readable.from([Buffer.from("<x>text</x>\n".repeat(e.size / 12 + 1)).subarray(0, e.size)])
      : noise(e.path, e.size),
  ),
);
hashes[first!] = (await timed(`manifest ${first}`, () => readManifest(firstPath))).contentHash;

for (const format of others) {
  const out = join(dir, `big.${format}`);
  await timed(`transcode ${first}→${format}`, async () => {
    const writer = await ArchiveWriter.create(out, format);
    for await (const entry of readEntries(firstPath)) {
      await writer.add(entry, entry.type === "file" ? entry.open() : undefined);
    }
    return writer.finish();
  });
  hashes[format] = (await timed(`manifest ${format}`, () => readManifest(out))).contentHash;
}

const maxRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
console.log(JSON.stringify({ maxRssMB, baselineMB, totalMB, hashes, seconds, peakAfter }));

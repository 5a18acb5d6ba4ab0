// npm run bench -- delta [--sizes 1,100,1024]: signature, delta and patch throughput and
// peak RSS, handcarry against rdiff on the same generated files in the same run.

import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, existsSync, mkdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mulberry32 } from "../src/util/prng.js";
import {
  bestOf,
  ensureBuilt,
  fmt,
  markdownTable,
  mb,
  repoRoot,
  saveResult,
  type Timed,
  timed,
} from "./util.js";

const prng = mulberry32;

function randomBlock(n: number, rand: () => number): Buffer {
  const b = Buffer.allocUnsafe(n + 3);
  for (let i = 0; i < n; i += 4) b.writeUInt32LE((rand() * 4294967296) >>> 0, i);
  return b.subarray(0, n);
}

/**
 * Old and new files written side by side: segments of random data, a repeated 256 KiB
 * pattern and zero runs ("sparse-ish"); the new file gets ~20 edits (inserts, deletes,
 * rewrites) spread over its length, so delta has both matches and literals to find.
 */
async function generatePair(dir: string, sizeMB: number): Promise<{ old: string; neu: string }> {
  const old = join(dir, `old-${sizeMB}M.bin`);
  const neu = join(dir, `new-${sizeMB}M.bin`);
  if (existsSync(old) && existsSync(neu)) return { old, neu };
  const rand = prng(sizeMB);
  const pattern = randomBlock(256 * 1024, rand);
  const total = sizeMB << 20;
  const editEvery = Math.max(1, Math.floor(total / 20));
  const wo = createWriteStream(old);
  const wn = createWriteStream(neu);
  const write = async (w: ReturnType<typeof createWriteStream>, b: Buffer) => {
    if (!w.write(b)) await once(w, "drain");
  };
  let written = 0;
  let nextEdit = editEvery / 2;
  while (written < total) {
    const len = Math.min(total - written, 4096 + Math.floor(rand() * 512 * 1024));
    const kind = rand();
    const seg =
      kind < 0.6
        ? randomBlock(len, rand)
        : kind < 0.85
          ? pattern.subarray(0, Math.min(len, pattern.length))
          : Buffer.alloc(len);
    await write(wo, seg);
    if (written + seg.length >= nextEdit) {
      const e = rand();
      const cut = Math.floor(rand() * seg.length);
      if (e < 0.4)
        await write(
          wn,
          Buffer.concat([
            seg.subarray(0, cut),
            randomBlock(1 + Math.floor(rand() * 20000), rand),
            seg.subarray(cut),
          ]),
        );
      else if (e < 0.7)
        await write(
          wn,
          Buffer.concat([
            seg.subarray(0, cut),
            seg.subarray(Math.min(seg.length, cut + 1 + Math.floor(rand() * 20000))),
          ]),
        );
      else
        await write(
          wn,
          Buffer.concat([
            seg.subarray(0, cut),
            randomBlock(Math.min(seg.length - cut, 5000), rand),
            seg.subarray(cut + Math.min(seg.length - cut, 5000)),
          ]),
        );
      nextEdit += editEvery;
    } else {
      await write(wn, seg);
    }
    written += seg.length;
  }
  wo.end();
  wn.end();
  await Promise.all([once(wo, "finish"), once(wn, "finish")]);
  return { old, neu };
}

interface Row {
  sizeMB: number;
  op: "signature" | "delta" | "patch";
  bytes: number;
  handcarry: Timed;
  rdiff: Timed;
}

export async function benchDelta(args: string[]): Promise<void> {
  const sizesArg = args.includes("--sizes") ? args[args.indexOf("--sizes") + 1]! : "1,100,1024";
  const sizes = sizesArg.split(",").map(Number);
  ensureBuilt();
  const dir = join(tmpdir(), "handcarry-bench-delta");
  mkdirSync(dir, { recursive: true });
  const hc = (...a: string[]) => ["--max-semi-space-size=4", join(repoRoot, "dist/cli.js"), "delta", ...a];
  const rows: Row[] = [];
  for (const sizeMB of sizes) {
    process.stderr.write(`bench delta: generating ${sizeMB} MB pair…\n`);
    const { old, neu } = await generatePair(dir, sizeMB);
    const f = (n: string) => join(dir, `${n}-${sizeMB}`);
    const runs = 3;
    const pair = (op: Row["op"], bytes: number, ours: string[], theirs: string[]) => {
      const rdiff = bestOf(runs, () => timed("rdiff", ["-f", ...theirs]));
      const handcarry = bestOf(runs, () => timed(process.execPath, hc(...ours)));
      rows.push({ sizeMB, op, bytes, handcarry, rdiff });
      process.stderr.write(`  ${op}: handcarry ${handcarry.seconds}s, rdiff ${rdiff.seconds}s\n`);
    };
    pair(
      "signature",
      statSync(old).size,
      ["signature", "-f", old, f("sig.hc")],
      ["signature", old, f("sig.rd")],
    );
    pair(
      "delta",
      statSync(neu).size,
      ["delta", "-f", f("sig.rd"), neu, f("delta.hc")],
      ["delta", f("sig.rd"), neu, f("delta.rd")],
    );
    pair(
      "patch",
      statSync(neu).size,
      ["patch", "-f", old, f("delta.rd"), f("out.hc")],
      ["patch", old, f("delta.rd"), f("out.rd")],
    );
    // The outputs must agree, or the speed means nothing.
    execFileSync("cmp", [f("sig.hc"), f("sig.rd")]);
    execFileSync("cmp", [f("delta.hc"), f("delta.rd")]);
    execFileSync("cmp", [f("out.hc"), neu]);
  }
  const table = markdownTable(
    ["file", "operation", "handcarry MB/s", "rdiff MB/s", "ratio", "handcarry peak RSS", "rdiff peak RSS"],
    rows.map((r) => {
      const ours = mb(r.bytes) / r.handcarry.seconds;
      const theirs = mb(r.bytes) / r.rdiff.seconds;
      return [
        `${r.sizeMB} MB`,
        r.op,
        fmt(ours),
        fmt(theirs),
        `${fmt(ours / theirs, 2)}×`,
        `${fmt(r.handcarry.peakRssKB / 1024)} MB`,
        `${fmt(r.rdiff.peakRssKB / 1024)} MB`,
      ];
    }),
  );
  saveResult("delta", rows, table);
  console.log(table);
  console.log("\n(wall time of whole processes, best of 3; outputs checked identical with cmp)");
}

// npm run bench -- transfer [--scale X] [--formats zip,tar.gz] [--no-fixtures] [--no-corpus]
//                           [--only TEXT] [--report-only] [OLD NEW ...]
// Bytes on the wire for one course update: handcarry (known base and unknown base, real
// HTTP bytes both ways through `measure`) next to what ../shared/bench/peers.sh reports for
// rdiff, rdiffdir, rsync -z, zsync and casync on the same pair, and the local zstd patch
// bound; then the targets of issue 3 checked per row. Writes bench/out/transfer.{json,md,svg}
// and, for a full run, docs/transfer.{md,svg} for the README (partial runs write
// bench/out/transfer-partial.*).
import { execFile, execFileSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { syncAll } from "../src/agent/sync.js";
import { writeScenarioPairs } from "../src/demo/sample-course.js";
import { publishCourse, startMaster } from "../src/master/server.js";
import { type MeasureResult, measure } from "../src/measure.js";
import { barChartSvg, humanBytes } from "./chart.js";
import { markdownTable, outDir, repoRoot, saveResult } from "./util.js";

const sharedDir = process.env.HANDCARRY_SHARED ?? join(repoRoot, "..", "shared");
const peersScript = join(sharedDir, "bench", "peers.sh");
const corpusDir = join(sharedDir, "corpus");

/** The real course pairs of ../shared/corpus/README.md (the Common Cartridge chain as three pairs). */
const CORPUS_PAIRS: Array<[string, string, string]> = [
  ["STACK demo, small edit (zip)", "STACK-demo@0934172d.mbz", "STACK-demo@2887ec43.mbz"],
  ["STACK demo, quizzes added (zip)", "STACK-demo@709b94ef.mbz", "STACK-demo@0781e3a4.mbz"],
  ["STACK demo, zip → tar.gz re-export", "STACK-demo@8e6dbfe6.mbz", "STACK-demo@05f7ebf4.mbz"],
  ["coderunner plugin, tiny change", "qtype_coderunner@f41c4d12.zip", "qtype_coderunner@9da4546b.zip"],
  ["H5P Drag Text, a year later", "H5P.DragText@77231c0d.h5p", "H5P.DragText@859ed559.h5p"],
  ["SCORM 1.2 sibling packages", "singlesco_scorm12@733a3274.zip", "singlescobasic@733a3274.zip"],
  [
    "Common Cartridge rev 1 → 2",
    "canvas_cc_gem_course@7e0a248d.imscc",
    "canvas_cc_gem_course@5d5b615d.imscc",
  ],
  [
    "Common Cartridge rev 2 → 3",
    "canvas_cc_gem_course@5d5b615d.imscc",
    "canvas_cc_gem_course@83ae9d24.imscc",
  ],
  [
    "Common Cartridge rev 3 → 4",
    "canvas_cc_gem_course@83ae9d24.imscc",
    "canvas_cc_gem_course@baa3ae62.imscc",
  ],
];

const BOUND_LABEL = "local zstd patch (bound)";

interface Peer {
  bytes: number | null;
  /** False when peers.sh says the tool did not reproduce NEW (correct=no, done=no). */
  valid: boolean;
  note?: string;
}

interface PeersReport {
  peers: Record<string, Peer>;
  bound: number | null;
  boundSource: "peers.sh" | "computed" | "none";
  /** peers.sh exit status and last stderr line when it failed part-way. */
  error?: string;
}

interface Wire {
  bytesUp: number;
  bytesDown: number;
  total: number;
  plan: string;
  ok: boolean;
}

interface Check {
  pass: boolean;
  text: string;
}

export interface TransferRow {
  group: string;
  name: string;
  old?: string;
  new: string;
  newSize: number;
  known: Wire;
  unknown?: Wire;
  /** NEW → NEW (identical content hash): what "nothing to do" costs. */
  identical?: Wire;
  peers: PeersReport;
  bestPeer?: { label: string; bytes: number };
  checks: Record<string, Check>;
}

const wire = (r: Pick<MeasureResult, "bytesUp" | "bytesDown" | "plan" | "ok">): Wire => ({
  bytesUp: r.bytesUp,
  bytesDown: r.bytesDown,
  total: r.bytesUp + r.bytesDown,
  plan: r.plan,
  ok: r.ok,
});

/** A sync that throws becomes a failed row (the table says so) instead of ending the run. */
async function attempt(run: () => Promise<MeasureResult | Wire>): Promise<Wire> {
  try {
    const r = await run();
    return "total" in r ? r : wire(r);
  } catch (e) {
    const message = (e as Error).message.split("\n")[0]!.slice(0, 200);
    process.stderr.write(`  sync failed: ${message}\n`);
    return { bytesUp: 0, bytesDown: 0, total: 0, plan: `error: ${message}`, ok: false };
  }
}

/** Full download: an agent with nothing installed syncs NEW from a real master on loopback. */
async function measureFull(newPath: string): Promise<Wire> {
  const work = mkdtempSync(join(tmpdir(), "hc-bench-full-"));
  const token = "bench-publish-token";
  const master = await startMaster({ dataDir: join(work, "master"), publishToken: token });
  try {
    const published = await publishCourse({
      masterUrl: master.url,
      token,
      course: "measured",
      file: newPath,
    });
    master.resetTraffic();
    const r = await syncAll({ dataDir: join(work, "agent"), masterUrl: master.url, courses: ["measured"] });
    const t = master.traffic();
    const done = r.courses[0];
    const ok = r.ok && done?.type === "course-done" && done.contentHash === published.contentHash;
    return {
      bytesUp: t.up,
      bytesDown: t.down,
      total: t.up + t.down,
      plan: done?.type === "course-done" ? done.plan : "failed",
      ok,
    };
  } finally {
    await master.close();
    rmSync(work, { recursive: true, force: true });
  }
}

function magic(path: string): "zip" | "gzip" | "tar" {
  const fd = openSync(path, "r");
  const b = Buffer.alloc(4);
  readSync(fd, b, 0, 4, 0);
  closeSync(fd);
  if (b[0] === 0x50 && b[1] === 0x4b && b[2] === 3 && b[3] === 4) return "zip";
  if (b[0] === 0x1f && b[1] === 0x8b) return "gzip";
  return "tar";
}

/**
 * The local zstd patch bound computed here, exactly as peers.sh does it (extract both,
 * normalized tar, zstd -19 --long=27 --patch-from), for pairs where peers.sh stops early.
 */
function zstdBound(oldPath: string, newPath: string): number {
  const w = mkdtempSync(join(tmpdir(), "hc-bench-bound-"));
  try {
    const tarOf = (archive: string, name: string) => {
      const dir = join(w, name);
      mkdirSync(dir);
      if (magic(archive) === "zip") execFileSync("unzip", ["-qo", archive, "-d", dir]);
      else execFileSync("tar", ["xf", archive, "-C", dir]);
      const tarPath = join(w, `${name}.tar`);
      execFileSync(
        "tar",
        ["--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "-cf", tarPath, "."],
        { cwd: dir },
      );
      return tarPath;
    };
    const o = tarOf(oldPath, "o");
    const n = tarOf(newPath, "n");
    execFileSync("zstd", ["-q", "-19", "--long=27", `--patch-from=${o}`, n, "-o", join(w, "patch.zst")], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    return statSync(join(w, "patch.zst")).size;
  } finally {
    rmSync(w, { recursive: true, force: true });
  }
}

/** Run peers.sh (human output, which carries the correct=/done= notes) and parse what it printed. */
function runPeers(oldPath: string, newPath: string): Promise<PeersReport> {
  return new Promise((resolve) => {
    execFile(peersScript, [oldPath, newPath], { maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      const peers: Record<string, Peer> = {};
      let bound: number | null = null;
      for (const line of stdout.split("\n")) {
        const m = /^(.+?)\s+(\d+|n\/a)(?:\s+\((.*)\))?\s*$/.exec(line);
        if (!m) continue;
        const [, label, value, note] = m;
        const bytes = value === "n/a" ? null : Number(value);
        if (label === BOUND_LABEL) bound = bytes;
        else
          peers[label!] = {
            bytes,
            valid: bytes !== null && !/correct=no|done=no/.test(note ?? ""),
            ...(note && { note }),
          };
      }
      const report: PeersReport = { peers, bound, boundSource: bound === null ? "none" : "peers.sh" };
      if (err) {
        const last = stderr.trim().split("\n").pop() ?? "";
        report.error = `peers.sh exited ${(err as { code?: number }).code ?? "?"}: ${last}`;
        process.stderr.write(`  ${report.error}\n`);
      }
      if (report.bound === null) {
        try {
          report.bound = zstdBound(oldPath, newPath);
          report.boundSource = "computed";
        } catch (e) {
          report.error = `${report.error ?? ""} (bound failed too: ${(e as Error).message.split("\n")[0]})`;
        }
      }
      resolve(report);
    });
  });
}

const KB2 = 2048;

function checkRow(row: TransferRow): void {
  const { bound } = row.peers;
  const valid = Object.entries(row.peers.peers).filter(([, p]) => p.valid && p.bytes !== null);
  const best = valid.sort((a, b) => a[1].bytes! - b[1].bytes!)[0];
  if (best) row.bestPeer = { label: best[0], bytes: best[1].bytes! };
  const ok = (w: Wire | undefined) => (w && !w.ok ? " (sync NOT verified)" : "");
  if (!row.old) {
    // Full download: no peer can do better than the archive; ours may add 1 % of HTTP framing.
    const limit = Math.floor(row.newSize * 1.01) + KB2;
    row.checks.full = {
      pass: row.known.ok && row.known.total <= limit,
      text: `${humanBytes(row.known.total)} ≤ 1.01× archive + 2 KB = ${humanBytes(limit)}${ok(row.known)}`,
    };
    return;
  }
  if (bound !== null) {
    const limit = 1.25 * bound + KB2;
    row.checks.known = {
      pass: row.known.ok && row.known.total <= limit,
      text: `${(row.known.total / bound).toFixed(2)}× bound (limit 1.25× + 2 KB = ${humanBytes(limit)})${ok(row.known)}`,
    };
  }
  if (row.unknown) {
    const u = row.unknown.total;
    const peerLimit = best ? 0.5 * best[1].bytes! : null;
    const boundLimit = bound !== null ? 1.5 * bound + KB2 : null;
    const pass =
      row.unknown.ok && ((peerLimit !== null && u <= peerLimit) || (boundLimit !== null && u <= boundLimit));
    const parts = [
      peerLimit !== null ? `${(u / best![1].bytes!).toFixed(2)}× best peer (${best![0]})` : "no valid peer",
      bound !== null ? `${(u / bound).toFixed(2)}× bound` : "no bound",
    ];
    row.checks.unknown = {
      pass,
      text: `${parts.join(", ")}; limits 0.5× peer or 1.5× bound + 2 KB${ok(row.unknown)}`,
    };
  }
  if (row.identical) {
    row.checks.identical = {
      pass: row.identical.ok && row.identical.total < 1024 && row.identical.plan === "none",
      text: `identical content re-sync: ${row.identical.total} B (plan ${row.identical.plan}), limit < 1 KB`,
    };
  }
  if (row.name.includes("no-change")) {
    const worst = Math.max(row.known.total, row.unknown?.total ?? 0);
    row.checks.noChange = {
      pass: worst < 1024,
      text: `re-export with new stamps: known ${row.known.total} B, unknown ${row.unknown?.total ?? "?"} B, limit < 1 KB`,
    };
  }
}

async function measurePair(
  group: string,
  name: string,
  oldPath: string | undefined,
  newPath: string,
  withIdentical: boolean,
): Promise<TransferRow> {
  process.stderr.write(`bench transfer: ${group} / ${name}\n`);
  const newSize = statSync(newPath).size;
  if (!oldPath) {
    const known = await attempt(() => measureFull(newPath));
    const row: TransferRow = {
      group,
      name,
      new: newPath,
      newSize,
      known,
      peers: {
        peers: { "full download": { bytes: newSize, valid: true } },
        bound: null,
        boundSource: "none",
      },
      checks: {},
    };
    checkRow(row);
    return row;
  }
  // peers.sh runs in a child while the in-process measures run: both only count bytes.
  const peers = runPeers(oldPath, newPath);
  const known = await attempt(() => measure(oldPath, newPath));
  const unknown = await attempt(() => measure(oldPath, newPath, { unknownBase: true }));
  const identical = withIdentical ? await attempt(() => measure(newPath, newPath)) : undefined;
  const row: TransferRow = {
    group,
    name,
    old: oldPath,
    new: newPath,
    newSize,
    known,
    unknown,
    peers: await peers,
    checks: {},
  };
  if (identical) row.identical = identical;
  checkRow(row);
  return row;
}

async function fixturePairs(scale: number, format: "zip" | "tar.gz") {
  const dir = join(tmpdir(), "handcarry-bench-transfer", `scale-${scale}-${format}`);
  const marker = join(dir, ".complete");
  if (!existsSync(marker)) {
    process.stderr.write(`bench transfer: generating the ${format} scenarios at scale ${scale} in ${dir}…\n`);
    rmSync(dir, { recursive: true, force: true });
    const files = await writeScenarioPairs(dir, { format, scale });
    writeFileSync(marker, JSON.stringify(files));
  }
  return JSON.parse(readFileSync(marker, "utf8")) as Array<{
    name: string;
    description: string;
    old?: string;
    new: string;
  }>;
}

// ---------------------------------------------------------------- report

const PEER_COLUMNS: Array<[string, string[]]> = [
  ["rdiff (best b)", ["rdiff archive b=default", "rdiff archive b=512", "rdiff archive b=2048"]],
  ["rdiffdir tree", ["rdiffdir tree"]],
  ["rsync -z archive", ["rsync -z archive"]],
  ["rsync -z tree", ["rsync -z tree"]],
  ["zsync raw", ["zsync raw"]],
  ["zsync inside gz", ["zsync look-inside-gz"]],
  ["casync archive", ["casync archive"]],
  ["casync tree", ["casync tree"]],
];

/** Smallest valid value among labels; "✗" marks a tool that did not reproduce NEW. */
function peerCell(row: TransferRow, labels: string[]): { bytes: number | null; cell: string } {
  const found = labels.map((l) => row.peers.peers[l]).filter((p): p is Peer => p !== undefined);
  if (found.length === 0)
    return { bytes: null, cell: row.old && !row.peers.error ? "—" : row.old ? "n/a" : "—" };
  const valid = found.filter((p) => p.valid && p.bytes !== null).sort((a, b) => a.bytes! - b.bytes!);
  if (valid[0]) return { bytes: valid[0].bytes, cell: humanBytes(valid[0].bytes!) };
  const any = found.find((p) => p.bytes !== null);
  return { bytes: null, cell: any ? `${humanBytes(any.bytes!)} ✗` : "n/a" };
}

const verdict = (c: Check | undefined) => (c ? `${c.pass ? "PASS" : "**FAIL**"}: ${c.text}` : "—");

/** The research this grew from (rdiff on the unpacked 30.5 MB Moodle course), beside our fixture rows. */
const RESEARCH: Array<{ scenario: string; label: string; research: string }> = [
  {
    scenario: "medium-addition",
    label: "medium update",
    research: "0.97 MB signature up + 2.97 MB delta down",
  },
  { scenario: "no-change", label: "no change (re-export)", research: "1.88 MB in total" },
];

function researchTable(rows: TransferRow[]): string[] {
  const lines: string[] = [];
  for (const ref of RESEARCH) {
    const r = rows.find((x) => x.group === "fixture zip" && x.name === ref.scenario);
    if (!r) continue;
    lines.push(
      `| ${ref.label} | ${ref.research} | ${humanBytes(r.known.bytesUp)} up + ${humanBytes(r.known.bytesDown)} down | ${r.unknown ? `${humanBytes(r.unknown.bytesUp)} up + ${humanBytes(r.unknown.bytesDown)} down` : "—"} |`,
    );
  }
  if (lines.length === 0) return [];
  return [
    "",
    "### Against the research (30.5 MB Moodle course; ours: the generated zip course above)",
    "",
    "| scenario | research (rdiff, unpacked tree) | handcarry known base | handcarry unknown base |",
    "| --- | --- | --- | --- |",
    ...lines,
    "",
    "The generated course's third section carries more media than the research course's, so the medium update's download is larger here; the upload is what the design cuts.",
  ];
}

function report(rows: TransferRow[]): { markdown: string; svg: string } {
  const label = (r: TransferRow) => `${r.group}: ${r.name}`;
  const bytesTable = markdownTable(
    [
      "pair",
      "new archive",
      "handcarry known base",
      "handcarry unknown base",
      ...PEER_COLUMNS.map(([n]) => n),
      "zstd bound",
    ],
    rows.map((r) => [
      label(r),
      humanBytes(r.newSize),
      `${humanBytes(r.known.total)} (${r.known.plan})`,
      r.unknown ? `${humanBytes(r.unknown.total)} (${r.unknown.plan})` : "—",
      ...PEER_COLUMNS.map(([, labels]) => peerCell(r, labels).cell),
      r.peers.bound === null
        ? "n/a"
        : `${humanBytes(r.peers.bound)}${r.peers.boundSource === "computed" ? "*" : ""}`,
    ]),
  );
  const targetTable = markdownTable(
    [
      "pair",
      "known base ≤ 1.25× bound + 2 KB",
      "unknown base ≤ 0.5× best peer or ≤ 1.5× bound + 2 KB",
      "no change < 1 KB",
    ],
    rows.map((r) => [
      label(r),
      r.checks.full ? verdict(r.checks.full) : verdict(r.checks.known),
      verdict(r.checks.unknown),
      [r.checks.identical, r.checks.noChange].filter(Boolean).map(verdict).join("<br>") || "—",
    ]),
  );
  const mark = (c: Check | undefined) => (c ? (c.pass ? "PASS" : "**FAIL**") : "—");
  const summaryTable = markdownTable(
    [
      "pair",
      "new archive",
      "handcarry known base",
      "handcarry unknown base",
      "best peer",
      "zstd bound",
      "known",
      "unknown",
    ],
    rows.map((r) => [
      label(r),
      humanBytes(r.newSize),
      humanBytes(r.known.total),
      r.unknown ? humanBytes(r.unknown.total) : "—",
      r.bestPeer ? `${humanBytes(r.bestPeer.bytes)} (${r.bestPeer.label})` : "—",
      r.peers.bound === null ? "—" : humanBytes(r.peers.bound),
      mark(r.checks.known ?? r.checks.full),
      mark(r.checks.unknown),
    ]),
  );
  const split = (w: Wire | undefined) => (w ? `${humanBytes(w.bytesUp)} / ${humanBytes(w.bytesDown)}` : "—");
  const splitTable = markdownTable(
    ["pair", "known base up / down", "unknown base up / down", "identical re-sync up / down"],
    rows.map((r) => [label(r), split(r.known), split(r.unknown), split(r.identical)]),
  );
  const all = rows.flatMap((r) => Object.values(r.checks));
  const failed = rows.flatMap((r) =>
    Object.entries(r.checks)
      .filter(([, c]) => !c.pass)
      .map(([k]) => `${label(r)} (${k})`),
  );
  const notes = rows
    .filter((r) => r.peers.error)
    .map(
      (r) =>
        `- ${label(r)}: ${r.peers.error}; missing tools shown as n/a, bound (*) computed here the way peers.sh does.`,
    );
  const markdown = [
    "### Summary (bytes up + down)",
    "",
    summaryTable,
    "",
    "### Bytes on the wire (up + down, HTTP headers included for handcarry)",
    "",
    bytesTable,
    "",
    '`—` not applicable (zsync inside gz needs a gzip NEW; a full download has no old version); `✗` the tool did not reproduce NEW (peers.sh: correct=no / done=no) and is left out of "best peer"; `*` bound computed by the bench because peers.sh stopped early.',
    ...(notes.length ? ["", ...notes] : []),
    "",
    "### Targets (issue 3)",
    "",
    targetTable,
    "",
    `${all.filter((c) => c.pass).length} of ${all.length} checks pass.${failed.length ? ` Failing: ${failed.join("; ")}.` : ""}`,
    "",
    "### Where handcarry's bytes go (up = requests, entry summary and signatures; down = answers and pieces)",
    "",
    splitTable,
    ...researchTable(rows),
  ].join("\n");
  const series = [
    { name: "handcarry known base", color: "#1b7f3b" },
    { name: "handcarry unknown base", color: "#66c27a" },
    ...PEER_COLUMNS.map(([n], i) => ({
      name: n,
      color: ["#4e79a7", "#a0cbe8", "#f28e2b", "#ffbe7d", "#b07aa1", "#d4a6c8", "#9c755f", "#c9b18f"][i]!,
    })),
    { name: "zstd patch bound", color: "#333333" },
  ];
  const svg = barChartSvg({
    title: "Bytes on the wire for one course update (lower is better)",
    unit: "bytes up + down, log scale",
    series,
    groups: rows.map((r) => ({
      label: label(r),
      values: [
        r.known.total,
        r.unknown?.total ?? null,
        ...PEER_COLUMNS.map(([, l]) => peerCell(r, l).bytes),
        r.peers.bound,
      ],
    })),
  });
  return { markdown, svg };
}

export async function benchTransfer(args: string[]): Promise<void> {
  const flag = (name: string) => {
    const i = args.indexOf(name);
    if (i < 0) return undefined;
    const v = args[i + 1];
    args.splice(i, 2);
    return v;
  };
  const bool = (name: string) => {
    const i = args.indexOf(name);
    if (i >= 0) args.splice(i, 1);
    return i >= 0;
  };
  let scale = Number(flag("--scale") ?? 3.5);
  let ranAt = new Date().toISOString();
  const formats = (flag("--formats") ?? "zip,tar.gz").split(",") as Array<"zip" | "tar.gz">;
  const noFixtures = bool("--no-fixtures");
  const noCorpus = bool("--no-corpus");
  const only = flag("--only");
  const reportOnly = bool("--report-only");
  if (args.length % 2 !== 0)
    throw new Error(`pairs come as OLD NEW; got an odd number of paths: ${args.join(" ")}`);
  for (const p of args) if (!existsSync(p)) throw new Error(`no such archive: ${p}`);
  if (!existsSync(peersScript))
    throw new Error(`peers.sh not found at ${peersScript} (set HANDCARRY_SHARED to the shared/ folder)`);
  const match = (name: string) => !only || name.includes(only);

  const rows: TransferRow[] = [];
  if (reportOnly) {
    // Rebuild the tables and chart from the last run's JSON (no measuring).
    const file = join(outDir, "transfer.json"); // the last full run
    const last = JSON.parse(readFileSync(file, "utf8")) as {
      scale: number;
      ranAt?: string;
      rows: TransferRow[];
    };
    scale = last.scale;
    ranAt = last.ranAt ?? statSync(file).mtime.toISOString();
    for (const r of last.rows) {
      r.checks = {};
      checkRow(r);
    }
    rows.push(...last.rows);
  } else if (!noFixtures) {
    for (const format of formats) {
      for (const s of await fixturePairs(scale, format)) {
        if (!match(s.name)) continue;
        rows.push(await measurePair(`fixture ${format}`, s.name, s.old, s.new, s.name === "no-change"));
      }
    }
  }
  if (!noCorpus && !reportOnly) {
    if (!existsSync(corpusDir))
      process.stderr.write(`bench transfer: no corpus at ${corpusDir}; skipping the real pairs\n`);
    else
      for (const [name, o, n] of CORPUS_PAIRS) {
        if (!match(name)) continue;
        rows.push(await measurePair("corpus", name, join(corpusDir, o), join(corpusDir, n), false));
      }
  }
  for (let i = 0; i < args.length; i += 2) {
    const [o, n] = [args[i]!, args[i + 1]!];
    rows.push(await measurePair("given", `${basename(o)} → ${basename(n)}`, o, n, false));
  }

  const { markdown, svg } = report(rows);
  const fixtureSizes = rows.filter((r) => r.group.startsWith("fixture")).map((r) => r.newSize);
  const header = [
    fixtureSizes.length
      ? `Fixture course: generated Moodle-like backup at scale ${scale} (${humanBytes(Math.max(...fixtureSizes))} for the full course).`
      : "",
    `Run: ${ranAt}.`,
  ]
    .filter(Boolean)
    .join(" ");
  const md = `${header}\n\n${markdown}`;
  // A partial run (some rows only, or extra pairs) must not overwrite the full run that
  // --report-only and docs/ are built from.
  const full = !noFixtures && !noCorpus && !only && formats.length === 2 && args.length === 0;
  const name = full ? "transfer" : "transfer-partial";
  saveResult(name, { scale, ranAt, rows }, md);
  writeFileSync(join(outDir, `${name}.svg`), svg);
  if (full) {
    mkdirSync(join(repoRoot, "docs"), { recursive: true });
    writeFileSync(
      join(repoRoot, "docs", "transfer.md"),
      `# Transfer benchmark\n\n\`npm run bench -- transfer\`\n\n![bytes on the wire](transfer.svg)\n\n${md}\n`,
    );
    writeFileSync(join(repoRoot, "docs", "transfer.svg"), svg);
  }
  console.log(md);
}

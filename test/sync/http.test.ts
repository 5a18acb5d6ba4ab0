// A real master and a real agent on loopback HTTP: full install, known-base and
// unknown-base updates, no-change cost, the full-archive fallback, tokens, and the sync CLI
// contract (--json final line, exit codes).
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CourseLibrary, courseArchive } from "../../src/agent/library.js";
import { syncAll } from "../../src/agent/sync.js";
import { contentHash, hashTree, readManifest, writeArchive } from "../../src/archive/index.js";
import type { ScenarioFiles } from "../../src/demo/sample-course.js";
import { publishCourse, type RunningMaster, startMaster } from "../../src/master/server.js";
import { measure } from "../../src/measure.js";
import { storeBlob } from "../../src/transfer/index.js";
import { runCliAsync } from "../support/cli.js";
import { waitFor } from "../support/wait.js";
import { scenarioFiles } from "./helpers.js";

const TOKEN = "publish-secret-1";
const READ = "read-secret-1";
let work = "";
let master: RunningMaster;
let files: ScenarioFiles[];
const scen = (name: string) => files.find((f) => f.name === name)!;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "hc-http-"));
  files = (await scenarioFiles("zip")).files;
  master = await startMaster({
    dataDir: join(work, "master"),
    publishToken: TOKEN,
    readToken: READ,
    pieceSize: 16 * 1024,
  });
});
afterAll(async () => {
  await master.close();
  await rm(work, { recursive: true, force: true });
});

const publish = (file: string, course = "c1") =>
  publishCourse({ masterUrl: master.url, token: TOKEN, course, file, title: "Course One" });
const sync = (dir: string, extra: Partial<Parameters<typeof syncAll>[0]> = {}) =>
  syncAll({ dataDir: dir, masterUrl: master.url, token: READ, courses: ["c1"], ...extra });

describe("sync over HTTP", () => {
  const agent = () => join(work, "agent");

  it("installs a course in full, then updates it with a known-base delta, then costs <1 KB when unchanged", async () => {
    const s = scen("small-text-change");
    await publish(s.old!);
    const first = await sync(agent());
    expect(first.courses[0]).toMatchObject({ type: "course-done", result: "updated", plan: "full" });

    const v2 = await publish(s.new);
    master.resetTraffic();
    const second = await sync(agent());
    const t2 = master.traffic();
    expect(second.courses[0]).toMatchObject({
      type: "course-done",
      result: "updated",
      plan: "known-base",
      contentHash: v2.contentHash,
    });
    const newSize = (await import("node:fs")).statSync(s.new).size;
    expect(t2.up + t2.down).toBeLessThan(newSize / 20);

    const lib = await CourseLibrary.open(agent());
    const installed = await lib.get("c1");
    await lib.close();
    expect(installed?.contentHash).toBe(v2.contentHash);
    // The download archive is made from the installed tree on request, with the same content.
    expect((await readManifest(await courseArchive(installed!))).contentHash).toBe(v2.contentHash);
    // The old version is gone from disk once the new one is switched in.
    expect(existsSync(installed!.treePath)).toBe(true);

    master.resetTraffic();
    const third = await sync(agent());
    const t3 = master.traffic();
    expect(third.courses[0]).toMatchObject({ result: "up-to-date", plan: "none" });
    expect(t3.up + t3.down).toBeLessThan(1024);
  });

  it("falls back to the full archive when a delta would cost more", async () => {
    const unrelated = join(work, "random.zip");
    const blob = randomBytes(200_000);
    await writeArchive(
      unrelated,
      "zip",
      [{ path: "noise.bin", type: "file", size: blob.length, mode: 0o644, mtime: new Date() }],
      () => Readable.from([blob]),
    );
    await publish(unrelated);
    const r = await sync(agent());
    expect(r.courses[0]).toMatchObject({ type: "course-done", result: "updated", plan: "full" });
  });

  it("measure: known and unknown base both verify, unknown costs more up", async () => {
    const s = scen("small-addition");
    const known = await measure(s.old!, s.new);
    const unknown = await measure(s.old!, s.new, { unknownBase: true });
    expect(known).toMatchObject({ ok: true, plan: "known-base" });
    expect(unknown).toMatchObject({ ok: true, plan: "unknown-base" });
    expect(unknown.bytesUp).toBeGreaterThan(known.bytesUp);
    expect(known.bytesUp + known.bytesDown).toBeLessThan(known.newSize / 20);
  });

  it("rejects a wrong read token without retrying", async () => {
    const r = await sync(join(work, "agent-bad"), { token: "wrong-token" });
    expect(r.ok).toBe(false);
    expect(r.courses[0]).toMatchObject({ type: "course-failed", resumable: false });
    expect((r.courses[0] as { error: string }).error).toMatch(/403/);
  });
});

describe("handcarry sync CLI", () => {
  it("--json ends with the installed path and content hash; exit 0", async () => {
    const dir = join(work, "agent-cli");
    const r = await runCliAsync([
      "sync",
      "--data",
      dir,
      "--master",
      master.url,
      "--token",
      READ,
      "--course",
      "c1",
      "--json",
    ]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const last = lines[lines.length - 1]!;
    expect(last).toMatchObject({ type: "result", ok: true });
    expect(typeof last.path).toBe("string");
    expect(existsSync(last.path as string)).toBe(true);
    // The path is the installed tree; its bytes hash to the content hash.
    expect(contentHash(await hashTree(last.path as string))).toBe(last.contentHash);
    expect(lines.some((l) => l.type === "phase")).toBe(true);
  });

  it("exits 75 (will resume) when the master cannot be reached", async () => {
    const dir = join(work, "agent-down");
    const r = await runCliAsync(["sync", "--data", dir, "--master", "http://127.0.0.1:9", "--course", "c1"]);
    expect(r.status).toBe(75);
    expect(r.stderr).toMatch(/FAILED \(will resume\)/);
  });
});

describe("HTTPS", () => {
  it("serves over TLS with a cert and key, and the sync CLI trusts an extra CA", async () => {
    const { execFileSync } = await import("node:child_process");
    const dir = join(work, "tls");
    await (await import("node:fs/promises")).mkdir(dir);
    const cert = join(dir, "cert.pem");
    const key = join(dir, "key.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        key,
        "-out",
        cert,
      ],
      { stdio: "ignore" },
    );
    const tlsMaster = await startMaster({
      dataDir: join(dir, "master"),
      publishToken: TOKEN,
      tls: { cert, key },
    });
    try {
      expect(tlsMaster.url).toMatch(/^https:/);
      const env = { ...process.env, NODE_EXTRA_CA_CERTS: cert };
      const pub = await runCliAsync(
        [
          "publish",
          "--master",
          tlsMaster.url,
          "--token",
          TOKEN,
          "--course",
          "c1",
          scen("small-addition").new,
        ],
        { env },
      );
      expect(pub.status, pub.stderr).toBe(0);
      const r = await runCliAsync(
        ["sync", "--data", join(dir, "agent"), "--master", tlsMaster.url, "--json"],
        { env },
      );
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/"result":"updated"/);
      // Without the CA the same sync must refuse the certificate, not fall back to plain text.
      const untrusted = await runCliAsync(["sync", "--data", join(dir, "agent2"), "--master", tlsMaster.url]);
      expect(untrusted.status).toBe(75);
      expect(untrusted.stderr).toMatch(/certificate|SELF_SIGNED|UNABLE_TO_VERIFY/i);
    } finally {
      await tlsMaster.close();
    }
  });
});

describe("a delta that fails verification", () => {
  it("is rejected with the old version kept, and the next sync downloads the whole course", async () => {
    const { readFile, writeFile } = await import("node:fs/promises");
    const dir = join(work, "rejected");
    const m = await startMaster({ dataDir: join(dir, "master"), publishToken: TOKEN, pieceSize: 16 * 1024 });
    try {
      const s = scen("small-text-change");
      const pub = (file: string) => publishCourse({ masterUrl: m.url, token: TOKEN, course: "c9", file });
      const v1 = await pub(s.old!);
      const agentDir = join(dir, "agent");
      const go = () => syncAll({ dataDir: agentDir, masterUrl: m.url, courses: ["c9"] });
      expect((await go()).ok).toBe(true);
      const v2 = await pub(s.new);
      // Damage the master's copy of an old entry that v2 changed, by putting v2's bytes in its
      // place: the master then copies "old" bytes the agent does not have.
      const [oldM, newM] = [await readManifest(s.old!), await readManifest(s.new)];
      const changed = newM.entries.find(
        (e) => e.type === "file" && oldM.entries.some((o) => o.path === e.path && o.sha256 !== e.sha256),
      )!;
      const victim = join(m.storage.versionDir("c9", v1.contentHash), "tree", changed.path);
      const newTree = join(m.storage.versionDir("c9", v2.contentHash), "tree", changed.path);
      await writeFile(victim, await readFile(newTree));

      const failed = await go();
      expect(failed.courses[0]).toMatchObject({ type: "course-failed", resumable: true });
      expect((failed.courses[0] as { error: string }).error).toMatch(/delta rejected|content hash/);
      const lib = await CourseLibrary.open(agentDir);
      const still = await lib.get("c9");
      await lib.close();
      expect(still?.contentHash).toBe(v1.contentHash);
      expect((await readManifest(await courseArchive(still!))).contentHash).toBe(v1.contentHash);

      const retried = await go();
      expect(retried.courses[0]).toMatchObject({
        type: "course-done",
        plan: "full",
        contentHash: v2.contentHash,
      });
      // Once a sync succeeded, deltas are used again.
      const v3 = await pub(scen("small-addition").new);
      const next = await go();
      expect(next.courses[0]).toMatchObject({ type: "course-done", contentHash: v3.contentHash });
      expect((next.courses[0] as { plan: string }).plan).not.toBe("full");
    } finally {
      await m.close();
    }
  });
});

describe("unknown-base signatures", () => {
  it("go up piecewise when they exceed one piece, inline otherwise", async () => {
    const dir = join(work, "sigs");
    // Tiny pieces force the piecewise upload; the default fits the same signatures inline.
    for (const pieceSize of [256, 256 * 1024]) {
      const m = await startMaster({ dataDir: join(dir, `m${pieceSize}`), publishToken: TOKEN, pieceSize });
      try {
        const puts: string[] = [];
        m.server.on("request", (req) => {
          if (req.method === "PUT" && req.url?.startsWith("/v1/uploads/")) puts.push(req.url);
        });
        const s = scen("small-text-change");
        const pub = (file: string) => publishCourse({ masterUrl: m.url, token: TOKEN, course: "c5", file });
        await pub(s.old!);
        const agentDir = join(dir, `a${pieceSize}`);
        expect((await syncAll({ dataDir: agentDir, masterUrl: m.url, courses: ["c5"] })).ok).toBe(true);
        const v2 = await pub(s.new);
        const r = await syncAll({ dataDir: agentDir, masterUrl: m.url, courses: ["c5"], unknownBase: true });
        expect(r.courses[0]).toMatchObject({
          type: "course-done",
          plan: "unknown-base",
          contentHash: v2.contentHash,
        });
        if (pieceSize === 256) expect(puts.length).toBeGreaterThan(1);
        else expect(puts).toEqual([]);
      } finally {
        await m.close();
      }
    }
  });
});

describe("unknown base, round trips", () => {
  /** A tar of the given files (path → text), made here. */
  async function tarOf(file: string, files: Record<string, string>): Promise<string> {
    const entries = Object.entries(files).map(([path, text]) => ({
      path,
      type: "file" as const,
      size: Buffer.byteLength(text),
      mode: 0o644,
      mtime: new Date(0),
    }));
    await writeArchive(file, "tar", entries, (e) => Readable.from([Buffer.from(files[e.path]!)]));
    return file;
  }

  /** Install OLD from one master, publish NEW on a second that never saw OLD, sync from it. */
  async function syncFromStranger(name: string, oldFile: string, newFile: string) {
    const dir = join(work, name);
    const first = await startMaster({ dataDir: join(dir, "m1"), publishToken: TOKEN });
    const second = await startMaster({ dataDir: join(dir, "m2"), publishToken: TOKEN });
    try {
      const agentDir = join(dir, "agent");
      await publishCourse({ masterUrl: first.url, token: TOKEN, course: "c7", file: oldFile });
      expect((await syncAll({ dataDir: agentDir, masterUrl: first.url, courses: ["c7"] })).ok).toBe(true);
      const v2 = await publishCourse({ masterUrl: second.url, token: TOKEN, course: "c7", file: newFile });
      const requests: string[] = [];
      second.server.on("request", (req) =>
        requests.push(
          `${req.method} ${req.url?.replace(/[0-9a-f]{64}/, "BLOB").replace(/=[0-9a-f]{24}/, "=S")}`,
        ),
      );
      const r = await syncAll({ dataDir: agentDir, masterUrl: second.url });
      return { r, requests, v2 };
    } finally {
      await first.close();
      await second.close();
    }
  }

  it("a small course: check, then summary answered with plan and blob (no /sync, no signatures for 3 KB)", async () => {
    const page = (rev: number) =>
      `<html><body>${"<p>line of the page</p>\n".repeat(120)}rev ${rev}</body></html>`;
    const oldFile = await tarOf(join(work, "small-old.tar"), { "index.html": page(1), "a.txt": "same" });
    const newFile = await tarOf(join(work, "small-new.tar"), { "index.html": page(2), "a.txt": "same" });
    const { r, requests, v2 } = await syncFromStranger("small", oldFile, newFile);
    expect(requests).toEqual(["POST /v1/catalog/check", "POST /v1/courses/c7/summary"]);
    expect(r.courses[0]).toMatchObject({
      type: "course-done",
      plan: "unknown-base",
      contentHash: v2.contentHash,
    });
  });

  it("a larger course: check, summary, signatures inline, blob with the plan", async () => {
    const s = scen("small-text-change");
    const { r, requests, v2 } = await syncFromStranger("large", s.old!, s.new);
    expect(requests).toEqual([
      "POST /v1/catalog/check",
      "POST /v1/courses/c7/summary",
      "POST /v1/courses/c7/signatures?session=S",
    ]);
    expect(r.courses[0]).toMatchObject({
      type: "course-done",
      plan: "unknown-base",
      contentHash: v2.contentHash,
    });
  });

  it("the blob comes with the plan only when asked for, as JSON length, JSON, bytes", async () => {
    const s = scen("small-text-change");
    const m = await startMaster({ dataDir: join(work, "inline-m"), publishToken: TOKEN });
    try {
      await publishCourse({ masterUrl: m.url, token: TOKEN, course: "c8", file: s.old! });
      const old = await publishCourse({ masterUrl: m.url, token: TOKEN, course: "c8", file: s.new });
      expect(old.unchanged).toBe(false);
      const base = (await readManifest(s.old!)).contentHash;
      // The delta is built in the background: until then the answer is a 503 "retry after".
      const ask = (accept: string) =>
        waitFor(async () => {
          const res = await fetch(`${m.url}/v1/courses/c8/sync`, {
            method: "POST",
            body: JSON.stringify({ have: base }),
            headers: { "content-type": "application/json", accept },
          });
          return res.status === 200 ? res : void (await res.arrayBuffer());
        }, "the known-base plan");
      const plain = await ask("application/json");
      expect(plain.headers.get("content-type")).toBe("application/json; charset=utf-8");
      const plan = (await plain.json()) as { plan: string; blob: { id: string; size: number } };
      expect(plan.plan).toBe("known-base");
      const inline = await ask("application/vnd.hc.json-tail");
      expect(inline.headers.get("content-type")).toBe("application/vnd.hc.json-tail");
      const body = Buffer.from(await inline.arrayBuffer());
      const n = body.readUInt32BE(0);
      expect(JSON.parse(body.subarray(4, 4 + n).toString())).toEqual(plan);
      const tail = body.subarray(4 + n);
      expect(tail.length).toBe(plan.blob.size);
      expect(createHash("sha256").update(tail).digest("hex")).toBe(plan.blob.id);
    } finally {
      await m.close();
    }
  });

  it("a blob sent with its plan that does not match it is not kept", async () => {
    const data = Buffer.from("the blob's bytes");
    const blob = {
      id: createHash("sha256").update(data).digest("hex"),
      size: data.length,
      pieceSize: 1024,
      md5: [createHash("md5").update(data).digest("hex")],
    };
    const dir = join(work, "stored");
    expect(await storeBlob(blob, dir, Buffer.from("the blob's bytez"))).toBe(false);
    expect(existsSync(join(dir, "blob"))).toBe(false);
    expect(await storeBlob(blob, dir, data)).toBe(true);
    expect(existsSync(join(dir, "blob"))).toBe(true);
  });
});

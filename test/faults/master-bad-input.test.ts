// Master side faults: whatever a client sends, the master answers with a clear 4xx, leaks
// nothing, writes nothing outside its data dir and keeps its catalog consistent.
import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { Agent, request as httpRequest } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readManifest } from "../../src/archive/index.js";
import type { RunningMaster } from "../../src/master/server.js";
import { encodeSummary } from "../../src/sync/summary.js";
import { makeTempDir, type TempDir } from "../support/procs.js";
import { waitFor } from "../support/wait.js";
import {
  COURSE,
  type CoursePair,
  installedHash,
  PUBLISH_TOKEN,
  publish,
  startTestMaster,
  syncQuiet,
  writeCoursePair,
} from "./helpers.js";

const READ_TOKEN = "read-secret-4567";
const MAX_ARCHIVE = 1_000_000;

let course: CoursePair;
let master: RunningMaster;
let mdir: TempDir;
let oldHash: string;

/** Raw HTTP on loopback (fetch would normalize paths like `..`). */
function raw(
  method: string,
  path: string,
  o: { body?: Buffer | string; headers?: Record<string, string>; chunked?: boolean; agent?: Agent } = {},
): Promise<{ status: number; text: string; headers: Record<string, string | string[] | undefined> }> {
  const url = new URL(master.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      // A fresh connection per request unless a keep-alive agent is given.
      { host: url.hostname, port: url.port, method, path, headers: o.headers ?? {}, agent: o.agent ?? false },
      (res) => {
        const parts: Buffer[] = [];
        res.on("data", (c: Buffer) => parts.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(parts).toString("utf8"),
            headers: res.headers,
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", (e: NodeJS.ErrnoException) => {
      // The master may answer 413 and close before the whole body went out.
      if (e.code === "EPIPE" || e.code === "ECONNRESET") resolve({ status: -1, text: e.code, headers: {} });
      else reject(e);
    });
    if (o.body !== undefined) {
      if (o.chunked) {
        // No content-length: the limit must hold while streaming.
        const b = Buffer.from(o.body);
        for (let i = 0; i < b.length; i += 16384) req.write(b.subarray(i, i + 16384));
        req.end();
      } else req.end(o.body);
    } else req.end();
  });
}

const auth = (t: string) => ({ authorization: `Bearer ${t}` });
const R = auth(READ_TOKEN);
const P = auth(PUBLISH_TOKEN);

beforeAll(async () => {
  course = await writeCoursePair("small-text-change", 0.05);
  ({ master, dir: mdir } = await startTestMaster({
    readToken: READ_TOKEN,
    maxArchiveBytes: MAX_ARCHIVE,
    maxSummaryBytes: 64 * 1024,
    pieceSize: 16 * 1024,
  }));
  expect((await stat(course.old)).size).toBeLessThan(MAX_ARCHIVE);
  oldHash = (await publish(master, course.old)).contentHash;
});

afterAll(async () => {
  await master?.close();
  await mdir?.cleanup();
  await course?.dir.cleanup();
});

describe("tokens", () => {
  const secrets = [READ_TOKEN, PUBLISH_TOKEN, COURSE, "hc1:"];
  const reads = [
    ["GET", "/v1/catalog"],
    ["POST", `/v1/courses/${COURSE}/sync`],
    ["POST", `/v1/courses/${COURSE}/summary`],
    ["GET", `/v1/courses/${COURSE}/archive`],
    ["GET", `/v1/blobs/${"a".repeat(64)}/pieces/0`],
    ["PUT", `/v1/uploads/${"b".repeat(24)}/pieces/0`],
  ] as const;

  it("missing token: 401 with a Bearer challenge, wrong token: 403; bodies name no secret or course", async () => {
    for (const [method, path] of reads) {
      const none = await raw(method, path);
      expect(none.status, `${method} ${path}`).toBe(401);
      expect(none.headers["www-authenticate"]).toMatch(/^Bearer realm=/);
      const wrong = await raw(method, path, { headers: auth(`${READ_TOKEN}x`) });
      expect(wrong.status, `${method} ${path}`).toBe(403);
      for (const r of [none, wrong]) for (const s of secrets) expect(r.text).not.toContain(s);
    }
    // Publishing needs the publish token: the read token is a wrong one there.
    const pub = await raw("PUT", `/v1/courses/${COURSE}`, { headers: R, body: await readFile(course.new) });
    expect(pub.status).toBe(403);
    for (const s of secrets) expect(pub.text).not.toContain(s);
    const catalog = await raw("GET", "/v1/catalog", { headers: R });
    expect(JSON.parse(catalog.text)[0].contentHash).toBe(oldHash);
  });

  it("a token differing only in the last character or in length is refused (no prefix match)", async () => {
    for (const t of [
      READ_TOKEN.slice(0, -1),
      `${READ_TOKEN.slice(0, -1)}8`,
      `${READ_TOKEN}0`,
      READ_TOKEN.toUpperCase(),
      `x${READ_TOKEN}`,
      "",
    ]) {
      const r = await raw("GET", "/v1/catalog", { headers: { authorization: `Bearer ${t}` } });
      expect([401, 403], JSON.stringify(t)).toContain(r.status);
    }
    expect((await raw("GET", "/v1/catalog", { headers: R })).status).toBe(200);
  });
});

describe("malformed requests", () => {
  it("malformed JSON to /sync is a 400, not a 500", async () => {
    for (const body of ["{", '{"have":', "[1,2", "\u0000\u0001"]) {
      const r = await raw("POST", `/v1/courses/${COURSE}/sync`, {
        headers: { ...R, "content-type": "application/json" },
        body,
      });
      expect(r.status, body).toBe(400);
    }
    // Wrong types are not trusted either: a non-string `have` is treated as "nothing held".
    const r = await raw("POST", `/v1/courses/${COURSE}/sync`, {
      headers: { ...R, "content-type": "application/json" },
      body: JSON.stringify({ have: { $ne: 1 } }),
    });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text).plan).toBe("full");
  });

  it("malformed entry summaries are 400s naming the problem; an oversized one is a 413", async () => {
    const good = encodeSummary({ contentHash: `hc1:${"0".repeat(64)}`, entries: [] } as never);
    const bad: Array<[string, Buffer]> = [
      ["empty", Buffer.alloc(0)],
      ["garbage", Buffer.from("this is not a summary")],
      ["truncated", good.subarray(0, Math.max(1, good.length - 3))],
      ["random", createHash("sha512").update("x").digest()],
    ];
    for (const [what, body] of bad) {
      const r = await raw("POST", `/v1/courses/${COURSE}/summary`, {
        headers: { ...R, "content-type": "application/octet-stream" },
        body,
      });
      expect(r.status, what).toBe(400);
      expect(JSON.parse(r.text).error, what).toMatch(/\w/);
    }
    const huge = await raw("POST", `/v1/courses/${COURSE}/summary`, {
      headers: R,
      body: Buffer.alloc(200 * 1024),
    });
    expect([413, -1]).toContain(huge.status);
  });

  it("signature uploads: bad session ids, out-of-range piece numbers, wrong MD5, missing pieces and garbage signatures", async () => {
    expect((await raw("PUT", "/v1/uploads/not-a-session/pieces/0", { headers: R, body: "x" })).status).toBe(
      400,
    );
    expect(
      (await raw("PUT", `/v1/uploads/${"c".repeat(24)}/pieces/0`, { headers: R, body: "x" })).status,
    ).toBe(404);
    // A real session: the old version's summary with a changed hash asks for signatures.
    const agent = await makeTempDir("hc-faults-agent-");
    try {
      await syncQuiet({ dataDir: agent.path, masterUrl: master.url, token: READ_TOKEN });
      const { CourseLibrary } = await import("../../src/agent/library.js");
      const { toOldView } = await import("../../src/sync/course.js");
      const lib = await CourseLibrary.open(agent.path);
      const view = toOldView(await lib.manifest((await lib.get(COURSE))!));
      await lib.close();
      await publish(master, course.new);
      const plan = JSON.parse(
        (await raw("POST", `/v1/courses/${COURSE}/summary`, { headers: R, body: encodeSummary(view) })).text,
      ) as { session?: string; signatures?: unknown[] };
      expect(plan.session).toMatch(/^[0-9a-f]{24}$/);
      expect(plan.signatures?.length).toBeGreaterThan(0);
      const s = plan.session!;
      for (const n of ["-1", "1.5", "100001", "abc", "1e3x"]) {
        expect((await raw("PUT", `/v1/uploads/${s}/pieces/${n}`, { headers: R, body: "x" })).status, n).toBe(
          400,
        );
      }
      const md5 = createHash("md5").update("other").digest("hex");
      expect(
        (
          await raw("PUT", `/v1/uploads/${s}/pieces/0`, {
            headers: { ...R, "x-content-md5": md5 },
            body: "data",
          })
        ).status,
      ).toBe(422);
      expect(
        (await raw("PUT", `/v1/uploads/${s}/pieces/0`, { headers: R, body: Buffer.alloc(16 * 1024 + 1) }))
          .status,
      ).toBe(413);
      const post = (body: unknown) =>
        raw("POST", `/v1/courses/${COURSE}/signatures`, {
          headers: { ...R, "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      expect((await post({ session: s, pieces: 1 })).status).toBe(409); // piece 0 never arrived
      // More pieces than this session's signatures can take: refused before any is read.
      const beyond = await post({ session: s, pieces: 2 });
      expect(beyond.status).toBe(400);
      expect(JSON.parse(beyond.text).error).toBe("this session's signatures take 1 piece(s), not 2");
      const late = await raw("PUT", `/v1/uploads/${s}/pieces/1`, { headers: R, body: "x" });
      expect(late.status).toBe(400);
      expect(JSON.parse(late.text).error).toBe(
        "piece 1 is beyond the last piece (0) of this session's signatures",
      );
      expect((await post({ session: s, pieces: -1 })).status).toBe(400);
      expect((await post({ session: s, pieces: "many" })).status).toBe(400);
      expect((await post({ session: "../../etc", pieces: 1 })).status).toBe(400);
      // Garbage where the signatures should be: a 400, and the session still usable.
      expect(
        (
          await raw("PUT", `/v1/uploads/${s}/pieces/0`, {
            headers: R,
            body: Buffer.from("garbage signatures"),
          })
        ).status,
      ).toBe(200);
      const r = await post({ session: s, pieces: 1 });
      expect(r.status).toBe(400);
      expect(JSON.parse(r.text).error).toMatch(/\w/);
    } finally {
      await agent.cleanup();
    }
  });

  it("piece numbers out of range are 416; bad blob ids 400/404", async () => {
    const plan = JSON.parse(
      (
        await raw("POST", `/v1/courses/${COURSE}/sync`, {
          headers: { ...R, "content-type": "application/json" },
          body: "{}",
        })
      ).text,
    );
    const count = plan.blob.md5.length as number;
    expect(count).toBeGreaterThan(1);
    const piece = (n: string) => raw("GET", `/v1/blobs/${plan.blob.id}/pieces/${n}`, { headers: R });
    expect((await piece(String(count - 1))).status).toBe(200);
    for (const n of [String(count), "-1", "99999999", "1.5", "x"])
      expect((await piece(n)).status, n).toBe(416);
    expect((await raw("GET", `/v1/blobs/${"f".repeat(64)}/pieces/0`, { headers: R })).status).toBe(404);
    expect((await raw("GET", "/v1/blobs/..%2F..%2Fdb/pieces/0", { headers: R })).status).toBe(400);
    // A Range past the piece's end is a 416 too, not bytes of the next piece.
    const r = await raw("GET", `/v1/blobs/${plan.blob.id}/pieces/0`, {
      headers: { ...R, range: `bytes=${16 * 1024}-` },
    });
    expect(r.status).toBe(416);
  });
});

describe("path traversal in course ids", () => {
  const ids = [
    "..%2F..%2Fetc%2Fpasswd",
    "..%2F..",
    "%2E%2E",
    "..",
    "x%00y",
    "%00",
    "%2Fetc%2Fpasswd",
    "%2Ftmp",
    ".hidden",
    "a%2Fb",
    "a%5Cb",
    "%E2%80%AE",
    "x".repeat(200),
  ];

  it("never reach the filesystem: 400 or 404 for reads and publishes, nothing written outside the data dir", async () => {
    const parent = join(mdir.path, "..");
    const before = (await readdir(parent)).sort();
    const archive = await readFile(course.old);
    for (const id of ids) {
      for (const [method, path] of [
        ["GET", `/v1/courses/${id}/archive`],
        ["POST", `/v1/courses/${id}/sync`],
        ["POST", `/v1/courses/${id}/summary`],
      ] as const) {
        const r = await raw(method, path, {
          headers: { ...R, "content-type": "application/json" },
          body: "{}",
        });
        expect([400, 404], `${method} ${path}`).toContain(r.status);
      }
      const p = await raw("PUT", `/v1/courses/${id}`, { headers: P, body: archive });
      expect([400, 404], `PUT ${id}`).toContain(p.status);
    }
    expect((await readdir(parent)).sort()).toEqual(before);
    const courses = await readdir(join(mdir.path, "courses"));
    expect(courses).toEqual([COURSE]);
    const catalog = JSON.parse((await raw("GET", "/v1/catalog", { headers: R })).text) as Array<{
      id: string;
    }>;
    expect(catalog.map((c) => c.id)).toEqual([COURSE]);
  });
});

describe("uploads", () => {
  it("an oversized publish is a 413 with or without content-length, and leaves no partial file", async () => {
    const big = Buffer.concat([await readFile(course.new), Buffer.alloc(MAX_ARCHIVE)]);
    const declared = await raw("PUT", `/v1/courses/big`, { headers: P, body: big });
    expect([413, -1]).toContain(declared.status);
    if (declared.status === 413) expect(JSON.parse(declared.text).error).toMatch(/limit/);
    const streamed = await raw("PUT", `/v1/courses/big`, { headers: P, body: big, chunked: true });
    expect([413, -1]).toContain(streamed.status);
    const catalog = JSON.parse((await raw("GET", "/v1/catalog", { headers: R })).text) as Array<{
      id: string;
    }>;
    expect(catalog.map((c) => c.id)).not.toContain("big");
    // The aborted stream unwinds after the answer: wait until its partial file is gone.
    const incoming = async () =>
      (await readdir(join(mdir.path, "work")).catch(() => [])).filter((f) => f.startsWith("incoming"));
    await waitFor(async () => (await incoming()).length === 0, "the partial upload to be removed");
    expect(await incoming()).toEqual([]);
  });

  it("after a 413 mid-upload the same keep-alive connection still works (or the 413 closes it)", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const big = Buffer.alloc(MAX_ARCHIVE + 200_000, 1);
      const r = await raw("PUT", "/v1/courses/big", { headers: P, body: big, chunked: true, agent });
      expect([413, -1]).toContain(r.status);
      const next = await raw("GET", "/v1/catalog", { headers: R, agent });
      expect(next.status, `next request on the connection: ${next.text}`).toBe(200);
    } finally {
      agent.destroy();
    }
  });

  it("a body that is not an archive is refused (4xx), the course keeps its version", async () => {
    const before = JSON.parse((await raw("GET", "/v1/catalog", { headers: R })).text);
    for (const body of [
      Buffer.alloc(0),
      Buffer.from("PK\u0003\u0004 truncated zip"),
      createHash("sha256").update("noise").digest(),
    ]) {
      const r = await raw("PUT", `/v1/courses/${COURSE}`, { headers: P, body });
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
    }
    expect(JSON.parse((await raw("GET", "/v1/catalog", { headers: R })).text)).toEqual(before);
  });
});

describe("concurrent publishes of the same course", () => {
  it("two different archives at once: both land as versions, the catalog names one of them, every stored version is intact", async () => {
    const { master: m, dir } = await startTestMaster({ pieceSize: 16 * 1024 });
    try {
      const results = await Promise.all([
        publish(m, course.old, "race"),
        publish(m, course.new, "race"),
        publish(m, course.old, "race"),
      ]);
      const hashes = new Set(results.map((r) => r.contentHash));
      expect(hashes.size).toBe(2);
      // The third publish of the old archive either follows the new one (new version record) or
      // directly follows the first (unchanged): never a corrupted or half record.
      const rec = await m.storage.courses.get("race");
      expect(rec).toBeDefined();
      const catalog = (await (await fetch(`${m.url}/v1/catalog`)).json()) as Array<{
        id: string;
        contentHash: string;
      }>;
      expect(catalog).toHaveLength(1);
      expect(catalog[0]!.contentHash).toBe(rec!.versions.at(-1)!.contentHash);
      expect(new Set(rec!.versions.map((v) => v.contentHash)).size).toBe(rec!.versions.length);
      for (const v of rec!.versions) {
        const archive = join(m.storage.versionDir("race", v.contentHash), "archive");
        expect((await readManifest(archive)).contentHash).toBe(v.contentHash);
        expect((await m.storage.blobs.get(v.blob))?.manifest.size).toBe(v.size);
      }
      // Only the versions on record are on disk.
      const onDisk = (await readdir(join(dir.path, "courses", "race"))).sort();
      expect(onDisk).toEqual(rec!.versions.map((v) => v.contentHash.replace(/^hc1:/, "")).sort());
      // And an agent syncs to exactly what the catalog says.
      const agent = await makeTempDir("hc-faults-agent-");
      try {
        const { result } = await syncQuiet({ dataDir: agent.path, masterUrl: m.url });
        const done = result.courses[0]!;
        expect(done.type).toBe("course-done");
        if (done.type === "course-done") {
          expect(done.contentHash).toBe(catalog[0]!.contentHash);
          expect(await installedHash(done.path)).toBe(done.contentHash);
        }
      } finally {
        await agent.cleanup();
      }
    } finally {
      await m.close();
      await dir.cleanup();
    }
  });

  it("the same archive published twice at once: one creates the version, the other reports it unchanged", async () => {
    const { master: m, dir } = await startTestMaster({ pieceSize: 16 * 1024 });
    try {
      const results = await Promise.all([publish(m, course.new, "twice"), publish(m, course.new, "twice")]);
      expect(results.map((r) => r.unchanged).sort()).toEqual([false, true]);
      expect(results[0]!.contentHash).toBe(results[1]!.contentHash);
      const rec = await m.storage.courses.get("twice");
      expect(rec!.versions).toHaveLength(1);
    } finally {
      await m.close();
      await dir.cleanup();
    }
  });
});

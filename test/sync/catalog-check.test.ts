// The catalog check on a real master on loopback: with 200 courses installed, a sync where
// nothing changed is one request of a few KB (counted on the master's server, headers
// included); one changed course costs that check plus its own negotiation; an agent talking
// to a master without the check still syncs the old way, and an old agent's GET still works.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syncAll } from "../../src/agent/sync.js";
import { writeArchive } from "../../src/archive/index.js";
import { publishCourse, type RunningMaster, startMaster } from "../../src/master/server.js";
import { catalogChanges, decodeCatalogCheck, encodeCatalogCheck } from "../../src/sync/catalog.js";
import { HostileMaster, json } from "../support/hostile-master.js";

const TOKEN = "publish-secret-cc";
const READ = "read-secret-cc";
const COURSES = 200;
let work = "";
let master: RunningMaster;
/** Method and path of every request the master received since the last reset. */
let requests: string[] = [];

const courseId = (i: number) => `course-${String(i).padStart(3, "0")}`;

async function publishRevision(i: number, revision: number): Promise<void> {
  const file = join(work, `${courseId(i)}-r${revision}.tar`);
  const page = Buffer.from(`<h1>Course ${i}</h1><p>revision ${revision}</p>\n`);
  await writeArchive(
    file,
    "tar",
    [{ path: "index.html", type: "file", size: page.length, mode: 0o644, mtime: new Date(0) }],
    () => Readable.from([page]),
  );
  await publishCourse({
    masterUrl: master.url,
    token: TOKEN,
    course: courseId(i),
    file,
    title: `Course ${i}`,
  });
}

const agentDir = () => join(work, "agent");
const sync = (dataDir = agentDir(), masterUrl = master.url) =>
  syncAll({ dataDir, masterUrl, token: READ, onWarning: () => {} });

function resetCounts(): void {
  requests = [];
  master.resetTraffic();
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "hc-catalog-"));
  master = await startMaster({ dataDir: join(work, "master"), publishToken: TOKEN, readToken: READ });
  master.server.on("request", (req) => requests.push(`${req.method} ${req.url}`));
  for (let i = 0; i < COURSES; i++) await publishRevision(i, 1);
  const first = await sync();
  expect(first.ok).toBe(true);
  expect(first.updated).toBe(COURSES);
}, 600_000);

afterAll(async () => {
  await master?.close();
  await rm(work, { recursive: true, force: true });
});

describe("catalog check", () => {
  it("200 unchanged courses: one request, under 10 KB up and down", async () => {
    resetCounts();
    const r = await sync();
    const t = master.traffic();
    expect(requests).toEqual(["POST /v1/catalog/check"]);
    expect(t.up + t.down).toBeLessThan(10 * 1024);
    expect(r.ok).toBe(true);
    expect(r.updated).toBe(0);
    expect(r.courses.length).toBe(200);
    expect(r.courses.every((c) => c.type === "course-done" && c.result === "up-to-date")).toBe(true);
  });

  it("one course of 200 changed: the check, then that course alone", async () => {
    await publishRevision(17, 2);
    resetCounts();
    const r = await sync();
    expect(requests.slice(0, 2)).toEqual(["POST /v1/catalog/check", "POST /v1/courses/course-017/sync"]);
    expect(requests.filter((q) => q.includes("/sync")).length).toBe(1);
    expect(r.updated).toBe(1);
    expect(r.courses.find((c) => c.course === "course-017")).toMatchObject({
      type: "course-done",
      result: "updated",
      plan: "known-base",
    });
    resetCounts();
    await sync();
    expect(requests).toEqual(["POST /v1/catalog/check"]);
  });

  it("a new agent against a master without the check: catalog, then every course", async () => {
    // An older master answers 404 for a path it does not know; this one serves a 1-course catalog.
    const old = await HostileMaster.start();
    try {
      old.routes = [
        [/^\/v1\/catalog$/, json([{ id: courseId(3) }])],
        [
          /\/sync$/,
          (_req, res) => res.writeHead(403, { "content-type": "application/json" }).end('{"error":"no"}'),
        ],
      ];
      const r = await sync(join(work, "agent-old-master"), old.url);
      expect(old.requests).toEqual(["/v1/catalog/check", "/v1/catalog", `/v1/courses/${courseId(3)}/sync`]);
      expect(r.courses).toEqual([
        {
          type: "course-failed",
          course: courseId(3),
          error: `403 from /v1/courses/${courseId(3)}/sync: no`,
          resumable: false,
        },
      ]);
    } finally {
      await old.close();
    }
  });

  it("an older agent's GET of the whole catalog still answers every course", async () => {
    const res = await fetch(`${master.url}/v1/catalog`, { headers: { authorization: `Bearer ${READ}` } });
    expect(res.status).toBe(200);
    const catalog = (await res.json()) as Array<{ id: string }>;
    expect(catalog.length).toBe(200);
    expect(catalog[0]!.id).toBe("course-000");
  });

  it("a check that is not one: 400 naming what is wrong", async () => {
    const post = (body: Buffer) =>
      fetch(`${master.url}/v1/catalog/check`, {
        method: "POST",
        body,
        headers: { authorization: `Bearer ${READ}`, "content-type": "application/octet-stream" },
      });
    const garbage = await post(Buffer.from("not brotli"));
    expect(garbage.status).toBe(400);
    expect(((await garbage.json()) as { error: string }).error).toMatch(/^catalog check is not readable/);
    const badId = await post(
      encodeCatalogCheck({ all: true, have: new Map([["../x", "0123456789abcdef"]]) }),
    );
    expect(badId.status).toBe(400);
    expect(await badId.json()).toEqual({ error: 'catalog check: invalid course id "../x"' });
  });

  it("the check's encoding round-trips; a digest of the wrong length is refused", () => {
    const have = new Map([
      ["a", "0123456789abcdef"],
      ["b", ""],
    ]);
    expect(decodeCatalogCheck(encodeCatalogCheck({ all: false, have }))).toEqual({ all: false, have });
    expect(() =>
      decodeCatalogCheck(encodeCatalogCheck({ all: true, have: new Map([["a", "0123"]]) })),
    ).toThrow('catalog check: course a: must be "" or 16 hex digits');
  });

  it("marks changed courses whose installed version the master does not keep", () => {
    const hash = (c: string) => `hc1:${c.repeat(64)}`;
    const have = new Map([
      ["kept", "aaaaaaaaaaaaaaaa"],
      ["stranger", "cccccccccccccccc"],
      ["fresh", ""],
    ]);
    const latest = [
      { id: "kept", contentHash: hash("b"), kept: [hash("a"), hash("b")] },
      { id: "stranger", contentHash: hash("b"), kept: [hash("a"), hash("b")] },
      { id: "fresh", contentHash: hash("b"), kept: [hash("b")] },
    ];
    expect(catalogChanges({ all: false, have }, latest)).toEqual({
      changed: [
        { id: "kept", contentHash: hash("b") },
        { id: "stranger", contentHash: hash("b"), unknownBase: true },
        { id: "fresh", contentHash: hash("b") },
      ],
      gone: [],
    });
  });
});

/**
 * The master's HTTP API (Koa). Publish, catalog, sync negotiation (none / known base /
 * unknown base / full), piecewise signature upload, and immutable content-addressed pieces
 * that any HTTP cache can serve.
 */
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import Router from "@koa/router";
import Koa from "koa";
import { koaBody } from "koa-body";
import { ArchiveError } from "../archive/index.js";
import { DeltaError } from "../delta/index.js";
import { bodyChunks, rawBody } from "../http/body.js";
import { sendFile } from "../http/send-file.js";
import { buildCourseDelta, planSignatures } from "../sync/build.js";
import { CatalogCheckError, catalogChanges, decodeCatalogCheck, MAX_CHECK_BYTES } from "../sync/catalog.js";
import type { OldView } from "../sync/course.js";
import { HcdFormatError } from "../sync/format.js";
import type { Plan } from "../sync/plan.js";
import { decodeSummary, parseSignatures, SummaryError } from "../sync/summary.js";
import { type BlobManifest, JSON_TAIL_TYPE, pieceCount, pieceRange } from "../transfer/index.js";
import { requireToken } from "./auth.js";
import { archiveProblemText, HttpProblem, withoutPath } from "./problem.js";
import type { ForwardingStatus } from "./records/forward.js";
import { mountRecords } from "./records/index.js";
import { COURSE_ID, type CourseRecord, hashDir, type MasterStorage } from "./storage.js";
import { unknownResultKey } from "./unknown-results.js";

export { HttpProblem } from "./problem.js";

export interface MasterOptions {
  publishToken: string;
  readToken?: string;
  /** Token to read learner records (export, results page); closed without one. */
  recordsToken?: string;
  /** Where forwarding to an LRS stands, when the master forwards (GET /v1/records/forwarding). */
  forwarding?: () => ForwardingStatus;
  /** Largest archive a publish may upload. */
  maxArchiveBytes?: number;
  /** Largest entry summary an agent may send. */
  maxSummaryBytes?: number;
  /**
   * How long a sync request may wait for a delta being built; past it the answer is a 503
   * with Retry-After and the build goes on (default 5 s: no request holds a connection long).
   */
  answerWithinMs?: number;
}

/** `work`'s result if it settles within `ms`, else undefined (it keeps running). */
async function within<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  work.catch(() => {}); // a failure after we stopped waiting is the next request's to see
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((r) => {
    timer = setTimeout(() => r(undefined), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Pass chunks through, feeding each to `hash` on the way. */
async function* hashing(source: AsyncIterable<Buffer>, hash: ReturnType<typeof createHash>) {
  for await (const c of source) {
    hash.update(c);
    yield c;
  }
}

const latestOf = (c: CourseRecord) => c.versions[c.versions.length - 1]!;

/**
 * Blobs up to this size go with their plan when the agent accepts JSON_TAIL_TYPE: a piece request
 * of its own costs ~430 B of HTTP, more than a small course's whole delta is worth saving.
 */
export const INLINE_BLOB_MAX = 16 * 1024;

export function createMasterApp(storage: MasterStorage, opts: MasterOptions): Koa {
  const app = new Koa();
  const router = new Router({ prefix: "/v1" });
  const sessions = storage.sessions;
  const answerWithin = opts.answerWithinMs ?? 5000;
  const retryAfter = Math.max(1, Math.ceil(answerWithin / 1000));
  const maxArchive = opts.maxArchiveBytes ?? 4 * 1024 ** 3;
  const maxSummary = opts.maxSummaryBytes ?? 16 << 20;
  const read = requireToken(opts.readToken, "handcarry");
  const publish = requireToken(opts.publishToken, "handcarry-publish");
  const json = koaBody({ jsonLimit: "64kb", text: false, urlencoded: false });

  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (e) {
      const err = e as Error & { status?: number };
      let message = err.message;
      if (e instanceof HttpProblem) {
        ctx.status = e.status;
        if (e.retryAfter !== undefined) ctx.set("Retry-After", String(e.retryAfter));
      } else if (e instanceof ArchiveError) {
        ctx.status = 422;
        message = archiveProblemText(e);
      } else if (
        e instanceof SummaryError ||
        e instanceof DeltaError ||
        e instanceof HcdFormatError ||
        e instanceof CatalogCheckError
      )
        ctx.status = 400;
      else if (typeof err.status === "number" && err.status >= 400 && err.status < 500)
        ctx.status = err.status;
      else {
        ctx.status = 500;
        ctx.app.emit("error", e, ctx);
      }
      ctx.body = { error: ctx.status === 500 ? "internal error" : withoutPath(message, storage.dir) };
      // The unread rest of the body would otherwise be parsed as the next request.
      if (!ctx.req.complete) ctx.set("Connection", "close");
    }
  });

  /** "Not ready, come back in N s": the build goes on without the request waiting for it. */
  const notReady = (what: string) =>
    new HttpProblem(503, `${what} is being built: retry after ${retryAfter} s`, retryAfter);

  const course = async (id: string): Promise<CourseRecord> => {
    if (!COURSE_ID.test(id)) throw new HttpProblem(400, `invalid course id ${JSON.stringify(id)}`);
    const c = await storage.courses.get(id);
    if (!c || c.versions.length === 0) throw new HttpProblem(404, `no course ${id}`);
    return c;
  };

  const planFor = (c: CourseRecord, plan: Plan["plan"], blob?: BlobManifest): Plan => {
    const v = latestOf(c);
    return {
      plan,
      course: c.id,
      title: c.title,
      contentHash: v.contentHash,
      format: v.format,
      publishedAt: v.publishedAt,
      ...(blob && { blob }),
    };
  };

  const fullPlan = async (c: CourseRecord) => {
    const rec = await storage.blobs.get(latestOf(c).blob);
    if (!rec) throw new HttpProblem(500, `archive blob of ${c.id} is missing`);
    return planFor(c, "full", rec.manifest);
  };

  /** Offer a delta unless the whole archive would be no bigger. */
  const deltaOrFull = async (c: CourseRecord, plan: Plan["plan"], delta: BlobManifest) =>
    delta.size < latestOf(c).size ? planFor(c, plan, delta) : fullPlan(c);

  router.get("/catalog", read, async (ctx) => {
    const all = await storage.courses.entries();
    ctx.body = all
      .filter(([, c]) => c.versions.length > 0)
      .map(([, c]) => {
        const v = latestOf(c);
        return {
          id: c.id,
          title: c.title,
          contentHash: v.contentHash,
          format: v.format,
          size: v.size,
          publishedAt: v.publishedAt,
        };
      });
  });

  // The catalog check: the agent posts what it has, the answer names only what differs
  // (one round trip however many courses). GET above stays for older agents.
  router.post("/catalog/check", read, async (ctx) => {
    const check = decodeCatalogCheck(await rawBody(ctx, MAX_CHECK_BYTES));
    const all = await storage.courses.entries();
    ctx.body = catalogChanges(
      check,
      all
        .filter(([, c]) => c.versions.length > 0)
        .map(([, c]) => ({
          id: c.id,
          contentHash: latestOf(c).contentHash,
          kept: c.versions.map((v) => v.contentHash),
        })),
    );
  });

  router.put("/courses/:id", publish, async (ctx) => {
    const id = ctx.params.id!;
    if (!COURSE_ID.test(id)) throw new HttpProblem(400, `invalid course id ${JSON.stringify(id)}`);
    const declared = Number(ctx.get("content-length") || 0);
    if (declared > maxArchive)
      throw new HttpProblem(413, `archive of ${declared} bytes exceeds the limit of ${maxArchive}`);
    const incoming = await storage.workPath("incoming");
    let n = 0;
    try {
      await pipeline(
        ctx.req,
        async function* (src: AsyncIterable<Buffer>) {
          for await (const c of src) {
            n += c.length;
            if (n > maxArchive)
              throw new HttpProblem(413, `archive exceeds the limit of ${maxArchive} bytes`);
            yield c;
          }
        },
        createWriteStream(incoming, { flags: "wx" }),
      );
      if (n === 0) throw new HttpProblem(400, "empty body: send the course archive as the request body");
      const title = typeof ctx.query.title === "string" ? ctx.query.title.slice(0, 200) : undefined;
      const { version, unchanged } = await storage.publish(id, title, incoming);
      ctx.status = unchanged ? 200 : 201;
      ctx.body = {
        course: id,
        contentHash: version.contentHash,
        format: version.format,
        size: version.size,
        unchanged,
      };
    } finally {
      await rm(incoming, { force: true });
    }
  });

  /**
   * After a plan route: when the agent accepts it and the plan's blob is small, answer the
   * plan and the blob in one body (JSON_TAIL_TYPE). Older agents never ask, and get JSON.
   */
  const inlineSmallBlob: Koa.Middleware = async (ctx, next) => {
    await next();
    const plan = ctx.body as Plan | undefined;
    const asked = ctx.get("accept").includes(JSON_TAIL_TYPE);
    if (!asked || ctx.status !== 200 || !plan?.blob || plan.blob.size > INLINE_BLOB_MAX) return;
    const rec = await storage.blobs.get(plan.blob.id);
    // Gone meanwhile (a newer version was published): the plan alone, the download will say.
    const data = rec && (await readFile(rec.path).catch(() => undefined));
    if (!data) return;
    const json = Buffer.from(JSON.stringify(plan));
    const head = Buffer.alloc(4);
    head.writeUInt32BE(json.length);
    ctx.body = Buffer.concat([head, json, data]);
    ctx.type = JSON_TAIL_TYPE;
  };

  router.post("/courses/:id/sync", read, inlineSmallBlob, json, async (ctx) => {
    const c = await course(ctx.params.id!);
    const body = (ctx.request.body ?? {}) as { have?: unknown; unknownBase?: unknown };
    const have = typeof body.have === "string" ? body.have : undefined;
    const latest = latestOf(c);
    if (have === latest.contentHash) {
      ctx.body = planFor(c, "none");
      return;
    }
    const held =
      have !== undefined && body.unknownBase !== true
        ? c.versions.find((v) => v.contentHash === have)
        : undefined;
    if (held) {
      const delta =
        (await storage.cachedKnownBase(c.id, held, latest)) ??
        (await within(storage.knownBaseDelta(c.id, held, latest), answerWithin));
      if (!delta) throw notReady("the delta from your version");
      ctx.body = await deltaOrFull(c, "known-base", delta);
      return;
    }
    if (have === undefined) {
      ctx.body = await fullPlan(c);
      return;
    }
    // Unknown base: ask for the entry summary (the agent POSTs it to /summary). The full plan
    // comes with the next answer; this one only says what to do next.
    ctx.body = { plan: "unknown-base", course: c.id } satisfies Pick<Plan, "plan" | "course">;
  });

  router.post("/courses/:id/summary", read, inlineSmallBlob, async (ctx) => {
    const c = await course(ctx.params.id!);
    const target = latestOf(c);
    const view = decodeSummary(await rawBody(ctx, maxSummary));
    if (view.contentHash === target.contentHash) {
      ctx.body = planFor(c, "none");
      return;
    }
    const next = await storage.manifestOf(c.id, target.contentHash);
    const requests = planSignatures(next, view);
    const summaryJson = JSON.stringify(view);
    const summaryDigest = createHash("sha256").update(summaryJson).digest("hex");
    if (requests.length === 0) {
      ctx.body = await buildUnknown(c, target.contentHash, view, summaryDigest, "", new Map());
      return;
    }
    const { id } = await sessions.open(
      { course: c.id, target: target.contentHash, requests, pieceSize: storage.pieceSize, summaryDigest },
      view,
      summaryJson,
    );
    ctx.body = {
      ...planFor(c, "unknown-base"),
      session: id,
      signatures: requests.map((r) => [r.index, r.blockLen, r.strongLen]),
      pieceSize: storage.pieceSize,
    } satisfies Plan;
  });

  router.put("/uploads/:session/pieces/:n", read, async (ctx) => {
    const id = ctx.params.session!;
    const s = await sessions.get(id);
    const n = /^\d{1,9}$/.test(ctx.params.n ?? "") ? Number(ctx.params.n) : Number.NaN;
    if (!Number.isInteger(n) || n < 0 || n > 100_000) throw new HttpProblem(400, "invalid piece number");
    const data = await rawBody(ctx, s.pieceSize);
    const md5 = ctx.get("x-content-md5");
    if (md5 && createHash("md5").update(data).digest("hex") !== md5)
      throw new HttpProblem(422, `piece ${n} does not match its MD5`);
    await sessions.putPiece(id, s, n, data);
    ctx.body = { ok: true };
  });

  // Signatures arrive inline (octet-stream, ?session=…) when they fit in one piece, which
  // saves a round trip; larger ones are uploaded piecewise first, then named here (JSON).
  // Either way they are parsed as they stream: the upload is never held whole.
  router.post("/courses/:id/signatures", read, inlineSmallBlob, json, async (ctx) => {
    const c = await course(ctx.params.id!);
    const inline = Boolean(ctx.is("application/octet-stream"));
    const body = (inline ? ctx.query : (ctx.request.body ?? {})) as { session?: unknown; pieces?: unknown };
    const id = String(body.session);
    const s = await sessions.get(id);
    if (s.course !== c.id) throw new HttpProblem(400, "session belongs to another course");
    let source: AsyncIterable<Buffer>;
    if (inline) {
      source = bodyChunks(ctx, Math.max(s.pieceSize, s.uploadBytes));
    } else {
      const pieces = Number(body.pieces);
      if (!Number.isInteger(pieces) || pieces < 0 || pieces > 100_000)
        throw new HttpProblem(400, "invalid piece count");
      source = sessions.pieces(id, s, pieces);
    }
    const sigHash = createHash("sha256");
    const sigs = await parseSignatures(hashing(source, sigHash), s.requests);
    if (s.target !== latestOf(c).contentHash)
      throw new HttpProblem(409, "a newer version was published meanwhile: start the sync again");
    const view = await sessions.summary(id);
    // Not ready in time: the session stays open, so the agent's retry (the same request)
    // finds the same build, under way or done.
    const plan = await buildUnknown(c, s.target, view, s.summaryDigest, sigHash.digest("hex"), sigs);
    await sessions.close(id);
    ctx.body = plan;
  });

  /**
   * The unknown-base plan for this summary and these signatures: cached, or built once. A
   * build that takes longer than the answer window goes on without the request: a 503 says
   * when to ask again (the upload session stays open, so the same request finds the build).
   */
  const buildUnknown = async (
    c: CourseRecord,
    target: string,
    view: OldView,
    summaryDigest: string,
    sigDigest: string,
    sigs: Awaited<ReturnType<typeof parseSignatures>>,
  ) => {
    const key = unknownResultKey(c.id, target, summaryDigest, sigDigest);
    const ready = await storage.unknown.cached(key);
    if (ready) return deltaOrFull(c, "unknown-base", ready);
    const building = storage.withVersions(c.id, [target], () =>
      storage.unknown.getOrBuild(key, c.id, target, async (outPath) => {
        await mkdir(join(storage.dir, "deltas"), { recursive: true });
        await buildCourseDelta({
          next: await storage.manifestOf(c.id, target),
          nextRoot: join(storage.versionDir(c.id, target), "tree"),
          old: view,
          signatures: sigs,
          outPath,
          signal: storage.signal,
        });
      }),
    );
    const blob = await within(building, answerWithin);
    if (!blob) throw notReady("the delta for your copy");
    return deltaOrFull(c, "unknown-base", blob);
  };

  router.get("/blobs/:id/pieces/:n", read, async (ctx) => {
    const id = ctx.params.id!;
    if (!/^[0-9a-f]{64}$/.test(id)) throw new HttpProblem(400, "invalid blob id");
    const rec = await storage.blobs.get(id);
    if (!rec) throw new HttpProblem(404, `no blob ${id}`);
    const n = /^\d{1,9}$/.test(ctx.params.n ?? "") ? Number(ctx.params.n) : Number.NaN;
    if (!Number.isInteger(n) || n < 0 || n >= pieceCount(rec.manifest.size, rec.manifest.pieceSize)) {
      throw new HttpProblem(
        416,
        `piece ${ctx.params.n} is out of range (0..${pieceCount(rec.manifest.size, rec.manifest.pieceSize) - 1})`,
      );
    }
    const { start, end } = pieceRange(rec.manifest, n);
    // The URL names the content: caches may keep it forever.
    ctx.set("ETag", `"${rec.manifest.md5[n]}"`);
    ctx.set("Cache-Control", "public, max-age=31536000, immutable");
    await sendFile(ctx, rec.path, { slice: { start, end }, lastModified: false });
  });

  router.get("/courses/:id/archive", read, async (ctx) => {
    const c = await course(ctx.params.id!);
    const v = latestOf(c);
    ctx.set("ETag", `"${hashDir(v.contentHash)}"`);
    ctx.set("Content-Disposition", `attachment; filename="${c.id}.${v.format === "zip" ? "zip" : v.format}"`);
    await sendFile(ctx, join(storage.versionDir(c.id, v.contentHash), "archive"));
  });

  app.use(router.routes());
  app.use(router.allowedMethods());
  mountRecords(app, {
    records: storage.records,
    readToken: opts.readToken,
    recordsToken: opts.recordsToken,
    forwarding: opts.forwarding,
    courses: async () =>
      (await storage.courses.entries()).filter(([, c]) => c.versions.length > 0).map(([, c]) => c),
  });
  return app;
}

/**
 * The sync client: for each course, negotiate with the master (content hash first; entry
 * summary and signatures only for an unknown base), download the blob in resumable pieces,
 * rebuild and verify the new version in staging, then switch atomically and remove the old
 * one. The job's phase is persisted, so a run cut by a crash or a lost link resumes.
 */
import { link, mkdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import {
  directorySource,
  extractArchive,
  type Manifest,
  readManifest,
  writeArchive,
} from "../archive/index.js";
import { Store, type Table } from "../store/index.js";
import { applyCourseDelta, CourseDeltaMismatchError } from "../sync/apply.js";
import { COURSE_ID, toOldView } from "../sync/course.js";
import { HcdFormatError } from "../sync/format.js";
import { catalogSchema, type Plan, planSchema } from "../sync/plan.js";
import { encodeSummary, signEntries } from "../sync/summary.js";
import {
  BadAnswerError,
  backoffMs,
  type ClientOptions,
  checkBlobManifest,
  DEFAULT_PIECE_SIZE,
  fetchBlob,
  HttpError,
  requestJson,
  sleep,
  TransferError,
  uploadPieces,
} from "../transfer/index.js";
import { fsyncDir, writeFileAtomic } from "../util/files.js";
import { archiveExt, CourseLibrary, type InstalledCourse } from "./library.js";

export type SyncPhase = "negotiating" | "uploading" | "downloading" | "applying" | "verifying" | "switching";

export type SyncEvent =
  | { type: "phase"; course: string; phase: SyncPhase }
  | { type: "progress"; course: string; done: number; total: number }
  | {
      type: "course-done";
      course: string;
      result: "up-to-date" | "updated";
      plan: string;
      bytesDown: number;
      bytesUp: number;
      contentHash: string;
      path: string;
    }
  | { type: "course-failed"; course: string; error: string; resumable: boolean };

/** A sync job as persisted: enough to resume after a crash. */
interface Job {
  plan: Plan;
  /** The installed version the delta applies to. */
  base?: string;
  phase: SyncPhase;
  bytesUp: number;
}

export interface SyncOptions {
  dataDir: string;
  masterUrl: string;
  token?: string;
  courses?: string[];
  onEvent?: (e: SyncEvent) => void;
  signal?: AbortSignal;
  /** Skip the known-base path (for measurements): send the entry summary. */
  unknownBase?: boolean;
  parallel?: number;
  /** Longest wait for an answer or the next chunk of one (a stalled link). */
  timeoutMs?: number;
  /** Longest time one request may take in all (a link that trickles). */
  deadlineMs?: number;
  /** Largest JSON answer accepted from the master. */
  maxJsonBytes?: number;
  /** Per-run budget for one blob download before giving up (the next run resumes). */
  budgetMs?: number;
  /** Set internally when a stale job was dropped, so it happens once per run. */
  renegotiated?: boolean;
}

export interface SyncResult {
  ok: boolean;
  updated: number;
  courses: Array<Extract<SyncEvent, { type: "course-done" | "course-failed" }>>;
}

export class SyncFailure extends Error {
  constructor(
    message: string,
    readonly resumable: boolean,
  ) {
    super(message);
  }
}

/** Sync every course in the master's catalog (or the named ones). */
export async function syncAll(o: SyncOptions): Promise<SyncResult> {
  const store = await Store.open(join(o.dataDir, "db"));
  try {
    const lib = await CourseLibrary.open(o.dataDir, store);
    const client: ClientOptions = {
      baseUrl: o.masterUrl,
      token: o.token,
      timeoutMs: o.timeoutMs ?? 30_000,
      ...(o.deadlineMs !== undefined && { deadlineMs: o.deadlineMs }),
      ...(o.maxJsonBytes !== undefined && { maxJsonBytes: o.maxJsonBytes }),
      signal: o.signal,
    };
    let ids = o.courses;
    if (!ids || ids.length === 0) {
      try {
        const catalog = await withRetries(
          () => requestJson(client, "/v1/catalog", {}, catalogSchema),
          o.signal,
        );
        ids = catalog.map((c) => c.id);
      } catch (e) {
        // No catalog, no courses to try: report it like a course failure, so callers see one shape.
        const ev = {
          type: "course-failed",
          course: "(catalog)",
          error: (e as Error).message,
          resumable: resumableError(e),
        } as const;
        o.onEvent?.(ev);
        return { ok: false, updated: 0, courses: [ev] };
      }
    }
    const result: SyncResult = { ok: true, updated: 0, courses: [] };
    for (const id of ids) {
      // Ids become directory names: anything but the master's id syntax is refused here,
      // before any path is built (a hostile catalog must not reach outside the data dir).
      const ev = await (COURSE_ID.test(id)
        ? syncCourse(id, lib, store, client, o)
        : Promise.reject(new SyncFailure(`refusing course id ${JSON.stringify(id)}`, false))
      ).catch((e: unknown) => {
        return {
          type: "course-failed",
          course: id,
          error: (e as Error).message,
          resumable: resumableError(e),
        } as const;
      });
      o.onEvent?.(ev);
      result.courses.push(ev);
      if (ev.type === "course-failed") result.ok = false;
      else if (ev.result === "updated") result.updated++;
    }
    return result;
  } finally {
    await store.close();
  }
}

async function syncCourse(
  id: string,
  lib: CourseLibrary,
  store: Store,
  client: ClientOptions,
  o: SyncOptions,
): Promise<Extract<SyncEvent, { type: "course-done" }>> {
  const jobs: Table<Job> = store.table("jobs");
  const emit = (e: SyncEvent) => o.onEvent?.(e);
  const phase = async (job: Job, p: SyncPhase) => {
    job.phase = p;
    await jobs.put(id, job, true);
    emit({ type: "phase", course: id, phase: p });
  };
  const installed = await lib.get(id);
  await lib.sweep(id);
  let job = await jobs.get(id);
  // A job for another base (the installed version changed meanwhile) is stale; one whose
  // plan fails today's checks (stored by an older agent) is asked for again.
  if (job && (job.base !== installed?.contentHash || !planSchema.safeParse(job.plan).success)) {
    await jobs.del(id, true);
    job = undefined;
  }
  const staging = join(o.dataDir, "staging", id);

  if (!job) {
    emit({ type: "phase", course: id, phase: "negotiating" });
    const negotiated = await withRetries(() => negotiate(id, installed, lib, store, client, o), o.signal);
    if (negotiated.plan.course !== id)
      throw new SyncFailure(
        `asked for course ${id}, the master answered for ${negotiated.plan.course}`,
        true,
      );
    // "none", or a plan for the version already installed (which must never be replaced by itself).
    if (negotiated.plan.plan === "none" || negotiated.plan.contentHash === installed?.contentHash) {
      if (!installed)
        throw new SyncFailure(`the master offers nothing for course ${id}, which is not installed`, true);
      await rm(staging, { recursive: true, force: true });
      return {
        type: "course-done",
        course: id,
        result: "up-to-date",
        plan: "none",
        bytesDown: 0,
        bytesUp: negotiated.bytesUp,
        contentHash: installed.contentHash,
        path: installed.archivePath,
      };
    }
    job = {
      plan: negotiated.plan,
      base: installed?.contentHash,
      phase: "downloading",
      bytesUp: negotiated.bytesUp,
    };
    await jobs.put(id, job, true);
  }
  const plan = job.plan;
  const blob = checkBlobManifest(plan.blob, `blob of the ${plan.plan} plan`);
  if (job.phase === "negotiating" || job.phase === "uploading" || job.phase === "downloading") {
    await phase(job, "downloading");
  }
  let blobPath: string;
  try {
    blobPath = await fetchBlob({
      ...client,
      blob,
      dir: join(staging, `blob-${blob.id.slice(0, 16)}`),
      progress: store.table("pieces"),
      parallel: o.parallel ?? 3,
      ...(o.budgetMs !== undefined && { budgetMs: o.budgetMs }),
      onProgress: (done, total) => emit({ type: "progress", course: id, done, total }),
    });
  } catch (e) {
    // The master no longer has the blob this job was resuming (it kept newer versions only):
    // drop the job and negotiate afresh, once.
    if (e instanceof TransferError && e.status === 404 && !o.renegotiated) {
      await jobs.del(id, true);
      await rm(staging, { recursive: true, force: true });
      return syncCourse(id, lib, store, client, { ...o, renegotiated: true });
    }
    // A piece that keeps failing its MD5 may mean the plan itself was damaged in transit:
    // forget the plan (finished pieces stay valid only for the same blob) and ask again next run.
    if (e instanceof TransferError && e.integrity) await jobs.del(id, true);
    throw e;
  }

  await phase(job, "applying");
  const work = join(staging, "build");
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const tree = join(work, "tree");
  const archive = join(work, `course.${archiveExt(plan.format)}`);
  let manifest: Manifest;
  try {
    if (plan.plan === "full") {
      manifest = await extractArchive(blobPath, tree, { durable: true });
      // A link, not a move: if this run dies before the switch, the blob is still there.
      await link(blobPath, archive);
    } else {
      if (!installed) throw new SyncFailure(`${plan.plan} plan but course ${id} is not installed`, false);
      const oldManifest = await lib.manifest(installed);
      manifest = await applyCourseDelta({
        deltaPath: blobPath,
        old: toOldView(oldManifest, installed.treePath),
        outRoot: tree,
      });
      await writeArchive(archive, plan.format, manifest.entries, directorySource(tree));
    }
  } catch (e) {
    if (e instanceof CourseDeltaMismatchError || e instanceof HcdFormatError) {
      // A delta that does not produce the promised version is dropped, and the next run asks
      // for the whole archive: asking for the same delta again would fail the same way forever.
      await rejectPlan(store, id, e.message);
      await rm(staging, { recursive: true, force: true });
      throw new SyncFailure(`delta rejected (${e.message}); the next sync downloads the whole course`, true);
    }
    throw e;
  }
  await phase(job, "verifying");
  const check = await readManifest(archive);
  if (check.contentHash !== plan.contentHash || manifest.contentHash !== plan.contentHash) {
    await rejectPlan(store, id, `content hash ${check.contentHash}`);
    await rm(staging, { recursive: true, force: true });
    throw new SyncFailure(
      `rebuilt course has content hash ${check.contentHash}, expected ${plan.contentHash}; the next sync downloads the whole course`,
      true,
    );
  }

  await phase(job, "switching");
  const target = lib.versionDir(id, plan.contentHash);
  await rm(target, { recursive: true, force: true });
  await mkdir(lib.courseDir(id), { recursive: true });
  await writeFileAtomic(join(work, "manifest.json"), [Buffer.from(JSON.stringify(manifest))]);
  await rename(work, target);
  await fsyncDir(lib.courseDir(id));
  const record: InstalledCourse = {
    id,
    title: plan.title,
    contentHash: plan.contentHash,
    format: plan.format,
    archivePath: join(target, `course.${archiveExt(plan.format)}`),
    treePath: join(target, "tree"),
    size: (await stat(join(target, `course.${archiveExt(plan.format)}`))).size,
    publishedAt: plan.publishedAt,
    installedAt: new Date().toISOString(),
  };
  await lib.installed.put(id, record, true);
  await store.table<RejectedPlan>("rejected").del(id, true);
  await jobs.del(id, true);
  await lib.sweep(id);
  await rm(staging, { recursive: true, force: true });
  return {
    type: "course-done",
    course: id,
    result: "updated",
    plan: plan.plan,
    bytesDown: blob.size,
    bytesUp: job.bytesUp,
    contentHash: plan.contentHash,
    path: record.archivePath,
  };
}

/** Round 1: content hash. Unknown base: round 2 summary, round 3 signatures (uploaded in pieces). */
async function negotiate(
  id: string,
  installed: InstalledCourse | undefined,
  lib: CourseLibrary,
  store: Store,
  client: ClientOptions,
  o: SyncOptions,
): Promise<{ plan: Plan; bytesUp: number }> {
  const path = `/v1/courses/${encodeURIComponent(id)}`;
  // After a rejected delta, say nothing about what we have: the master answers with the archive.
  const fullOnly = (await store.table<RejectedPlan>("rejected").get(id)) !== undefined;
  const body = JSON.stringify({
    ...(installed && !fullOnly && { have: installed.contentHash }),
    ...(o.unknownBase && { unknownBase: true }),
  });
  let bytesUp = body.length;
  let plan = await requestJson(
    client,
    `${path}/sync`,
    { method: "POST", body, headers: { "content-type": "application/json" } },
    planSchema,
  );
  if (plan.plan !== "unknown-base" || plan.blob || !installed) return { plan, bytesUp };
  const manifest = await lib.manifest(installed);
  const view = toOldView(manifest);
  const summary = encodeSummary(view);
  bytesUp += summary.length;
  plan = await requestJson(
    client,
    `${path}/summary`,
    { method: "POST", body: summary, headers: { "content-type": "application/octet-stream" } },
    planSchema,
  );
  if (plan.plan !== "unknown-base" || plan.blob) return { plan, bytesUp };
  if (!plan.session || !Array.isArray(plan.signatures))
    throw new SyncFailure("master asked for signatures without a session", true);
  emit(o, { type: "phase", course: id, phase: "uploading" });
  const requests = plan.signatures.map(([index, blockLen, strongLen]) => ({ index, blockLen, strongLen }));
  const sigs = await signEntries(installed.treePath, view, requests);
  bytesUp += sigs.length;
  const session = encodeURIComponent(plan.session);
  if (sigs.length <= (plan.pieceSize ?? DEFAULT_PIECE_SIZE)) {
    // One piece's worth: send it inline with the request that builds the delta.
    plan = await requestJson(
      client,
      `${path}/signatures?session=${session}`,
      { method: "POST", body: sigs, headers: { "content-type": "application/octet-stream" } },
      planSchema,
    );
  } else {
    const pieces = await uploadPieces({
      ...client,
      session: plan.session,
      data: sigs,
      pieceSize: plan.pieceSize,
      progress: store.table("uploads"),
    });
    plan = await requestJson(
      client,
      `${path}/signatures`,
      {
        method: "POST",
        body: JSON.stringify({ session: plan.session, pieces }),
        headers: { "content-type": "application/json" },
      },
      planSchema,
    );
  }
  return { plan, bytesUp };
}

const emit = (o: SyncOptions, e: SyncEvent) => o.onEvent?.(e);

/** A link that drops during negotiation costs a retry, not the whole run. */
async function withRetries<T>(fn: () => Promise<T>, signal?: AbortSignal, attempts = 3): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const permanent =
        (e instanceof HttpError && e.permanent) ||
        e instanceof SyncFailure ||
        e instanceof BadAnswerError ||
        signal?.aborted;
      if (permanent || attempt + 1 >= attempts) throw e;
      await sleep(backoffMs(attempt), signal);
    }
  }
}

/** Retrying helps with links and servers, not with a wrong token or a missing course. */
function resumableError(e: unknown): boolean {
  if (e instanceof SyncFailure || e instanceof TransferError) return e.resumable;
  if (e instanceof HttpError) return !e.permanent;
  return true;
}

/** A delta that failed verification: the next negotiation for the course asks for the archive. */
interface RejectedPlan {
  reason: string;
  at: string;
}

async function rejectPlan(store: Store, id: string, reason: string): Promise<void> {
  await store.table<Job>("jobs").del(id, true);
  await store.table<RejectedPlan>("rejected").put(id, { reason, at: new Date().toISOString() }, true);
}

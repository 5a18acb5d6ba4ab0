/**
 * The sync client: for each course, negotiate with the master (content hash first; entry
 * summary and signatures only for an unknown base), download the blob in resumable pieces,
 * build the new version's tree in staging (unchanged files hard-linked from the installed
 * tree) and verify its content hash, make it durable in one pass, then switch atomically and
 * remove the old one. The job's phase is persisted, so a run cut by a crash or a lost link resumes.
 */
import { link, mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type ArchiveFormat, extractArchive, type Manifest } from "../archive/index.js";
import { Store, type Table } from "../store/index.js";
import { applyCourseDelta, CourseDeltaMismatchError } from "../sync/apply.js";
import { COURSE_ID, toOldView } from "../sync/course.js";
import { HcdFormatError } from "../sync/format.js";
import type { Plan } from "../sync/plan.js";
import { encodeSummary, signEntries } from "../sync/summary.js";
import {
  backoffMs,
  type ClientOptions,
  checkBlobManifest,
  DEFAULT_PIECE_SIZE,
  fetchBlob,
  HttpError,
  requestJson,
  retryWhenNotReady,
  sleep,
  TransferError,
  uploadPieces,
} from "../transfer/index.js";
import { fsyncDir, syncFilesystem } from "../util/files.js";
import { archiveExt, CourseLibrary, contentBytes, type InstalledCourse } from "./library.js";

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
      /** The installed tree. */
      path: string;
      /** Bytes of content of the installed version. */
      size: number;
      format: ArchiveFormat;
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
  timeoutMs?: number;
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
      signal: o.signal,
    };
    let ids = o.courses;
    if (!ids || ids.length === 0) {
      try {
        const catalog = await withRetries(
          () => requestJson<Array<{ id: string }>>(client, "/v1/catalog"),
          o.signal,
        );
        if (!Array.isArray(catalog)) throw new SyncFailure("the master's catalog is not a list", true);
        ids = catalog.map((c) => String(c?.id));
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
  // A job for another base (the installed version changed meanwhile) is stale.
  if (job && job.base !== installed?.contentHash) {
    await jobs.del(id, true);
    job = undefined;
  }
  const staging = join(o.dataDir, "staging", id);

  if (!job) {
    emit({ type: "phase", course: id, phase: "negotiating" });
    const negotiated = await withRetries(() => negotiate(id, installed, lib, store, client, o), o.signal);
    // "none", or a plan for the version already installed (which must never be replaced by itself).
    if (negotiated.plan.plan === "none" || negotiated.plan.contentHash === installed?.contentHash) {
      await rm(staging, { recursive: true, force: true });
      return {
        type: "course-done",
        course: id,
        result: "up-to-date",
        plan: "none",
        bytesDown: 0,
        bytesUp: negotiated.bytesUp,
        contentHash: installed!.contentHash,
        path: installed!.treePath,
        size: installed!.size,
        format: installed!.format,
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
      manifest = await extractArchive(blobPath, tree);
      // Kept as the download a laptop asks for. A link, not a move: if this run dies before
      // the switch, the blob is still there.
      await link(blobPath, archive);
    } else {
      if (!installed) throw new SyncFailure(`${plan.plan} plan but course ${id} is not installed`, false);
      const oldManifest = await lib.manifest(installed);
      manifest = await applyCourseDelta({
        deltaPath: blobPath,
        old: toOldView(oldManifest, installed.treePath),
        outRoot: tree,
      });
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
  // The hashes behind manifest.contentHash come from the bytes written in staging (new
  // entries) and from the installed manifest (linked entries, whose files never change).
  if (manifest.contentHash !== plan.contentHash) {
    await rejectPlan(store, id, `content hash ${manifest.contentHash}`);
    await rm(staging, { recursive: true, force: true });
    throw new SyncFailure(
      `rebuilt course has content hash ${manifest.contentHash}, expected ${plan.contentHash}; the next sync downloads the whole course`,
      true,
    );
  }

  await phase(job, "switching");
  const target = lib.versionDir(id, plan.contentHash);
  await rm(target, { recursive: true, force: true });
  await mkdir(lib.courseDir(id), { recursive: true });
  await writeFile(join(work, "manifest.json"), JSON.stringify(manifest), { flag: "wx" });
  // One durability pass for everything in staging (new files, links, directories, the
  // manifest), then the rename and its directory: a crash before the durable put below
  // still serves the old version, and after it the new tree is whole on disk.
  await syncFilesystem(work);
  await rename(work, target);
  await fsyncDir(lib.courseDir(id));
  const record: InstalledCourse = {
    id,
    title: plan.title,
    contentHash: plan.contentHash,
    format: plan.format,
    archivePath: join(target, `course.${archiveExt(plan.format)}`),
    treePath: join(target, "tree"),
    size: contentBytes(manifest),
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
    path: record.treePath,
    size: record.size,
    format: record.format,
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
  // A master still building the delta answers 503 with Retry-After: wait as asked and ask again.
  let plan = await retryWhenNotReady(
    () =>
      requestJson<Plan>(client, `${path}/sync`, {
        method: "POST",
        body,
        headers: { "content-type": "application/json" },
      }),
    o.signal,
  );
  if (plan.plan !== "unknown-base" || plan.blob || !installed) return { plan, bytesUp };
  const manifest = await lib.manifest(installed);
  const view = toOldView(manifest);
  const summary = encodeSummary(view);
  bytesUp += summary.length;
  plan = await requestJson<Plan>(client, `${path}/summary`, {
    method: "POST",
    body: summary,
    headers: { "content-type": "application/octet-stream" },
  });
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
    plan = await requestJson<Plan>(client, `${path}/signatures?session=${session}`, {
      method: "POST",
      body: sigs,
      headers: { "content-type": "application/octet-stream" },
    });
  } else {
    const pieces = await uploadPieces({
      ...client,
      session: plan.session,
      data: sigs,
      pieceSize: plan.pieceSize,
      progress: store.table("uploads"),
    });
    plan = await requestJson<Plan>(client, `${path}/signatures`, {
      method: "POST",
      body: JSON.stringify({ session: plan.session, pieces }),
      headers: { "content-type": "application/json" },
    });
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
        (e instanceof HttpError && e.permanent) || e instanceof SyncFailure || signal?.aborted;
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

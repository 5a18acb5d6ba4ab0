/**
 * The sync client: for each course, negotiate with the master (content hash first; entry
 * summary and signatures only for an unknown base), download the blob in resumable pieces,
 * stage what changed (a delta) or the whole new tree (a full archive) and verify the new
 * content hash, make it durable in one pass, then switch atomically: a delta's changes are
 * renamed into the installed tree behind a journal (switch.ts), a full tree replaces the old
 * one. The job's phase is persisted, so a run cut by a crash or a lost link resumes.
 */
import { link, mkdir, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type ArchiveFormat, extractArchive, type Manifest } from "../archive/index.js";
import { Store, type Table } from "../store/index.js";
import { CourseDeltaMismatchError, type StagedUpdate, stageCourseDelta } from "../sync/apply.js";
import {
  type CatalogChanges,
  catalogChangesSchema,
  encodeCatalogCheck,
  haveDigits,
} from "../sync/catalog.js";
import { COURSE_ID, toOldView } from "../sync/course.js";
import { HcdFormatError } from "../sync/format.js";
import { catalogSchema, type Plan, planSchema } from "../sync/plan.js";
import { encodeSummary, signEntries } from "../sync/summary.js";
import {
  BadAnswerError,
  type BlobManifest,
  backoffMs,
  type ClientOptions,
  checkBlobManifest,
  DEFAULT_PIECE_SIZE,
  fetchBlob,
  HttpError,
  JSON_TAIL_TYPE,
  requestJson,
  requestJsonAndTail,
  retryWhenNotReady,
  sleep,
  storeBlob,
  TransferError,
  uploadPieces,
} from "../transfer/index.js";
import { fsyncDir, syncFilesystem } from "../util/files.js";
import {
  DEFAULT_RESERVE_BYTES,
  ensureReserve,
  freeBytes,
  isNoSpace,
  mib,
  reserveHeld,
} from "../util/space.js";
import {
  archiveExt,
  CourseLibrary,
  contentBytes,
  type InstalledCourse,
  MANIFEST_FILE,
  manifestBytes,
  RECORD_FILE,
} from "./library.js";
import { buildDir, stagingDir, switchInPlace } from "./switch.js";

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
  /** Longest wait for an answer or the next chunk of one (a stalled link). */
  timeoutMs?: number;
  /** Longest time one request may take in all (a link that trickles). */
  deadlineMs?: number;
  /** Largest JSON answer accepted from the master. */
  maxJsonBytes?: number;
  /**
   * Room kept for the state database: a reserve file of this size in the data dir, made
   * when there is space and given up when LevelDB cannot open otherwise (default 8 MiB).
   */
  reserveBytes?: number;
  /** Hears what the sync does about a full disk or a damaged record (default: process warnings). */
  onWarning?: (message: string) => void;
  /** Per-run budget for one blob download before giving up (the next run resumes). */
  budgetMs?: number;
  /** Set internally when a stale job was dropped, so it happens once per run. */
  renegotiated?: boolean;
  /** Set internally when the catalog check said the master lacks our version: summary first. */
  summaryFirst?: boolean;
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
  const warn = o.onWarning ?? ((m: string) => process.emitWarning(m));
  await mkdir(o.dataDir, { recursive: true });
  const store = await Store.open(join(o.dataDir, "db"), {
    dataDir: o.dataDir,
    onRelease: (bytes) =>
      warn(`disk full: the ${mib(bytes)} space reserve was given up to open the state database`),
  });
  try {
    await ensureReserve(o.dataDir, o.reserveBytes ?? DEFAULT_RESERVE_BYTES);
    const lib = await CourseLibrary.open(o.dataDir, store, warn);
    const client: ClientOptions = {
      baseUrl: o.masterUrl,
      token: o.token,
      timeoutMs: o.timeoutMs ?? 30_000,
      ...(o.deadlineMs !== undefined && { deadlineMs: o.deadlineMs }),
      ...(o.maxJsonBytes !== undefined && { maxJsonBytes: o.maxJsonBytes }),
      signal: o.signal,
    };
    let cycle: CyclePlan;
    try {
      cycle = await whatToSync(lib, store, client, o);
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
    const result: SyncResult = { ok: true, updated: 0, courses: [] };
    for (const c of cycle.upToDate) {
      // What a negotiation would have tidied: versions left by a crash after a switch.
      await lib.sweep(c.id);
      await rm(join(o.dataDir, "staging", c.id), { recursive: true, force: true });
      const ev = upToDate(c, 0);
      o.onEvent?.(ev);
      result.courses.push(ev);
    }
    for (const id of cycle.negotiate) {
      // Ids become directory names: anything but the master's id syntax is refused here,
      // before any path is built (a hostile catalog must not reach outside the data dir).
      const ev = await (COURSE_ID.test(id)
        ? syncCourse(id, lib, store, client, { ...o, summaryFirst: cycle.unknownBase.has(id) })
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

/** The courses of one run: those to negotiate, and those the catalog check found unchanged. */
interface CyclePlan {
  negotiate: string[];
  upToDate: InstalledCourse[];
  /** Courses whose installed version the master does not keep: negotiated from the summary. */
  unknownBase: Set<string>;
}

/**
 * One catalog check says which courses differ from what is installed; only those are
 * negotiated, plus any with a job under way (it resumes). A master that predates the check
 * (404/405) is asked the old way: its catalog, then every course.
 */
async function whatToSync(
  lib: CourseLibrary,
  store: Store,
  client: ClientOptions,
  o: SyncOptions,
): Promise<CyclePlan> {
  const named = o.courses && o.courses.length > 0 ? o.courses : undefined;
  const installed = new Map((await lib.list()).map((c) => [c.id, c]));
  const have = new Map<string, string>();
  for (const id of named ?? installed.keys()) {
    const c = installed.get(id);
    // A named id the master could not take is left to its own negotiation, which refuses it.
    if (COURSE_ID.test(id)) have.set(id, c ? haveDigits(c.contentHash) : "");
  }
  let changes: CatalogChanges;
  try {
    changes = await withRetries(
      () =>
        requestJson(
          client,
          "/v1/catalog/check",
          {
            method: "POST",
            body: encodeCatalogCheck({ have, all: !named }),
            headers: { "content-type": "application/octet-stream" },
          },
          catalogChangesSchema,
        ),
      o.signal,
    );
  } catch (e) {
    if (!(e instanceof HttpError && (e.status === 404 || e.status === 405))) throw e;
    if (named) return { negotiate: named, upToDate: [], unknownBase: new Set() };
    const catalog = await withRetries(() => requestJson(client, "/v1/catalog", {}, catalogSchema), o.signal);
    return { negotiate: catalog.map((c) => c.id), upToDate: [], unknownBase: new Set() };
  }
  const gone = new Set(changes.gone);
  const differ = new Set(changes.changed.map((c) => c.id));
  // Named courses the master lacks are negotiated too, so they fail as they did before.
  if (named) for (const id of gone) differ.add(id);
  const jobs = store.table<Job>("jobs");
  const plan: CyclePlan = {
    negotiate: [],
    upToDate: [],
    unknownBase: new Set(changes.changed.filter((c) => c.unknownBase).map((c) => c.id)),
  };
  for (const id of new Set([...(named ?? installed.keys()), ...differ])) {
    const c = installed.get(id);
    if (!COURSE_ID.test(id) || differ.has(id) || (!gone.has(id) && (await jobs.get(id)) !== undefined))
      plan.negotiate.push(id);
    else if (c && !gone.has(id)) plan.upToDate.push(c);
  }
  return plan;
}

function upToDate(c: InstalledCourse, bytesUp: number): Extract<SyncEvent, { type: "course-done" }> {
  return {
    type: "course-done",
    course: c.id,
    result: "up-to-date",
    plan: "none",
    bytesDown: 0,
    bytesUp,
    contentHash: c.contentHash,
    path: c.treePath,
    size: c.size,
    format: c.format,
  };
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
  const staging = stagingDir(o.dataDir, id);

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
      return upToDate(installed, negotiated.bytesUp);
    }
    job = {
      plan: negotiated.plan,
      base: installed?.contentHash,
      phase: "downloading",
      bytesUp: negotiated.bytesUp,
    };
    await jobs.put(id, job, true);
    // A small blob came with the plan: kept (once it checks out) where the download finds it.
    if (negotiated.blob && job.plan.blob)
      await storeBlob(
        checkBlobManifest(job.plan.blob, "blob of the plan"),
        blobDirOf(staging, job.plan.blob),
        negotiated.blob,
      );
  }
  const run: CourseRun = { id, lib, store, client, o, installed, staging, phase };
  try {
    return await install(run, job);
  } catch (e) {
    if (!isNoSpace(e)) throw e;
    // A full disk must not stay full (LevelDB could not open at the next start): what was
    // staged goes; the job stays, so the next run starts from the plan.
    await rm(staging, { recursive: true, force: true });
    throw new SyncFailure(
      `no space left on the disk while ${job.phase} course ${id} (${(e as Error).message}); staged data dropped, the old version is still served`,
      true,
    );
  }
}

/** What one course's sync works with, passed down its steps. */
interface CourseRun {
  id: string;
  lib: CourseLibrary;
  store: Store;
  client: ClientOptions;
  o: SyncOptions;
  installed: InstalledCourse | undefined;
  staging: string;
  phase(job: Job, p: SyncPhase): Promise<void>;
}

/** Where a blob is downloaded to in a course's staging directory. */
const blobDirOf = (staging: string, blob: BlobManifest) => join(staging, `blob-${blob.id.slice(0, 16)}`);

/** Download the job's blob, rebuild and verify the new version, switch it in. */
async function install(run: CourseRun, job: Job): Promise<Extract<SyncEvent, { type: "course-done" }>> {
  const { id, store, o, staging } = run;
  const plan = job.plan;
  const blob = checkBlobManifest(plan.blob, `blob of the ${plan.plan} plan`);
  const blobDir = blobDirOf(staging, blob);
  await checkRoom(run, plan, blob, blobDir);
  if (job.phase === "negotiating" || job.phase === "uploading" || job.phase === "downloading") {
    await run.phase(job, "downloading");
  }
  let blobPath: string;
  try {
    blobPath = await fetchBlob({
      ...run.client,
      blob,
      dir: blobDir,
      progress: store.table("pieces"),
      parallel: o.parallel ?? 3,
      ...(o.budgetMs !== undefined && { budgetMs: o.budgetMs }),
      onProgress: (done, total) => o.onEvent?.({ type: "progress", course: id, done, total }),
    });
  } catch (e) {
    // The master no longer has the blob this job was resuming (it kept newer versions only):
    // drop the job and negotiate afresh, once.
    if (e instanceof TransferError && e.status === 404 && !o.renegotiated) {
      await store.table("jobs").del(id, true);
      await rm(staging, { recursive: true, force: true });
      return syncCourse(id, run.lib, store, run.client, { ...o, renegotiated: true });
    }
    // A piece that keeps failing its MD5 may mean the plan itself was damaged in transit:
    // forget the plan (finished pieces stay valid only for the same blob) and ask again next run.
    if (e instanceof TransferError && e.integrity) await store.table("jobs").del(id, true);
    throw e;
  }

  await run.phase(job, "applying");
  const work = buildDir(o.dataDir, id);
  const built = await rebuild(run, plan, blobPath, work);
  const manifest = "changes" in built ? built.manifest : built;
  await run.phase(job, "verifying");
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

  await run.phase(job, "switching");
  const record = await switchIn(run, plan, built, work);
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

/**
 * Refuse a sync that cannot fit before anything is downloaded: the rest of the blob, the
 * rebuilt version and (when the reserve file is not in place) the reserve must all fit in
 * what is free. What was staged for it is dropped, so the disk is
 * left with room.
 */
async function checkRoom(run: CourseRun, plan: Plan, blob: BlobManifest, blobDir: string): Promise<void> {
  const { o, installed } = run;
  // Pieces land in one file in place (no assembled copy): what is left is what is not on disk yet.
  const staged = await bytesUnder(blobDir);
  const download = Math.max(0, blob.size - staged);
  // A full archive is linked, not copied; its tree is about as big as the archive. A delta's
  // version links the unchanged files, so it costs what changed: at most the old content
  // (when links fail and files are copied), and for a small delta about ten times its size
  // (compressed text expands). An estimate: when it is low, a full disk later still drops
  // the staging.
  const rebuilt =
    plan.plan === "full" || !installed ? blob.size : Math.min(installed.size, 10 * blob.size) + blob.size;
  const reserveBytes = o.reserveBytes ?? DEFAULT_RESERVE_BYTES;
  const reserve = (await reserveHeld(o.dataDir)) >= reserveBytes ? 0 : reserveBytes;
  const need = download + rebuilt + reserve;
  const free = await freeBytes(o.dataDir);
  if (free >= need) return;
  await rm(run.staging, { recursive: true, force: true });
  throw new SyncFailure(
    `no space for course ${run.id}: this sync needs ${mib(need)} (download ${mib(download)}, rebuild ${mib(rebuilt)}` +
      `${reserve > 0 ? `, reserve ${mib(reserve)}` : ""}) and ${mib(free)} is free in ${o.dataDir}` +
      `${staged > 0 ? `; the ${mib(staged)} staged for it were dropped` : ""}. Free some space, then sync again`,
    true,
  );
}

/** Bytes on disk of the files under a directory (0 when it does not exist; holes not counted). */
async function bytesUnder(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const st = e.isFile() ? await stat(join(dir, e.name)).catch(() => null) : null;
    if (st) total += Math.min(st.size, st.blocks * 512);
  }
  return total;
}

/**
 * Build the new version in `work`: the whole tree from a full archive, or from a delta only
 * the changed and new files, beside the installed tree they will change.
 */
async function rebuild(
  run: CourseRun,
  plan: Plan,
  blobPath: string,
  work: string,
): Promise<Manifest | StagedUpdate> {
  const { id, installed } = run;
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const tree = join(work, "tree");
  try {
    if (plan.plan === "full") {
      const manifest = await extractArchive(blobPath, tree);
      // Kept as the download a laptop asks for. A link, not a move: if this run dies before
      // the switch, the blob is still there.
      await link(blobPath, join(work, `course.${archiveExt(plan.format)}`));
      return manifest;
    }
    if (!installed) throw new SyncFailure(`${plan.plan} plan but course ${id} is not installed`, false);
    const oldManifest = await run.lib.manifest(installed);
    return await stageCourseDelta({
      deltaPath: blobPath,
      old: toOldView(oldManifest, installed.treePath),
      stagingDir: join(work, "files"),
    });
  } catch (e) {
    if (e instanceof CourseDeltaMismatchError || e instanceof HcdFormatError) {
      // A delta that does not produce the promised version is dropped, and the next run asks
      // for the whole archive: asking for the same delta again would fail the same way forever.
      await rejectPlan(run.store, id, e.message);
      await rm(run.staging, { recursive: true, force: true });
      throw new SyncFailure(`delta rejected (${e.message}); the next sync downloads the whole course`, true);
    }
    throw e;
  }
}

/**
 * Make the verified version the one served. A full tree is moved into place and one durable
 * record write switches to it; a delta's changes go into the installed tree (switch.ts).
 */
async function switchIn(
  run: CourseRun,
  plan: Plan,
  built: Manifest | StagedUpdate,
  work: string,
): Promise<InstalledCourse> {
  const { id, lib, store, installed } = run;
  const manifest = "changes" in built ? built.manifest : built;
  const target = lib.versionDir(id, plan.contentHash);
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
  await writeFile(join(work, MANIFEST_FILE), manifestBytes(manifest), { flag: "wx" });
  // Its copy beside the version lets the hotspot serve it when the database cannot open.
  await writeFile(join(work, RECORD_FILE), JSON.stringify(record), { flag: "wx" });
  // One durability pass for everything in staging (new files, directories, the manifest):
  // what is switched in below is whole on disk whenever a crash comes.
  await syncFilesystem(work);
  if ("changes" in built && installed) {
    await switchInPlace(lib, { record, from: installed.contentHash, changes: built.changes });
    return record;
  }
  await rm(target, { recursive: true, force: true });
  await mkdir(lib.courseDir(id), { recursive: true });
  await rename(work, target);
  await fsyncDir(lib.courseDir(id));
  await lib.installed.put(id, record, true);
  await store.table<RejectedPlan>("rejected").del(id, true);
  await store.table("jobs").del(id, true);
  await lib.sweep(id);
  await rm(run.staging, { recursive: true, force: true });
  return record;
}

/**
 * Round 1: content hash. Unknown base: round 2 summary, round 3 signatures (uploaded in
 * pieces), when the master asks for any. When the catalog check already said the master
 * keeps no copy of ours, round 1 is skipped: the summary goes first.
 */
async function negotiate(
  id: string,
  installed: InstalledCourse | undefined,
  lib: CourseLibrary,
  store: Store,
  client: ClientOptions,
  o: SyncOptions,
): Promise<{ plan: Plan; bytesUp: number; blob?: Buffer }> {
  const path = `/v1/courses/${encodeURIComponent(id)}`;
  // After a rejected delta, say nothing about what we have: the master answers with the archive.
  const fullOnly = (await store.table<RejectedPlan>("rejected").get(id)) !== undefined;
  const body = JSON.stringify({
    ...(installed && !fullOnly && { have: installed.contentHash }),
    ...(o.unknownBase && { unknownBase: true }),
  });
  // Each step that builds a delta may be answered "not ready, retry after N s": asked again as
  // told. Accepting JSON_TAIL_TYPE: a master that can sends a small blob with its plan (older
  // ones answer JSON as before).
  let blob: Buffer | undefined;
  const ask = async (to: string, body: Buffer | string, type: string) => {
    const answer = await retryWhenNotReady(
      () =>
        requestJsonAndTail(
          client,
          to,
          { method: "POST", body, headers: { "content-type": type, accept: JSON_TAIL_TYPE } },
          planSchema,
        ),
      o.signal,
    );
    blob = answer.tail;
    return answer.value;
  };
  let bytesUp = 0;
  if (!(o.summaryFirst && installed && !fullOnly)) {
    bytesUp += body.length;
    const plan = await ask(`${path}/sync`, body, "application/json");
    if (plan.plan !== "unknown-base" || plan.blob || !installed)
      return { plan, bytesUp, ...(blob && { blob }) };
  }
  const manifest = await lib.manifest(installed!);
  const view = toOldView(manifest);
  const summary = encodeSummary(view);
  bytesUp += summary.length;
  let plan = await ask(`${path}/summary`, summary, "application/octet-stream");
  if (plan.plan !== "unknown-base" || plan.blob) return { plan, bytesUp, ...(blob && { blob }) };
  if (!plan.session || !Array.isArray(plan.signatures))
    throw new SyncFailure("master asked for signatures without a session", true);
  emit(o, { type: "phase", course: id, phase: "uploading" });
  const requests = plan.signatures.map(([index, blockLen, strongLen]) => ({ index, blockLen, strongLen }));
  const sigs = await signEntries(installed!.treePath, view, requests);
  bytesUp += sigs.length;
  const session = encodeURIComponent(plan.session);
  if (sigs.length <= (plan.pieceSize ?? DEFAULT_PIECE_SIZE)) {
    // One piece's worth: send it inline with the request that builds the delta.
    plan = await ask(`${path}/signatures?session=${session}`, sigs, "application/octet-stream");
  } else {
    const pieces = await uploadPieces({
      ...client,
      session: plan.session,
      data: sigs,
      pieceSize: plan.pieceSize,
      progress: store.table("uploads"),
    });
    plan = await ask(
      `${path}/signatures`,
      JSON.stringify({ session: plan.session, pieces }),
      "application/json",
    );
  }
  return { plan, bytesUp, ...(blob && { blob }) };
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

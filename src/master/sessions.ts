/**
 * Unknown-base upload sessions: the agent's entry summary and the signature pieces it
 * uploads, kept under work/session-<id>/ until the delta is built. Readers are not trusted
 * with the master's disk: a session expires after a TTL, its upload size is fixed when it
 * opens (the exact size of the signatures asked for), and the number of open sessions and
 * the bytes they may take are capped; over a cap the master answers 503 with Retry-After.
 */
import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Table } from "../store/index.js";
import type { SignatureRequest } from "../sync/build.js";
import type { OldView } from "../sync/course.js";
import { signatureUploadBytes } from "../sync/summary.js";
import { HttpProblem } from "./problem.js";

export interface SessionLimits {
  /** How long a session may wait for its signatures. */
  ttlMs: number;
  /** Most sessions open at once. */
  maxSessions: number;
  /** Most bytes all open sessions may hold (summaries plus the signatures they asked for). */
  maxBytes: number;
}

export const DEFAULT_SESSION_LIMITS: Readonly<SessionLimits> = Object.freeze({
  ttlMs: 15 * 60_000,
  maxSessions: 64,
  maxBytes: 256 << 20,
});

export interface SessionRecord {
  course: string;
  target: string;
  base: string;
  requests: SignatureRequest[];
  pieceSize: number;
  /** Exact size of the signature upload this session waits for. */
  uploadBytes: number;
  /** Bytes reserved on disk: the stored summary plus uploadBytes. */
  reserved: number;
  /** SHA-256 (hex) of the stored summary: part of the key of the cached result. */
  summaryDigest: string;
  created: string;
  /** Milliseconds since the epoch after which the session is gone. */
  expires: number;
}

const SESSION_ID = /^[0-9a-f]{24}$/;

export class UploadSessions {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly table: Table<SessionRecord>,
    private readonly workDir: string,
    readonly limits: SessionLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Sweep what a previous run left, then keep sweeping while the master runs. */
  async start(): Promise<void> {
    await this.sweep(true);
    const every = Math.max(1000, Math.min(this.limits.ttlMs, 60_000));
    this.timer = setInterval(() => void this.sweep().catch(() => {}), every);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  dir(id: string): string {
    return join(this.workDir, `session-${id}`);
  }

  /**
   * Open a session for `view`, whose signatures `requests` asks for. Refuses (503 with
   * Retry-After) when the sessions already open hold too many slots or bytes.
   */
  async open(
    rec: Pick<SessionRecord, "course" | "target" | "requests" | "pieceSize" | "summaryDigest">,
    view: OldView,
    summaryJson: string,
  ): Promise<{ id: string; session: SessionRecord }> {
    const uploadBytes = signatureUploadBytes(view, rec.requests);
    const reserved = Buffer.byteLength(summaryJson) + uploadBytes;
    if (reserved > this.limits.maxBytes) {
      throw new HttpProblem(
        413,
        `the signatures for this summary would take ${reserved} bytes, more than the master's limit of ${this.limits.maxBytes}`,
      );
    }
    const open = await this.sweep();
    const held = open.reduce((n, [, s]) => n + s.reserved, 0);
    if (open.length >= this.limits.maxSessions || held + reserved > this.limits.maxBytes) {
      const soonest = Math.min(...open.map(([, s]) => s.expires));
      const retryAfter = Math.max(1, Math.ceil((soonest - this.now()) / 1000));
      throw new HttpProblem(
        503,
        `the master is busy with ${open.length} unknown-base syncs (${held} bytes): retry after ${retryAfter} s`,
        retryAfter,
      );
    }
    const id = randomBytes(12).toString("hex");
    const session: SessionRecord = {
      ...rec,
      base: view.contentHash,
      uploadBytes,
      reserved,
      created: new Date(this.now()).toISOString(),
      expires: this.now() + this.limits.ttlMs,
    };
    await mkdir(this.dir(id), { recursive: true });
    await writeFile(join(this.dir(id), "summary.json"), summaryJson);
    await this.table.put(id, session, true);
    return { id, session };
  }

  /** The open session `id`: 400 for a malformed id, 404 when unknown or expired. */
  async get(id: string): Promise<SessionRecord> {
    if (!SESSION_ID.test(id)) throw new HttpProblem(400, "invalid session id");
    const s = await this.table.get(id);
    if (s && s.expires <= this.now()) await this.close(id);
    if (!s || s.expires <= this.now())
      throw new HttpProblem(404, `no upload session ${id} (it may have expired: start the sync again)`);
    return s;
  }

  /** How many pieces the session's upload takes. */
  pieceCount(s: SessionRecord): number {
    return Math.ceil(s.uploadBytes / s.pieceSize);
  }

  async putPiece(id: string, s: SessionRecord, n: number, data: Buffer): Promise<void> {
    const count = this.pieceCount(s);
    if (n >= count)
      throw new HttpProblem(
        400,
        `piece ${n} is beyond the last piece (${count - 1}) of this session's signatures`,
      );
    await writeFile(join(this.dir(id), `piece-${n}`), data);
  }

  /** The first `count` uploaded pieces, streamed one file after the other. */
  async *pieces(id: string, s: SessionRecord, count: number): AsyncGenerator<Buffer> {
    if (count > this.pieceCount(s))
      throw new HttpProblem(
        400,
        `this session's signatures take ${this.pieceCount(s)} piece(s), not ${count}`,
      );
    for (let n = 0; n < count; n++) {
      const stream = createReadStream(join(this.dir(id), `piece-${n}`));
      try {
        yield* stream as AsyncIterable<Buffer>;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT")
          throw new HttpProblem(409, `signature piece ${n} has not been uploaded`);
        throw e;
      }
    }
  }

  async summary(id: string): Promise<OldView> {
    return JSON.parse(await readFile(join(this.dir(id), "summary.json"), "utf8")) as OldView;
  }

  async close(id: string): Promise<void> {
    await this.table.del(id, true);
    await rm(this.dir(id), { recursive: true, force: true });
  }

  /**
   * Remove expired sessions (and, at start, session directories no record names); returns
   * the sessions still open.
   */
  async sweep(orphans = false): Promise<Array<[string, SessionRecord]>> {
    const open: Array<[string, SessionRecord]> = [];
    for (const [id, s] of await this.table.entries()) {
      if (s.expires > this.now()) open.push([id, s]);
      else await this.close(id);
    }
    if (orphans) {
      const known = new Set(open.map(([id]) => `session-${id}`));
      const names = await readdir(this.workDir).catch(() => [] as string[]);
      for (const name of names) {
        if (name.startsWith("session-") && !known.has(name))
          await rm(join(this.workDir, name), { recursive: true, force: true });
      }
    }
    return open;
  }
}

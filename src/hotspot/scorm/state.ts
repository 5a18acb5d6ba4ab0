// Each learner's SCORM data, kept in the agent's LevelDB beside the quiz answers: per learner,
// course, activity and SCO the last commit (the whole cmi as checked, and what was read from it)
// with the time spent in earlier sessions, plus one line per commit (completion, success, score,
// time) for the records that go back to the master. Every write is fsynced before the package
// is told its commit succeeded.
import type { ScormVersion } from "../../readers/scorm/index.js";
import type { Store, Table } from "../../store/index.js";
import type { AnswerPlace } from "../attempts.js";
import type { Learner } from "../frame.js";
import type { CmiSummary, CmiTree } from "./cmi.js";

/** Whose data, where: a learner (or, without a name, one launch) in one SCO of one activity. */
export interface ScoPlace extends AnswerPlace {
  scoId: string;
  /** The learner's id, or `launch:<token>` when no name was given (kept only for that launch). */
  learnerKey: string;
}

export interface ScormStateRecord extends ScoPlace {
  version: ScormVersion;
  learner: Learner | null;
  cmi: CmiTree;
  summary: CmiSummary;
  /** Time of the sessions before the current one. */
  priorSeconds: number;
  /** The launch the current session came from: a commit from a new launch starts a new session. */
  sessionToken: string;
  updatedAt: string;
}

/** What a commit reports, without the package's own resume data. */
export type ScormResult = Omit<CmiSummary, "location" | "suspendData" | "exit">;

/** One commit as the records pipeline reads it: completion, success, score and time. */
export interface ScormCommit extends ScoPlace, ScormResult {
  version: ScormVersion;
  learner: Learner | null;
  at: string;
  totalSeconds: number;
  /** The commit that ended the session (LMSFinish / Terminate). */
  terminated: boolean;
}

const keyOf = (p: ScoPlace) => [p.courseId, p.activityId, p.scoId, p.learnerKey].join("\0");

export class ScormStore {
  private readonly states: Table<ScormStateRecord>;
  private readonly commits: Table<ScormCommit>;
  private sequence = 0;

  constructor(store: Store) {
    this.states = store.table("scorm-state");
    this.commits = store.table("scorm-commits");
  }

  state(place: ScoPlace): Promise<ScormStateRecord | undefined> {
    return this.states.get(keyOf(place));
  }

  /** Time already spent, the session under way included: what a new session starts from. */
  static totalSeconds(record: ScormStateRecord | undefined): number {
    return record ? record.priorSeconds + record.summary.sessionSeconds : 0;
  }

  /** Keep a checked commit (durably) and return the record as stored. */
  async commit(
    place: ScoPlace,
    c: {
      version: ScormVersion;
      learner: Learner | null;
      token: string;
      cmi: CmiTree;
      summary: CmiSummary;
      terminated: boolean;
    },
  ): Promise<ScormStateRecord> {
    const previous = await this.state(place);
    const sameSession = previous?.sessionToken === c.token;
    const priorSeconds = previous
      ? sameSession
        ? previous.priorSeconds
        : ScormStore.totalSeconds(previous)
      : 0;
    const at = new Date().toISOString();
    const record: ScormStateRecord = {
      ...place,
      version: c.version,
      learner: c.learner,
      cmi: c.cmi,
      summary: c.summary,
      priorSeconds,
      sessionToken: c.token,
      updatedAt: at,
    };
    const { location: _l, suspendData: _s, exit: _e, ...result } = c.summary;
    const line: ScormCommit = {
      ...place,
      ...result,
      version: c.version,
      learner: c.learner,
      at,
      totalSeconds: priorSeconds + result.sessionSeconds,
      terminated: c.terminated,
    };
    const seq = String(++this.sequence).padStart(6, "0");
    await this.commits.put(`${keyOf(place)}\0${at}\0${seq}`, line, true);
    await this.states.put(keyOf(place), record, true);
    return record;
  }

  /** Every commit kept, oldest first per learner and SCO: for the records pipeline. */
  async listCommits(): Promise<ScormCommit[]> {
    return (await this.commits.entries()).map(([, v]) => v);
  }
}

// What the hotspot app is given by the agent: the installed courses, a handle on the running
// agent for the status and admin pages, and the admin's authentication.
import type { KnownNetwork } from "../agent/config.js";
import type { RecordPlace, Statement } from "../records/index.js";
import type { Store } from "../store/index.js";
import type { AdminAuth, LoginThrottle } from "./auth.js";
import type { Learner } from "./frame.js";
import type { StatusView } from "./pages/status.js";

/** What the server needs to know about an installed course (a subset of library.ts's InstalledCourse). */
export interface ServedCourse {
  id: string;
  title: string;
  contentHash: string;
  format: "zip" | "tar" | "tar.gz";
  archivePath: string;
  treePath: string;
  size: number;
  publishedAt: string;
  installedAt: string;
}

export interface CourseSource {
  list(): Promise<ServedCourse[]>;
  get(id: string): Promise<ServedCourse | undefined>;
  /** The course as one archive file for a laptop to download (made from the tree when first asked). */
  archive(course: ServedCourse): Promise<string>;
}

/** The status document of GET /api/status; `state` is the agent's state name. */
export type AgentStatus = StatusView & Record<string, unknown>;

/** What the admin area and the status pages ask of the running agent. */
export interface AgentControl {
  status(): Promise<AgentStatus>;
  syncNow(reason: string): void;
  masterUrl(): string;
  /** Is a read token kept for the current master's origin? */
  hasToken(): boolean;
  /** Move to another master; a token, if given, is bound to the new master's origin. */
  setMasterUrl(url: string, token?: string): Promise<void>;
  networks(): Promise<KnownNetwork[]>;
  addNetwork(network: KnownNetwork): Promise<void>;
  removeNetwork(ssid: string): Promise<void>;
  /** The admin's default language for the hotspot's pages ("en" unless set). */
  defaultLocale(): string;
  setDefaultLocale(locale: string): Promise<void>;
}

export interface HotspotAppOptions {
  courses: CourseSource;
  control: AgentControl;
  auth: AdminAuth;
  /** Limits password guessing; default 10 failures per client per 10 min → locked 1 min. */
  throttle?: LoginThrottle;
  /** Where learners' answers (quiz attempts, choices, questionnaires) are kept; none: answering says 503. */
  store?: Store;
  /** Where learners' results go as xAPI statements on their way to the master; none: not recorded. */
  records?: LearnerRecords;
  /** Where packages kept as zips inside courses (a Moodle backup's SCORM) are unpacked; default: the temp dir. */
  packageCacheDir?: string;
  /** Called for unexpected server errors (logging). */
  onError?: (err: Error) => void;
}

/** The agent's store of statements waiting to go up (agent/records/outbox.ts). */
export interface LearnerRecords {
  /** What statements name: the master's URL and this Pi's device id. */
  origin(): Pick<RecordPlace, "masterUrl" | "deviceId">;
  /** Keep these statements durably (one synced write); RecordsFullError over a cap, nothing kept. */
  keep(learner: Learner | null, statements: Statement[]): Promise<void>;
  /**
   * A statement from a player in the browser (H5P, SCORM): validated (InvalidStatementError
   * naming what was wrong), its actor made this learner's, then kept as `keep` does.
   */
  recordStatement(
    learner: Learner | null,
    statement: unknown,
    place?: Pick<RecordPlace, "courseId" | "contentHash">,
  ): Promise<Statement>;
}

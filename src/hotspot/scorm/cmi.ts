// The SCORM data model as the Pi keeps it. A commit from a package (scorm-again's JSON rendering
// of `cmi`) is untrusted: its size, shape and the fields the Pi reads (location, status, score,
// times, suspend data) are checked against each version's limits, and a bad one is refused with
// the field named. A new session starts from what was kept: the values a SCO reads to resume.
import type { ScormVersion } from "../../readers/scorm/index.js";
import type { ScormOutcome } from "../../records/index.js";

/** A PUT body larger than this is refused (413): 2004's 64,000-character suspend data plus interactions fit. */
export const MAX_COMMIT_BYTES = 512 * 1024;
const MAX_DEPTH = 8;
const MAX_KEYS = 20_000;

export class CmiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CmiError";
  }
}

export type CmiTree = { [key: string]: string | CmiTree };

/** What the Pi reads out of a commit: enough to resume and to report. */
export interface CmiSummary extends ScormOutcome {
  location: string;
  suspendData: string;
  exit: string;
}

interface Limits {
  location: [string, number];
  suspendData: number;
  completion: [string, readonly string[]];
  success: [string, readonly string[]] | null;
  exit: [string, readonly string[]];
  sessionTime: string;
  score: string;
}

const LIMITS: Record<ScormVersion, Limits> = {
  "1.2": {
    location: ["core.lesson_location", 255],
    suspendData: 4096,
    completion: [
      "core.lesson_status",
      ["passed", "completed", "failed", "incomplete", "browsed", "not attempted", ""],
    ],
    success: null,
    exit: ["core.exit", ["time-out", "suspend", "logout", ""]],
    sessionTime: "core.session_time",
    score: "core.score",
  },
  "2004": {
    location: ["location", 1000],
    suspendData: 64000,
    completion: ["completion_status", ["completed", "incomplete", "not attempted", "unknown", ""]],
    success: ["success_status", ["passed", "failed", "unknown", ""]],
    exit: ["exit", ["timeout", "suspend", "logout", "normal", ""]],
    sessionTime: "session_time",
    score: "score",
  },
};

/** Check the shape: objects of strings (numbers taken as strings), bounded in depth and size. */
function tree(value: unknown, path: string, depth: number, count: { n: number }): CmiTree {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new CmiError(`${path} must be an object`);
  if (depth > MAX_DEPTH) throw new CmiError(`${path} is nested deeper than ${MAX_DEPTH} levels`);
  const out: CmiTree = {};
  for (const [k, v] of Object.entries(value)) {
    if (++count.n > MAX_KEYS) throw new CmiError(`cmi has more than ${MAX_KEYS} elements`);
    if (!/^[A-Za-z0-9_]{1,64}$/.test(k)) throw new CmiError(`${path} has an element with a bad name`);
    if (typeof v === "string") out[k] = v;
    else if (typeof v === "number" || typeof v === "boolean") out[k] = String(v);
    else out[k] = tree(v, `${path}.${k}`, depth + 1, count);
  }
  return out;
}

function at(cmi: CmiTree, path: string): string {
  let node: string | CmiTree | undefined = cmi;
  for (const p of path.split(".")) node = typeof node === "object" ? node[p] : undefined;
  return typeof node === "string" ? node : "";
}

function number(cmi: CmiTree, path: string): number | null {
  const s = at(cmi, path);
  if (s === "") return null;
  const n = Number(s);
  if (!Number.isFinite(n))
    throw new CmiError(`cmi.${path} is not a number: ${JSON.stringify(s.slice(0, 40))}`);
  return n;
}

function oneOf(cmi: CmiTree, [path, allowed]: [string, readonly string[]]): string {
  const s = at(cmi, path);
  if (!allowed.includes(s))
    throw new CmiError(`cmi.${path} is not one of ${allowed.filter(Boolean).join(", ")}`);
  return s;
}

/** SCORM 1.2 CMITimespan (HHHH:MM:SS.SS) or 2004 ISO 8601 duration (PT1H2M3.5S) in seconds. */
export function durationSeconds(value: string, path: string): number {
  if (value === "") return 0;
  const hms = /^(\d{1,4}):([0-5]?\d):([0-5]?\d(?:\.\d{1,2})?)$/.exec(value);
  if (hms) return Number(hms[1]) * 3600 + Number(hms[2]) * 60 + Number(hms[3]);
  const iso = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(
    value,
  );
  if (iso && value !== "P" && !value.endsWith("T")) {
    const [y, mo, d, h, mi, s] = iso.slice(1).map((x) => Number(x ?? 0)) as number[];
    return y! * 31_536_000 + mo! * 2_592_000 + d! * 86_400 + h! * 3600 + mi! * 60 + s!;
  }
  throw new CmiError(`cmi.${path} is not a time span: ${JSON.stringify(value.slice(0, 40))}`);
}

/** Seconds as the version writes a total time: 1.2 HHHH:MM:SS.SS, 2004 PT#H#M#S. */
export function formatDuration(seconds: number, version: ScormVersion): string {
  const s = Math.max(0, Math.round(seconds * 100) / 100);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.round((s % 60) * 100) / 100;
  if (version === "2004") return `PT${h}H${m}M${sec}S`;
  const [whole, frac] = sec.toFixed(2).split(".");
  return `${String(Math.min(h, 9999)).padStart(4, "0")}:${String(m).padStart(2, "0")}:${whole!.padStart(2, "0")}.${frac}`;
}

/** A commit's `cmi`, checked: the tree as kept and the fields read from it. Throws CmiError. */
export function checkCommit(version: ScormVersion, body: unknown): { cmi: CmiTree; summary: CmiSummary } {
  const raw = body !== null && typeof body === "object" ? (body as { cmi?: unknown }).cmi : undefined;
  const cmi = tree(raw, "cmi", 0, { n: 0 });
  const L = LIMITS[version];
  const location = at(cmi, L.location[0]);
  if (location.length > L.location[1])
    throw new CmiError(
      `cmi.${L.location[0]} is ${location.length} characters; SCORM ${version} allows ${L.location[1]}`,
    );
  const suspendData = at(cmi, "suspend_data");
  if (suspendData.length > L.suspendData)
    throw new CmiError(
      `cmi.suspend_data is ${suspendData.length} characters; SCORM ${version} allows ${L.suspendData}`,
    );
  const status = oneOf(cmi, L.completion);
  const scaled = version === "2004" ? number(cmi, "score.scaled") : null;
  if (scaled !== null && (scaled < -1 || scaled > 1))
    throw new CmiError("cmi.score.scaled must be between -1 and 1");
  const summary: CmiSummary = {
    location,
    suspendData,
    completion: version === "1.2" && (status === "passed" || status === "failed") ? "completed" : status,
    success: L.success ? oneOf(cmi, L.success) : status === "passed" || status === "failed" ? status : "",
    scoreRaw: number(cmi, `${L.score}.raw`),
    scoreMin: number(cmi, `${L.score}.min`),
    scoreMax: number(cmi, `${L.score}.max`),
    scoreScaled: scaled,
    exit: oneOf(cmi, L.exit),
    sessionSeconds: durationSeconds(at(cmi, L.sessionTime), L.sessionTime),
  };
  return { cmi, summary };
}

/** What a session starts from: the learner, where they stopped, and whether this is a resume. */
export interface ResumeInput {
  version: ScormVersion;
  learnerId: string;
  learnerName: string;
  /** The last commit kept for this learner and SCO, or null on a first visit. */
  last: { cmi: CmiTree; summary: CmiSummary } | null;
  totalSeconds: number;
  launchData: string;
  masteryScore: number | null;
}

/** The starting values as flat `cmi.*` keys (scorm-again's loadFromFlattenedJSON); empty ones left out. */
export function resumeValues(r: ResumeInput): Record<string, string> {
  const s = r.last?.summary;
  const entry = !r.last ? "ab-initio" : s?.exit === "suspend" ? "resume" : "";
  const v: Record<string, string> =
    r.version === "1.2"
      ? {
          "cmi.core.student_id": r.learnerId,
          "cmi.core.student_name": r.learnerName,
          "cmi.core.entry": entry,
          "cmi.core.lesson_location": s?.location ?? "",
          "cmi.core.lesson_status": r.last ? at(r.last.cmi, "core.lesson_status") : "",
          "cmi.core.total_time": formatDuration(r.totalSeconds, "1.2"),
          "cmi.core.score.raw": s?.scoreRaw?.toString() ?? "",
          "cmi.core.score.min": s?.scoreMin?.toString() ?? "",
          "cmi.core.score.max": s?.scoreMax?.toString() ?? "",
          "cmi.suspend_data": s?.suspendData ?? "",
          "cmi.launch_data": r.launchData,
          "cmi.student_data.mastery_score": r.masteryScore?.toString() ?? "",
        }
      : {
          "cmi.learner_id": r.learnerId,
          "cmi.learner_name": r.learnerName,
          "cmi.entry": entry,
          "cmi.location": s?.location ?? "",
          "cmi.completion_status": s?.completion ?? "",
          "cmi.success_status": s?.success ?? "",
          "cmi.total_time": formatDuration(r.totalSeconds, "2004"),
          "cmi.score.scaled": s?.scoreScaled?.toString() ?? "",
          "cmi.score.raw": s?.scoreRaw?.toString() ?? "",
          "cmi.score.min": s?.scoreMin?.toString() ?? "",
          "cmi.score.max": s?.scoreMax?.toString() ?? "",
          "cmi.suspend_data": s?.suspendData ?? "",
          "cmi.launch_data": r.launchData,
        };
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== ""));
}

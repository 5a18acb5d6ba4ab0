// Statements for what learners do on the hotspot: a quiz attempt (one "answered" per
// question with its grade, then "completed" with the total), a questionnaire ("responded"),
// a choice ("answered") and a page or book read ("experienced"). Every statement names the
// learner on this Pi, the activity by a stable IRI under the master's URL, and the course
// version and device in its context; its id is a UUID made here, its timestamp the moment
// it happened.
import { randomUUID } from "node:crypto";
import type { QuestionSummary } from "../readers/moodle/quiz/index.js";
import {
  ACTIVITY_TYPES,
  type Activity,
  type Actor,
  EXTENSIONS,
  type Statement,
  VERBS,
  XAPI_VERSION,
} from "./statement.js";

/** The homePage and IRI base while no master is set: a reserved name that can never resolve. */
export const NO_MASTER = "http://handcarry.invalid";

export interface RecordLearner {
  id: string;
  name: string;
  classCode: string;
}

/** Where it happened: the master the course came from, this Pi, the course version and activity. */
export interface RecordPlace {
  masterUrl: string;
  deviceId: string;
  courseId: string;
  contentHash: string;
  activityId: string;
  activityName?: string;
}

const base = (masterUrl: string) => (masterUrl || NO_MASTER).replace(/\/+$/, "");

export function courseIri(masterUrl: string, courseId: string): string {
  return `${base(masterUrl)}/courses/${encodeURIComponent(courseId)}`;
}

export function activityIri(masterUrl: string, courseId: string, activityId: string): string {
  return `${courseIri(masterUrl, courseId)}/activities/${encodeURIComponent(activityId)}`;
}

/**
 * The learner as an xAPI Agent: the name given on the phone, identified by an account whose
 * homePage is the master and whose name is "<device id>:<learner id>" (the learner id is made
 * on the phone, so the device keeps two Pis' learners apart). Without a name: "anonymous".
 */
export function actorFor(learner: RecordLearner | null, deviceId: string, masterUrl: string): Actor {
  return {
    objectType: "Agent",
    name: learner?.name ?? "anonymous",
    account: { homePage: base(masterUrl), name: `${deviceId}:${learner?.id ?? "anonymous"}` },
  };
}

function activity(place: RecordPlace, type: string): Activity {
  return {
    objectType: "Activity",
    id: activityIri(place.masterUrl, place.courseId, place.activityId),
    definition: { type, ...(place.activityName ? { name: { und: place.activityName } } : {}) },
  };
}

/** What every statement of one place shares: actor, context; a new id; when it happened. */
function statement(
  place: RecordPlace,
  learner: RecordLearner | null,
  at: string,
  parts: Pick<Statement, "verb" | "object"> & Partial<Statement>,
  registration?: string,
  parent?: Activity,
): Statement {
  const course: Activity = {
    objectType: "Activity",
    id: courseIri(place.masterUrl, place.courseId),
    definition: { type: ACTIVITY_TYPES.course },
  };
  return {
    id: randomUUID(),
    version: XAPI_VERSION,
    actor: actorFor(learner, place.deviceId, place.masterUrl),
    timestamp: at,
    ...parts,
    context: {
      ...(registration ? { registration } : {}),
      platform: "handcarry",
      contextActivities: { ...(parent ? { parent: [parent] } : {}), grouping: [course] },
      extensions: {
        [EXTENSIONS.device]: place.deviceId,
        [EXTENSIONS.contentHash]: place.contentHash,
        ...(learner?.classCode ? { [EXTENSIONS.classCode]: learner.classCode } : {}),
      },
    },
  };
}

const round = (n: number) => Math.round(n * 1e7) / 1e7;
const scaled = (raw: number, max: number) => (max > 0 ? Math.max(-1, Math.min(1, round(raw / max))) : 0);

export interface QuizAttemptFacts {
  submittedAt: string;
  questions: QuestionSummary[];
  grade: number;
  maxGrade: number;
  needsGrading: boolean;
}

/** A submitted attempt: one "answered" per question (grade, response), then "completed" with the total. */
export function quizAttemptStatements(
  place: RecordPlace,
  learner: RecordLearner | null,
  facts: QuizAttemptFacts,
): Statement[] {
  const registration = randomUUID();
  const quiz = activity(place, ACTIVITY_TYPES.assessment);
  const answers = facts.questions.map((q) => {
    const graded = q.mark !== null && q.fraction !== null;
    const question: Activity = {
      objectType: "Activity",
      id: `${quiz.id}/questions/${q.slot}`,
      definition: {
        type: ACTIVITY_TYPES.question,
        interactionType: q.interactionType,
        name: { und: `Question ${q.slot}` },
      },
    };
    return statement(
      place,
      learner,
      facts.submittedAt,
      {
        verb: VERBS.answered,
        object: question,
        result: {
          response: q.response,
          ...(graded
            ? {
                success: q.success === true,
                score: {
                  raw: round(q.mark!),
                  min: 0,
                  max: round(q.maxMark),
                  scaled: scaled(q.mark!, q.maxMark),
                },
              }
            : { extensions: { [EXTENSIONS.needsGrading]: true } }),
        },
      },
      registration,
      quiz,
    );
  });
  const grade = round(Math.max(0, Math.min(facts.grade, facts.maxGrade)));
  const total = statement(
    place,
    learner,
    facts.submittedAt,
    {
      verb: VERBS.completed,
      object: quiz,
      result: {
        completion: true,
        score: { raw: grade, min: 0, max: round(facts.maxGrade), scaled: scaled(grade, facts.maxGrade) },
        ...(facts.needsGrading ? { extensions: { [EXTENSIONS.needsGrading]: true } } : {}),
      },
    },
    registration,
  );
  return [...answers, total];
}

/** A choice: the options picked, as xAPI's choice response ("a[,]b"). */
export function choiceStatement(
  place: RecordPlace,
  learner: RecordLearner | null,
  at: string,
  picked: readonly string[],
): Statement {
  return statement(place, learner, at, {
    verb: VERBS.answered,
    object: {
      ...activity(place, ACTIVITY_TYPES.question),
      definition: { ...activity(place, ACTIVITY_TYPES.question).definition, interactionType: "choice" },
    },
    result: { response: picked.join("[,]"), completion: true },
  });
}

/** A questionnaire (Moodle feedback): every item's answer, as JSON in the response. */
export function questionnaireStatement(
  place: RecordPlace,
  learner: RecordLearner | null,
  at: string,
  answers: Record<string, unknown>,
): Statement {
  return statement(place, learner, at, {
    verb: VERBS.responded,
    object: activity(place, ACTIVITY_TYPES.survey),
    result: { response: JSON.stringify(answers), completion: true },
  });
}

/** A page or book opened. */
export function experiencedStatement(
  place: RecordPlace,
  learner: RecordLearner | null,
  at: string,
  kind: "page" | "book",
): Statement {
  return statement(place, learner, at, {
    verb: VERBS.experienced,
    object: activity(place, ACTIVITY_TYPES[kind]),
  });
}

/** What a SCORM commit reports about the learner (the hotspot reads it from the cmi). */
export interface ScormOutcome {
  /** 1.2 lesson_status, or 2004 completion_status ("completed", "incomplete", "unknown"…). */
  completion: string;
  /** 2004 success_status; 1.2's passed/failed lesson_status ("passed", "failed", "unknown"). */
  success: string;
  /** The raw score, and 2004's scaled score (−1…1), when given. */
  scoreRaw: number | null;
  scoreMin: number | null;
  scoreMax: number | null;
  scoreScaled: number | null;
  sessionSeconds: number;
}

/** One commit: its outcome, the SCO, when, and whether it ended the session. */
export interface ScormFacts extends ScormOutcome {
  scoId: string;
  scoTitle?: string;
  at: string;
  terminated: boolean;
}

type ScormChange = Pick<ScormFacts, "completion" | "success" | "scoreRaw" | "scoreScaled">;

/** Seconds as an ISO 8601 duration (PT1H2M3.5S), as xAPI's result.duration wants it. */
export function isoDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds * 100) / 100);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `PT${h}H${m}M${Math.round((s % 60) * 100) / 100}S`;
}

function scormResult(f: ScormFacts): Statement["result"] {
  const raw = f.scoreRaw;
  // An LRS refuses a raw score outside min…max: the bounds go rather than the score.
  const bounded =
    raw !== null && (f.scoreMin === null || raw >= f.scoreMin) && (f.scoreMax === null || raw <= f.scoreMax);
  const scaledScore =
    f.scoreScaled ?? (raw !== null && f.scoreMax !== null && bounded ? scaled(raw, f.scoreMax) : null);
  const score = {
    ...(scaledScore !== null ? { scaled: round(scaledScore) } : {}),
    ...(raw !== null ? { raw: round(raw) } : {}),
    ...(bounded && f.scoreMin !== null ? { min: round(f.scoreMin) } : {}),
    ...(bounded && f.scoreMax !== null ? { max: round(f.scoreMax) } : {}),
  };
  return {
    ...(Object.keys(score).length > 0 ? { score } : {}),
    ...(f.completion === "completed"
      ? { completion: true }
      : f.completion === "incomplete"
        ? { completion: false }
        : {}),
    ...(f.success === "passed" ? { success: true } : f.success === "failed" ? { success: false } : {}),
    duration: isoDuration(f.sessionSeconds),
  };
}

/** The verb for what changed since the last commit: passed/failed, completed, progressed; none if nothing. */
function scormVerb(f: ScormFacts, before: ScormChange | null) {
  const was = before ?? { completion: "", success: "", scoreRaw: null, scoreScaled: null };
  if (f.success !== was.success && (f.success === "passed" || f.success === "failed"))
    return VERBS[f.success];
  if (f.completion !== was.completion && f.completion === "completed") return VERBS.completed;
  const changed =
    f.completion !== was.completion ||
    f.success !== was.success ||
    f.scoreRaw !== was.scoreRaw ||
    f.scoreScaled !== was.scoreScaled;
  return changed ? VERBS.progressed : null;
}

/**
 * One SCORM commit: a statement when completion, success or score changed since the one
 * before (passed/failed, else completed, else progressed), and "terminated" when it ended the
 * session. The object is the SCO under the activity's IRI; the activity is its parent.
 */
export function scormCommitStatements(
  place: RecordPlace,
  learner: RecordLearner | null,
  facts: ScormFacts,
  before: ScormChange | null,
): Statement[] {
  const pkg = activity(place, ACTIVITY_TYPES.module);
  const sco: Activity = {
    objectType: "Activity",
    id: `${pkg.id}/scos/${encodeURIComponent(facts.scoId)}`,
    definition: { type: ACTIVITY_TYPES.lesson, ...(facts.scoTitle ? { name: { und: facts.scoTitle } } : {}) },
  };
  const result = scormResult(facts);
  const verb = scormVerb(facts, before);
  const verbs = [...(verb ? [verb] : []), ...(facts.terminated ? [VERBS.terminated] : [])];
  return verbs.map((v) =>
    statement(place, learner, facts.at, { verb: v, object: sco, result }, undefined, pkg),
  );
}

/**
 * A player's statement names its activity by the IRI the page gave it (`from`, e.g. H5P's
 * `urn:handcarry:<course>:<activity>`); the records name it by the stable IRI under the master
 * (`to`). Every activity id starting with `from` (the object, the context's activities) is
 * rewritten, keeping what follows (H5P's `?subContentId=…`).
 */
export function renameActivities(statement: unknown, from: string, to: string): unknown {
  if (typeof statement !== "object" || statement === null || Array.isArray(statement)) return statement;
  const rename = (a: unknown): unknown => {
    if (typeof a !== "object" || a === null || Array.isArray(a)) return a;
    const id = (a as { id?: unknown }).id;
    return typeof id === "string" && id.startsWith(from) ? { ...a, id: to + id.slice(from.length) } : a;
  };
  const s = statement as { object?: unknown; context?: { contextActivities?: Record<string, unknown> } };
  const groups = s.context?.contextActivities;
  return {
    ...s,
    object: rename(s.object),
    ...(groups && typeof groups === "object"
      ? {
          context: {
            ...s.context,
            contextActivities: Object.fromEntries(
              Object.entries(groups).map(([k, v]) => [k, Array.isArray(v) ? v.map(rename) : rename(v)]),
            ),
          },
        }
      : {}),
  };
}

// What the master reads out of a statement to index, export and tabulate it: course, activity,
// learner and class. Statements come from agents and their browsers, so every field is
// optional here and a missing one is an empty string, never an error.

import type { Activity, LanguageMap, Statement } from "../../records/statement.js";
import { COURSE_ID } from "../../sync/course.js";

export interface StatementFacts {
  /** The course id ("" when the statement names none). */
  course: string;
  /** The object's IRI (the activity, or the question of a quiz answer). */
  activity: string;
  /** The activity's name as the statement gives it, else its IRI. */
  activityName: string;
  /** The learner's stable key: account name, else mbox, else openid, else name. */
  learner: string;
  learnerName: string;
  /** The class code the learner gave on the phone. */
  classCode: string;
  verb: string;
}

/** `…/courses/<id>/…` (or `/course/<id>`) inside an activity IRI. */
const COURSE_IN_IRI = /\/courses?\/([^/?#]+)/;

/** The first value of a language map (en first when there is one). */
export function firstLanguage(map: LanguageMap | undefined): string {
  if (!map || typeof map !== "object") return "";
  const v = map.en ?? map["en-US"] ?? Object.values(map)[0];
  return typeof v === "string" ? v : "";
}

const asText = (v: unknown): string => (typeof v === "string" ? v : "");

/** The course of a statement: the first activity IRI (grouping, parent, object) that names one. */
function courseOf(s: Statement): string {
  const ca = s.context?.contextActivities;
  const candidates: unknown[] = [...(ca?.grouping ?? []), ...(ca?.parent ?? []), s.object];
  for (const a of candidates) {
    const m = COURSE_IN_IRI.exec(asText((a as Activity | undefined)?.id));
    if (!m) continue;
    const id = decodeURIComponent(m[1]!);
    if (COURSE_ID.test(id)) return id;
  }
  return "";
}

/** A context extension whose key ends in `/class` or `class-code` (the class code on the phone). */
function classOf(s: Statement): string {
  for (const [k, v] of Object.entries(s.context?.extensions ?? {}))
    if (/(\/|:|-)class(-?code)?$/i.test(k) && typeof v === "string") return v;
  return "";
}

export function statementFacts(s: Statement): StatementFacts {
  const a = s.actor ?? {};
  const object = s.object as Activity;
  const learner = asText(a.account?.name) || asText(a.mbox) || asText(a.mbox_sha1sum) || asText(a.openid);
  return {
    course: courseOf(s),
    activity: asText(object?.id),
    activityName: firstLanguage(object?.definition?.name) || asText(object?.id),
    learner: learner || asText(a.name),
    learnerName: asText(a.name) || learner,
    classCode: classOf(s),
    verb: firstLanguage(s.verb?.display) || asText(s.verb?.id).replace(/^.*[/#]/, ""),
  };
}

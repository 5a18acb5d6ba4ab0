// The xAPI 1.0.3 statement, one type on the Pi and on the master: the parts handcarry writes
// and reads (an actor identified by an account, an Activity object, a result, a context with
// extensions), plus the IRIs every statement shares. The full specification allows more;
// statements from the players (H5P, SCORM) may carry it, kept as sent, and are checked by
// xapi.ts's validator before anything else reads them.

export const XAPI_VERSION = "1.0.3";

export interface LanguageMap {
  [language: string]: string;
}

export interface Account {
  homePage: string;
  name: string;
}

export interface Actor {
  objectType?: "Agent" | "Group";
  name?: string;
  account?: Account;
  mbox?: string;
  mbox_sha1sum?: string;
  openid?: string;
  [more: string]: unknown;
}

export interface Verb {
  id: string;
  display?: LanguageMap;
}

export interface ActivityDefinition {
  name?: LanguageMap;
  description?: LanguageMap;
  type?: string;
  interactionType?: string;
  correctResponsesPattern?: string[];
  extensions?: Record<string, unknown>;
  [more: string]: unknown;
}

export interface Activity {
  objectType?: "Activity";
  id: string;
  definition?: ActivityDefinition;
}

export interface Score {
  scaled?: number;
  raw?: number;
  min?: number;
  max?: number;
}

export interface Result {
  score?: Score;
  success?: boolean;
  completion?: boolean;
  response?: string;
  /** ISO 8601 duration, e.g. PT4M12S. */
  duration?: string;
  extensions?: Record<string, unknown>;
}

export interface Context {
  registration?: string;
  contextActivities?: {
    parent?: Activity[];
    grouping?: Activity[];
    category?: Activity[];
    other?: Activity[];
  };
  platform?: string;
  language?: string;
  extensions?: Record<string, unknown>;
  [more: string]: unknown;
}

export interface Statement {
  id: string;
  actor: Actor;
  verb: Verb;
  /** An Activity in every statement handcarry makes; a player's may name an Agent or a StatementRef. */
  object: Activity | ({ objectType: string } & Record<string, unknown>);
  result?: Result;
  context?: Context;
  /** Set on every statement the Pi keeps (the moment it happened). */
  timestamp?: string;
  /** Set by the master when it stored the statement. */
  stored?: string;
  version?: string;
  /** Statements from players may carry more (attachments, authority…): kept as sent. */
  [more: string]: unknown;
}

/** ADL's verbs, the ones the hotspot uses. */
export const VERBS = {
  answered: { id: "http://adlnet.gov/expapi/verbs/answered", display: { "en-US": "answered" } },
  completed: { id: "http://adlnet.gov/expapi/verbs/completed", display: { "en-US": "completed" } },
  responded: { id: "http://adlnet.gov/expapi/verbs/responded", display: { "en-US": "responded" } },
  experienced: { id: "http://adlnet.gov/expapi/verbs/experienced", display: { "en-US": "experienced" } },
  passed: { id: "http://adlnet.gov/expapi/verbs/passed", display: { "en-US": "passed" } },
  failed: { id: "http://adlnet.gov/expapi/verbs/failed", display: { "en-US": "failed" } },
  progressed: { id: "http://adlnet.gov/expapi/verbs/progressed", display: { "en-US": "progressed" } },
  terminated: { id: "http://adlnet.gov/expapi/verbs/terminated", display: { "en-US": "terminated" } },
} as const satisfies Record<string, Verb>;

/** ADL's activity types. */
export const ACTIVITY_TYPES = {
  course: "http://adlnet.gov/expapi/activities/course",
  assessment: "http://adlnet.gov/expapi/activities/assessment",
  question: "http://adlnet.gov/expapi/activities/cmi.interaction",
  survey: "http://id.tincanapi.com/activitytype/survey",
  page: "http://activitystrea.ms/schema/1.0/page",
  book: "http://id.tincanapi.com/activitytype/book",
  /** A SCORM package (the course's activity) and one of its SCOs. */
  module: "http://adlnet.gov/expapi/activities/module",
  lesson: "http://adlnet.gov/expapi/activities/lesson",
} as const;

/** handcarry's context extensions: which Pi, which course version, which class. */
export const EXTENSIONS = {
  device: "urn:handcarry:xapi:device",
  contentHash: "urn:handcarry:xapi:content-hash",
  classCode: "urn:handcarry:xapi:class-code",
  /** Set on a question's answer that a teacher still has to grade (essays, STACK…). */
  needsGrading: "urn:handcarry:xapi:needs-grading",
} as const;

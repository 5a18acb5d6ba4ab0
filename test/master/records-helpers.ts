// Records on a real master: statements shaped as an agent records them, a master in a temp
// dir on loopback, and the upload call exactly as the wire protocol has it.
import { type StartMasterOptions, startMaster } from "../../src/master/server.js";
import type { Statement } from "../../src/records/statement.js";
import { makeTempDir } from "../support/procs.js";

export const READ_TOKEN = "read-secret-0123";
export const RECORDS_TOKEN = "records-secret-0123";
export const IRI = "https://master.handcarry.test";

/** A deterministic UUID (version 4 layout) for statement `n` of series `series`. */
export function uuidFor(n: number, series = 0): string {
  return `00000000-0000-4000-8${series.toString(16).padStart(3, "0")}-${n.toString(16).padStart(12, "0")}`;
}

/** The part of `uuidFor`'s ids that names the series. */
export const seriesPrefix = (series: number) => uuidFor(0, series).slice(0, 23);

export interface AnswerSpec {
  n: number;
  series?: number;
  learner?: string;
  classCode?: string;
  course?: string;
  quiz?: string;
  question?: string;
  response?: string;
  success?: boolean;
  timestamp?: string;
}

/** A quiz answer as the agent records it: the question as object, the quiz as parent. */
export function answerStatement(o: AnswerSpec): Statement {
  const course = o.course ?? "algebra";
  const quiz = `${IRI}/courses/${course}/activities/${o.quiz ?? "quiz-1"}`;
  const learner = o.learner ?? "Ana";
  return {
    id: uuidFor(o.n, o.series),
    actor: {
      objectType: "Agent",
      name: learner,
      account: { homePage: `${IRI}/learners`, name: `${o.classCode ?? "4B"}/${learner.toLowerCase()}` },
    },
    verb: { id: "http://adlnet.gov/expapi/verbs/answered", display: { en: "answered" } },
    object: {
      objectType: "Activity",
      id: `${quiz}/questions/${o.question ?? "q1"}`,
      definition: {
        name: { en: `Question ${o.question ?? "q1"}` },
        type: "http://adlnet.gov/expapi/activities/cmi.interaction",
        interactionType: "choice",
      },
    },
    result: { response: o.response ?? "b", success: o.success ?? true },
    context: {
      contextActivities: { parent: [{ id: quiz }], grouping: [{ id: `${IRI}/courses/${course}` }] },
      extensions: { [`${IRI}/xapi/class`]: o.classCode ?? "4B" },
    },
    timestamp: o.timestamp ?? new Date(Date.UTC(2026, 10, 20, 9, 0, o.n % 60)).toISOString(),
  };
}

export interface ActivitySpec {
  n: number;
  series?: number;
  learner?: string;
  classCode?: string;
  course?: string;
  activity: string;
  name: string;
  verb?: string;
  result?: Statement["result"];
}

/** A statement about a whole activity (a quiz's total, a page seen), as the agent records it. */
export function activityStatement(o: ActivitySpec): Statement {
  const base = answerStatement({ ...o, n: o.n, course: o.course });
  const course = o.course ?? "algebra";
  const verb = o.verb ?? "completed";
  const { result: _, ...rest } = base;
  return {
    ...rest,
    verb: { id: `http://adlnet.gov/expapi/verbs/${verb}`, display: { en: verb } },
    object: {
      objectType: "Activity",
      id: `${IRI}/courses/${course}/activities/${o.activity}`,
      definition: { name: { en: o.name } },
    },
    ...(o.result && { result: o.result }),
    context: { ...base.context, contextActivities: { grouping: [{ id: `${IRI}/courses/${course}` }] } },
  };
}

export const answers = (count: number, series = 0, from = 0) =>
  Array.from({ length: count }, (_, i) => answerStatement({ n: from + i, series }));

export interface Answer<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** POST /v1/records with the agents' token. */
export async function upload(
  url: string,
  device: string,
  statements: unknown[],
  token: string | null = READ_TOKEN,
): Promise<Answer<Record<string, unknown>>> {
  const res = await fetch(`${url}/v1/records`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token !== null && { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify({ device, statements }),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Record<string, unknown>, headers: res.headers };
}

/** A master with records in a temp dir on loopback; `close` removes everything. */
export async function recordsMaster(extra: Partial<StartMasterOptions> = {}, dataDir?: string) {
  const dir = dataDir ? { path: dataDir, cleanup: async () => {} } : await makeTempDir("hc-records-");
  const master = await startMaster({
    dataDir: dir.path,
    publishToken: "publish-secret-0123",
    readToken: READ_TOKEN,
    ...extra,
  });
  return {
    master,
    url: master.url,
    dir: dir.path,
    records: master.storage.records,
    async close() {
      await master.close();
      await dir.cleanup();
    },
  };
}

/** Everything an async generator yields, as an array. */
export async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of source) out.push(x);
  return out;
}

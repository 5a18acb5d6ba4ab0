// From a phone in the village to the master, through a kill -9: a learner in real Chromium
// (390×844) on a real `handcarry agent` process with the real Moodle 5.1 course takes the quiz
// and answers the questionnaire; the moment the page says "Saved" the agent is killed with
// SIGKILL. It comes back with its master out of reach, then the master appears on the agent's
// master URL: the master ends with exactly the statements the learner produced, each once,
// and its CSV export reads as a table.
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import type { Page } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { publishCourse, type RunningMaster, startMaster } from "../../src/master/server.js";
import { Store } from "../../src/store/index.js";
import { CHROMIUM } from "../support/chromium.js";
import { MOODLE51_DIR } from "../support/corpus.js";
import { openPhone, type Phone } from "../support/phone.js";
import { PortGate } from "../support/port-gate.js";
import { Cleanups, type ManagedProcess, makeTempDir, startCli } from "../support/procs.js";
import { waitFor } from "../support/wait.js";

const V1 = join(MOODLE51_DIR, "community-health@v1.mbz");
const present = existsSync(CHROMIUM) && existsSync(V1);
if (!present) console.warn("skipping: needs /usr/bin/chromium and the Moodle 5.1 backups (MOODLE51_DIR)");

const COURSE = "community-health";
const PUBLISH_TOKEN = "publish-secret-e2e";
const RECORDS_TOKEN = "records-secret-e2e";
const PASSWORD = "field-to-master-password";
const SLOW = 10 * 60_000;

interface AgentStatus {
  state: string;
  courses: { id: string; contentHash: string }[];
  records: { pending: number; sent: number };
}

/** A statement as the master exports it (the parts this test reads). */
interface Kept {
  id: string;
  verb: { id: string };
  object: { id: string };
  result?: { response?: string; success?: boolean; completion?: boolean; score?: { raw?: number } };
}

const ANSWERED = "http://adlnet.gov/expapi/verbs/answered";
const COMPLETED = "http://adlnet.gov/expapi/verbs/completed";
const RESPONDED = "http://adlnet.gov/expapi/verbs/responded";
/** The CSV export's first row, as a teacher's spreadsheet shows it. */
const CSV_HEADER = (
  "time,learner,learner id,class,device,course,activity,activity id,verb," +
  "score %,raw score,max score,success,completion,response,statement id,stored"
).split(",");

interface RunningAgent {
  process: ManagedProcess;
  url: string;
  status(): Promise<AgentStatus>;
}

const cleanups = new Cleanups();
afterAll(() => cleanups.run(), SLOW);

/** `handcarry agent` as the Pi runs it, on a port of its own choosing (read from its log). */
async function startAgent(dataDir: string, masterUrl: string, configFile: string): Promise<RunningAgent> {
  const child = startCli(
    ["agent", "--data", dataDir, "--master", masterUrl, "--port", "0", "--host", "127.0.0.1"],
    { env: { ...process.env, HANDCARRY_ADMIN_PASSWORD: PASSWORD, HANDCARRY_CONFIG: configFile } },
  );
  cleanups.add("agent", () => child.stop());
  const { line } = await child.waitForLine(/"msg":"agent serving"/, { timeoutMs: 120_000 });
  const url = (JSON.parse(line) as { url: string }).url;
  return {
    process: child,
    url,
    status: async () => (await (await fetch(`${url}/api/status`)).json()) as AgentStatus,
  };
}

async function startTestMaster(dataDir: string): Promise<RunningMaster> {
  const master = await startMaster({
    dataDir,
    host: "127.0.0.1",
    port: 0,
    publishToken: PUBLISH_TOKEN,
    recordsToken: RECORDS_TOKEN,
  });
  cleanups.add("master", () => master.close());
  return master;
}

/** Open an activity from the course page by its name. */
async function openActivity(tab: Page, agentUrl: string, name: string): Promise<void> {
  await tab.goto(`${agentUrl}/c/${COURSE}`);
  await Promise.all([tab.waitForURL(/\/a\//), tab.getByRole("link", { name }).first().click()]);
}

/** The learner's morning: a name, three quiz questions and a submit, then the questionnaire. */
async function learnerSession(phone: Phone, agentUrl: string): Promise<void> {
  const tab = await phone.phone.newPage();
  await tab.goto(`${agentUrl}/me`);
  await tab.getByLabel("Your name").fill("Siti");
  await tab.getByLabel("Class code (optional)").fill("7B");
  await Promise.all([tab.waitForURL(`${agentUrl}/`), tab.getByRole("button", { name: "Save" }).click()]);

  await openActivity(tab, agentUrl, "Community health basics");
  await Promise.all([
    tab.waitForURL(/\/attempt\//),
    tab.getByRole("button", { name: "Start attempt" }).click(),
  ]);
  await tab.locator("#q2").getByLabel("Advise, support and refer households").check();
  await tab.locator("#q4").getByLabel("True").check();
  await tab.locator("#q6").getByLabel("Answer").fill("25");
  await Promise.all([
    tab.waitForLoadState("load"),
    tab.getByRole("button", { name: "Finish attempt" }).click(),
  ]);
  await tab.locator("#grade").waitFor();

  await openActivity(tab, agentUrl, "Course questionnaire");
  await tab.locator('input[type="radio"]').first().check();
  await tab.getByLabel(/How many households/).fill("12");
  await tab.getByLabel(/What should we add/).fill("More on malaria.");
  await tab.getByRole("button", { name: "Submit" }).click();
  await tab.getByRole("status").filter({ hasText: "Saved" }).waitFor();
}

/** The statement ids the agent's outbox holds (read while no agent runs: LevelDB is locked). */
async function outboxIds(dataDir: string): Promise<string[]> {
  const store = await Store.open(join(dataDir, "agent-db"));
  try {
    const ids: string[] = [];
    const table = store.table<{ statements: { id: string }[] }>("records-outbox");
    for await (const [, env] of table.between()) ids.push(...env.statements.map((s) => s.id));
    return ids;
  } finally {
    await store.close();
  }
}

describe.skipIf(!present)("records from the field to the master", { timeout: SLOW }, () => {
  it("a phone's quiz and questionnaire survive kill -9 and an offline restart, once each on the master", async () => {
    const dir = await makeTempDir("hc-records-e2e-");
    cleanups.add("temp dir", () => dir.cleanup());
    const agentDir = join(dir.path, "agent");
    const masterDir = join(dir.path, "master");
    await mkdir(masterDir);
    const config = join(dir.path, "agent.json");
    // Retry an unreachable master every second or two, so the master's arrival is seen soon.
    await writeFile(config, JSON.stringify({ sync: { retryMinSec: 1, retryMaxSec: 2 } }));
    // The master's URL stays the gate's: the course comes through it, then it is shut (the Pi
    // is in the village), then a master is behind it again.
    const gate = await PortGate.start();
    cleanups.add("gate", () => gate.close());

    let master = await startTestMaster(masterDir);
    await publishCourse({ masterUrl: master.url, token: PUBLISH_TOKEN, course: COURSE, file: V1 });
    gate.open(master.url);
    let agent = await startAgent(agentDir, gate.url, config);
    await waitFor(
      async () => (await agent.status()).courses.some((c) => c.id === COURSE),
      "the course installed",
    );
    await waitFor(
      async () => ["serving", "updated"].includes((await agent.status()).state),
      "the sync's end",
    );
    gate.shut();
    await master.close();

    const phone = await openPhone();
    cleanups.add("phone", () => phone.close());
    await learnerSession(phone, agent.url);
    agent.process.kill("SIGKILL");
    expect((await agent.process.exited).signal).toBe("SIGKILL");
    const saved = await outboxIds(agentDir);
    expect(saved).toHaveLength(11);

    agent = await startAgent(agentDir, gate.url, config);
    await waitFor(async () => (await agent.status()).state === "error", "the agent to find no master");
    expect((await agent.status()).records).toMatchObject({ pending: 11, sent: 0 });

    master = await startTestMaster(masterDir);
    gate.open(master.url);
    await waitFor(async () => (await agent.status()).records.pending === 0, "the records to go up");
    expect((await agent.status()).records).toMatchObject({ pending: 0, sent: 11 });

    const auth = { authorization: `Bearer ${RECORDS_TOKEN}` };
    const jsonl = await fetch(`${master.url}/v1/records`, { headers: auth });
    expect(jsonl.status).toBe(200);
    const statements = (await jsonl.text())
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as Kept);
    const ids = statements.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual([...saved].sort());
    const activities = `${gate.url}/courses/${COURSE}/activities`;
    expect(statements.map((s) => [s.verb.id, s.object.id.slice(activities.length)])).toEqual([
      ...[2, 3, 4, 5, 6, 7, 8, 9, 10].map((q) => [ANSWERED, `/quiz_581/questions/${q}`]),
      [COMPLETED, "/quiz_581"],
      [RESPONDED, "/feedback_585"],
    ]);
    const answered = (q: number) =>
      statements.find((s) => s.object.id === `${activities}/quiz_581/questions/${q}`);
    expect(answered(2)?.result).toMatchObject({
      response: "Advise, support and refer households",
      success: true,
    });
    expect(answered(4)?.result).toMatchObject({ response: "True", success: true });
    expect(answered(6)?.result).toMatchObject({ response: "25", success: true });
    expect(statements[9]!.result).toMatchObject({ completion: true, score: { raw: 20, max: 100 } });
    expect(JSON.parse(statements[10]!.result!.response!)).toEqual({
      "72": "1",
      "74": 12,
      "75": "More on malaria.",
    });

    const csv = await fetch(`${master.url}/v1/records`, { headers: { ...auth, accept: "text/csv" } });
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    // relax_column_count off: a row of another width is a parse error, not a short row.
    const rows = parse(await csv.text(), { bom: true, relax_column_count: false }) as string[][];
    expect(rows[0]).toEqual(CSV_HEADER);
    expect(rows).toHaveLength(12);
    for (const row of rows) expect(row).toHaveLength(17);
    const column = (name: string) => rows.slice(1).map((r) => r[CSV_HEADER.indexOf(name)]);
    expect([...column("statement id")].sort()).toEqual([...saved].sort());
    expect(new Set(column("learner"))).toEqual(new Set(["Siti"]));
    expect(new Set(column("class"))).toEqual(new Set(["7B"]));
    expect(column("verb")).toEqual([...Array(9).fill("answered"), "completed", "responded"]);
  });
});

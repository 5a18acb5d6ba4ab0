// Answers become xAPI statements in the agent's real LevelDB before the page says "saved":
// a choice, a questionnaire and a quiz attempt posted over real HTTP to the hotspot on
// loopback over the real Moodle 5.1 backup. Caps refuse clearly and keep what was kept.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deviceId } from "../../../src/agent/records/device-id.js";
import { Outbox } from "../../../src/agent/records/outbox.js";
import { AnswerStore } from "../../../src/hotspot/attempts.js";
import { InvalidStatementError, RecordsFullError, statementProblems } from "../../../src/records/index.js";
import type { Store } from "../../../src/store/index.js";
import { communityHealthOnLoopback, postForm } from "../../hotspot/helpers.js";
import { MOODLE51_DIR } from "../../support/corpus.js";
import { tempDir } from "../helpers.js";

const V1 = join(MOODLE51_DIR, "community-health@v1.mbz");
const present = existsSync(V1);
if (!present) console.warn("skipping: needs the Moodle 5.1 backups (MOODLE51_DIR)");

const MASTER = "http://master.example:8080";

describe("the device id", () => {
  it("is made once and kept in the data dir", async () => {
    const dir = await tempDir("hc-devid-");
    try {
      const first = await deviceId(dir.path);
      expect(first).toMatch(/^[a-z0-9]{16}$/);
      expect(await deviceId(dir.path)).toBe(first);
    } finally {
      await dir.remove();
    }
  });
});

describe.skipIf(!present)("statements kept on the hotspot", () => {
  let hotspot: Awaited<ReturnType<typeof communityHealthOnLoopback>>;
  let store: Store;
  let outbox: Outbox;
  let server: { url: string };
  let cookie: string;

  beforeAll(async () => {
    hotspot = await communityHealthOnLoopback("hc-outbox-", async (db) => {
      outbox = await Outbox.open(db, {
        deviceId: "k3v9q2m8x1c4z7b0",
        masterUrl: () => MASTER,
        maxPending: 25,
        maxPerLearnerPerDay: 18,
      });
      return { records: outbox };
    });
    ({ store, server, cookie } = hotspot);
  }, 120_000);

  afterAll(async () => {
    await hotspot?.close();
  });

  const pending = async () => (await outbox.batch(200, 1 << 20)).map((p) => p.statement);

  it("a choice and a questionnaire: one statement each, valid, kept before the page says saved", async () => {
    const ok = await fetch(`${server.url}/c/ch/a/choice_580`, postForm({ answer: "58" }, cookie));
    expect(await ok.text()).toContain('role="status">Saved<');
    const page = await (await fetch(`${server.url}/c/ch/a/feedback_585`, { headers: { cookie } })).text();
    const numeric = /How many households[^<]*<input type="text" inputmode="decimal" name="(\d+)"/.exec(
      page,
    )![1]!;
    const useful = /How useful was this course\?[\s\S]*?name="(\d+)" value="2"/.exec(page)![1]!;
    await fetch(`${server.url}/c/ch/a/feedback_585`, postForm({ [useful]: "2", [numeric]: "12" }, cookie));
    const [choice, survey] = await pending();
    expect(statementProblems(choice)).toEqual([]);
    expect(statementProblems(survey)).toEqual([]);
    expect(choice).toMatchObject({
      verb: { id: "http://adlnet.gov/expapi/verbs/answered" },
      object: { id: `${MASTER}/courses/ch/activities/choice_580` },
      result: { response: "58" },
      actor: { name: "Budi" },
      context: {
        extensions: { "urn:handcarry:xapi:content-hash": "hc1:v1", "urn:handcarry:xapi:class-code": "9A" },
      },
    });
    expect(survey).toMatchObject({
      verb: { id: "http://adlnet.gov/expapi/verbs/responded" },
      object: { id: `${MASTER}/courses/ch/activities/feedback_585` },
      result: { response: JSON.stringify({ [useful]: "2", [numeric]: 12 }) },
    });
    expect(outbox.counts()).toMatchObject({ pending: 2, nearlyFull: false });
  });

  it("a quiz attempt: each answer with its grade, then the total; over a cap nothing is saved", async () => {
    const start = await fetch(`${server.url}/c/ch/a/quiz_581/attempt`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie },
    });
    const attemptPath = start.headers.get("location")!;
    const submit = await fetch(
      `${server.url}${attemptPath}`,
      postForm({ "q4:answer": "1", "q10:answer": "Greeted everyone." }, cookie),
    );
    expect(submit.status).toBe(303);
    const quiz = (await pending()).slice(2);
    const total = quiz.at(-1)!;
    expect(total.verb.id).toBe("http://adlnet.gov/expapi/verbs/completed");
    expect(total.result).toMatchObject({ score: { raw: 6.6666667, max: 100 } });
    const q4 = quiz.find((s) => String(s.object.id).endsWith("/activities/quiz_581/questions/4"))!;
    expect(q4.result).toMatchObject({ success: true, score: { raw: 1, max: 1 } });
    const q10 = quiz.find((s) => String(s.object.id).endsWith("/questions/10"))!;
    expect(q10.result).toEqual({
      response: "Greeted everyone.",
      extensions: { "urn:handcarry:xapi:needs-grading": true },
    });
    for (const s of quiz) expect(statementProblems(s)).toEqual([]);
    const kept = outbox.counts().pending;
    // Two from before, nine answered (one per question) and the total.
    expect(kept).toBe(12);

    // The next attempt would pass the learner's daily cap: refused in words, nothing kept.
    const again = await fetch(`${server.url}/c/ch/a/quiz_581/attempt`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie },
    });
    const refused = await fetch(
      `${server.url}${again.headers.get("location")!}`,
      postForm({ "q4:answer": "1" }, cookie),
    );
    expect(refused.status).toBe(507);
    expect(await refused.text()).toContain(
      "Your answer was NOT saved: you have reached today’s limit of answers on this device. Try again tomorrow.",
    );
    expect(outbox.counts().pending).toBe(kept);
    const attempts = await new AnswerStore(store).allAttempts();
    expect(attempts.filter((a) => a.answers !== null)).toHaveLength(1);
  });

  it("a player's statement is validated, made this learner's, and refused at the total cap", async () => {
    await expect(outbox.recordStatement(null, { verb: { id: "x" } })).rejects.toThrow(InvalidStatementError);
    const learner = { id: "fedcba9876543210", name: "Sari", classCode: "" };
    const given = {
      actor: { mbox: "mailto:someone-else@example.org" },
      verb: { id: "http://adlnet.gov/expapi/verbs/completed" },
      object: { id: "http://h5p.example/activity/7" },
    };
    const s = await outbox.recordStatement(learner, given, { courseId: "ch", contentHash: "hc1:v1" });
    expect(s.actor).toEqual({
      objectType: "Agent",
      name: "Sari",
      account: { homePage: MASTER, name: "k3v9q2m8x1c4z7b0:fedcba9876543210" },
    });
    expect(statementProblems(s)).toEqual([]);
    while (outbox.counts().pending < 22) await outbox.recordStatement(learner, given);
    expect(outbox.counts()).toMatchObject({ pending: 22, nearlyFull: false, full: false });
    await outbox.recordStatement(learner, given);
    expect(outbox.counts()).toMatchObject({ pending: 23, nearlyFull: true, full: false });
    while (outbox.counts().pending < 25) await outbox.recordStatement(learner, given);
    expect(outbox.counts()).toMatchObject({ pending: 25, nearlyFull: true, full: true });
    await expect(outbox.recordStatement(learner, given)).rejects.toThrow(RecordsFullError);
    expect(outbox.counts().pending).toBe(25);
  });
});

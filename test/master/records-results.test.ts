// The results page of a course, in a real Chromium: the login form sets the cookie, the page
// shows learners × activities and each question's answers, and nothing opens it without
// the records token (a token in the URL does not).
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeZip } from "../archive/helpers.js";
import { CHROMIUM, CHROMIUM_ARGS } from "../support/chromium.js";
import {
  activityStatement,
  answerStatement,
  RECORDS_TOKEN,
  recordsMaster,
  upload,
} from "./records-helpers.js";

let m: Awaited<ReturnType<typeof recordsMaster>>;
let browser: Browser;

const XSS = "<b>Eve</b>";

beforeAll(async () => {
  m = await recordsMaster({ recordsToken: RECORDS_TOKEN });
  const course = await makeZip([{ name: "moodle_backup.xml", data: Buffer.from("<moodle_backup/>") }]);
  const published = await fetch(`${m.url}/v1/courses/algebra?title=${encodeURIComponent("Algebra 1")}`, {
    method: "PUT",
    headers: { authorization: "Bearer publish-secret-0123", "content-type": "application/octet-stream" },
    body: course,
  });
  expect(published.status).toBe(201);
  const quiz = { activity: "quiz-1", name: "Quiz 1" };
  await upload(m.url, "pi-1", [
    answerStatement({ n: 0, learner: "Ana", question: "q1", response: "b", success: true }),
    answerStatement({ n: 1, learner: "Ana", question: "q2", response: "c", success: false }),
    activityStatement({
      n: 2,
      learner: "Ana",
      ...quiz,
      result: { score: { scaled: 0.5 }, completion: true, success: false },
    }),
    answerStatement({ n: 3, learner: "Ben", question: "q1", response: "a", success: false }),
    answerStatement({ n: 4, learner: "Ben", question: "q2", response: "c", success: false }),
    activityStatement({ n: 5, learner: "Ben", ...quiz, result: { score: { scaled: 0 }, completion: true } }),
    // Ben tries again and passes: the best score counts.
    activityStatement({ n: 6, learner: "Ben", ...quiz, result: { score: { scaled: 1 }, success: true } }),
  ]);
  await upload(m.url, "pi-2", [
    answerStatement({
      n: 7,
      learner: "Chloé",
      classCode: "5A",
      question: "q1",
      response: "b",
      success: true,
    }),
    activityStatement({
      n: 8,
      learner: "Chloé",
      classCode: "5A",
      activity: "page-1",
      name: "Welcome",
      verb: "experienced",
    }),
    activityStatement({
      n: 9,
      learner: XSS,
      classCode: "5A",
      activity: "page-1",
      name: "Welcome",
      verb: "experienced",
    }),
    // Another course: not on this page.
    activityStatement({ n: 10, course: "biology", activity: "page-9", name: "Cells", verb: "experienced" }),
  ]);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await m?.close();
});

async function loggedIn(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const first = await page.goto(`${m.url}/results/algebra`);
  expect(first?.status()).toBe(401);
  await page.fill('input[name="token"]', RECORDS_TOKEN);
  await Promise.all([page.waitForURL(`${m.url}/results/algebra`), page.click("button")]);
  return { context, page };
}

const tableText = (page: Page, selector: string) =>
  page.$$eval(`${selector} tr`, (rows) =>
    // Runs in the page: the test's lib has no DOM types, so name the one property read.
    rows.map((r) =>
      Array.from(r.children as ArrayLike<{ textContent: string | null }>, (c) => c.textContent ?? ""),
    ),
  );

describe("the results page of a course", () => {
  it("shows learners × activities and each question's answers after a login", async () => {
    const { context, page } = await loggedIn();
    try {
      expect(await page.textContent("h1")).toBe("Algebra 1");
      expect(await page.textContent("body > p")).toBe("10 statements from 4 learners.");
      expect(await tableText(page, "table.grid")).toEqual([
        ["Class", "Learner", "Quiz 1", "Welcome"],
        ["4B", "Ana", "50 %, completed, not passed", "–"],
        ["4B", "Ben", "100 %, completed, passed", "–"],
        ["5A", XSS, "–", "seen"],
        ["5A", "Chloé", "1 answer", "seen"],
      ]);
      expect(await tableText(page, "table.questions")).toEqual([
        ["Quiz", "Question", "Answers", "Correct", "Responses"],
        ["Quiz 1", "Question q1", "3", "66.7 % (2 of 3)", "b ×2, a ×1"],
        ["Quiz 1", "Question q2", "2", "0 % (0 of 2)", "c ×2"],
      ]);
      const cookie = (await context.cookies()).find((c) => c.name === "handcarry_records");
      expect([cookie?.httpOnly, cookie?.sameSite, cookie?.path]).toEqual([true, "Strict", "/"]);
      expect(cookie?.value).not.toContain(RECORDS_TOKEN);
      // The CSV link works with the login cookie.
      const csv = await context.request.get(`${m.url}/v1/records?course=algebra&format=csv`);
      expect([csv.status(), csv.headers()["content-type"]]).toEqual([200, "text/csv; charset=utf-8"]);
    } finally {
      await context.close();
    }
  });

  it("lists the published courses", async () => {
    const { context, page } = await loggedIn();
    try {
      await page.goto(`${m.url}/results`);
      expect(await page.$$eval("li", (items) => items.map((li) => li.textContent))).toEqual([
        "Algebra 1 (algebra)",
      ]);
      await Promise.all([page.waitForURL(`${m.url}/results`), page.click("text=Log out")]);
      expect(await page.isVisible('input[name="token"]')).toBe(true);
    } finally {
      await context.close();
    }
  });

  it("refuses a wrong token and takes no token from the URL", async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const inUrl = await page.goto(`${m.url}/results/algebra?token=${RECORDS_TOKEN}`);
      expect(inUrl?.status()).toBe(401);
      await page.fill('input[name="token"]', "not-the-records-token");
      await page.click("button");
      expect(await page.textContent('[role="alert"]')).toBe("wrong token");
      expect(await context.cookies()).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe("results on a master without a records token", () => {
  it("says they are closed and how to open them", async () => {
    const closed = await recordsMaster();
    try {
      const res = await fetch(`${closed.url}/results/algebra`);
      expect(res.status).toBe(403);
      expect(await res.text()).toContain(
        "<p>records are closed on this master: start it with --records-token (or HANDCARRY_RECORDS_TOKEN) to read them</p>",
      );
    } finally {
      await closed.close();
    }
  });
});

// What learners answer is kept in the agent's real LevelDB with who answered: a choice, a
// questionnaire and a quiz attempt (its essay kept for the teacher) posted over real HTTP to
// the hotspot app on loopback, over the real Moodle 5.1 backup; bad answers get a clear error
// and are not kept.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AnswerStore } from "../../src/hotspot/attempts.js";
import type { Store } from "../../src/store/index.js";
import { MOODLE51_DIR } from "../support/corpus.js";
import { adminLogin, communityHealthOnLoopback, postForm } from "./helpers.js";

const V1 = join(MOODLE51_DIR, "community-health@v1.mbz");
const present = existsSync(V1);
if (!present) console.warn("skipping: needs the Moodle 5.1 backups (MOODLE51_DIR)");

describe.skipIf(!present)("answers kept on the hotspot", () => {
  let hotspot: Awaited<ReturnType<typeof communityHealthOnLoopback>>;
  let store: Store;
  let server: { url: string };
  let cookie: string;

  beforeAll(async () => {
    hotspot = await communityHealthOnLoopback("hc-answers-");
    ({ store, server, cookie } = hotspot);
  }, 120_000);

  afterAll(async () => {
    await hotspot?.close();
  });

  it("a choice is kept with the learner; an unknown option is refused and not kept", async () => {
    const bad = await fetch(`${server.url}/c/ch/a/choice_580`, postForm({ answer: "999" }, cookie));
    expect(bad.status).toBe(200);
    expect(await bad.text()).toContain("There is no option &quot;999&quot;.");
    const ok = await fetch(`${server.url}/c/ch/a/choice_580`, postForm({ answer: "58" }, cookie));
    expect(await ok.text()).toContain('role="status">Saved<');
    const kept = (await new AnswerStore(store).allResponses()).filter((r) => r.kind === "choice");
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({
      courseId: "ch",
      activityId: "choice_580",
      contentHash: "hc1:v1",
      answer: ["58"],
      learner: { name: "Budi", classCode: "9A" },
    });
  });

  it("a questionnaire with a number out of range is refused; a valid one is kept", async () => {
    const page = await (await fetch(`${server.url}/c/ch/a/feedback_585`, { headers: { cookie } })).text();
    const numeric = /How many households[^<]*<input type="text" inputmode="decimal" name="(\d+)"/.exec(
      page,
    )![1]!;
    const bad = await fetch(`${server.url}/c/ch/a/feedback_585`, postForm({ [numeric]: "5000" }, cookie));
    expect(await bad.text()).toContain("Enter a number from 0 to 200.");
    const missing = await fetch(`${server.url}/c/ch/a/feedback_585`, postForm({ [numeric]: "12" }, cookie));
    expect(await missing.text()).toContain("This answer is required.");
    const useful = /How useful was this course\?[\s\S]*?name="(\d+)" value="2"/.exec(page)![1]!;
    await fetch(`${server.url}/c/ch/a/feedback_585`, postForm({ [useful]: "2", [numeric]: "12" }, cookie));
    const kept = (await new AnswerStore(store).allResponses()).filter((r) => r.kind === "feedback");
    expect(kept.map((r) => r.answer)).toEqual([{ [useful]: "2", [numeric]: 12 }]);
  });

  it("refusals are in the learner's language, and nothing is kept", async () => {
    const indonesian = { cookie, "accept-language": "id" };
    const before = (await new AnswerStore(store).allResponses()).length;
    const page = await (await fetch(`${server.url}/c/ch/a/feedback_585`, { headers: indonesian })).text();
    const numeric = /How many households[^<]*<input type="text" inputmode="decimal" name="(\d+)"/.exec(
      page,
    )![1]!;
    const post = (path: string, fields: Record<string, string>) => {
      const init = postForm(fields, cookie);
      return fetch(`${server.url}${path}`, {
        ...init,
        headers: { ...init.headers, "accept-language": "id" },
      });
    };
    const bad = await (await post("/c/ch/a/feedback_585", { [numeric]: "5000" })).text();
    expect(bad).toContain("Masukkan angka dari 0 sampai 200.");
    expect(bad).toContain("Jawaban ini wajib diisi.");
    const choice = await (await post("/c/ch/a/choice_580", { answer: "999" })).text();
    expect(choice).toContain("Opsi &quot;999&quot; tidak ada.");
    expect((await new AnswerStore(store).allResponses()).length).toBe(before);
  });

  it("a submitted attempt keeps its answers, its grade and the essay for later grading", async () => {
    const start = await fetch(`${server.url}/c/ch/a/quiz_581/attempt`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie },
    });
    expect(start.status).toBe(303);
    const attemptPath = start.headers.get("location")!;
    expect(attemptPath).toMatch(/^\/c\/ch\/a\/quiz_581\/attempt\/[\w-]{12}$/);
    const submit = await fetch(
      `${server.url}${attemptPath}`,
      postForm({ "q4:answer": "1", "q10:answer": "Greeted everyone.", other: "dropped" }, cookie),
    );
    expect(submit.status).toBe(303);
    const [record] = await new AnswerStore(store).allAttempts();
    expect(record).toMatchObject({
      activityId: "quiz_581",
      answers: { "q4:answer": "1", "q10:answer": "Greeted everyone." },
      needsGrading: true,
      maxGrade: 100,
      learner: { name: "Budi" },
    });
    // One of 15 marks (the true/false question), scaled to 100.
    expect(record!.grade!.toFixed(2)).toBe("6.67");
    const review = await (await fetch(`${server.url}${attemptPath}`, { headers: { cookie } })).text();
    expect(review).toContain("Grade: 6.67 out of 100.00");
  });

  it("the admin's teacher view lists the essay kept for grading, read-only", async () => {
    const closed = await fetch(`${server.url}/admin/grading`, { redirect: "manual" });
    expect([closed.status, closed.headers.get("location")]).toEqual([302, "/admin"]);
    const admin = await adminLogin(server.url, "correct horse battery");
    const page = await (
      await fetch(`${server.url}/admin/grading`, { headers: { cookie: admin.cookie } })
    ).text();
    expect(page).toContain("<title>Answers waiting for grading</title>");
    expect(page).toContain('<p class="meta">1 answer</p>');
    const card = /<section class="card kept">[\s\S]*?<\/section>/.exec(page)![0];
    expect(card).toContain("<h2>Budi · class 9A</h2>");
    expect(card).toContain("Community health · Quiz: community health basics · submitted ");
    expect(card).toContain(
      "<h3>Reflection: a household visit</h3><p>Describe a household visit you made (or would make). Which key messages did you give and why?</p>",
    );
    expect(card).toContain(
      '<blockquote class="outcome" style="white-space:pre-wrap;margin:0">Greeted everyone.</blockquote>',
    );
    expect(card).not.toContain("<form");
    const id = await (
      await fetch(`${server.url}/admin/grading`, {
        headers: { cookie: admin.cookie, "accept-language": "id" },
      })
    ).text();
    expect(id).toContain("<title>Jawaban yang menunggu dinilai</title>");
    expect(id).toContain("<h2>Budi · kelas 9A</h2>");
  });

  it("an attempt of another activity is not found", async () => {
    const [record] = await new AnswerStore(store).allAttempts();
    const res = await fetch(`${server.url}/c/ch/a/quiz_582/attempt/${record!.id}`);
    expect(res.status).toBe(404);
  });
});

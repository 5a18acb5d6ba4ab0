// A lesson's end page shows the learner's score when the lesson has graded question pages:
// played over real HTTP on the real Moodle 5.1 lesson ("Recognising malnutrition": a content
// page, a true/false page, a multichoice page, an end page), following the page's own links.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../agent/helpers.js";
import { MOODLE51_DIR } from "../support/corpus.js";
import { extractedCourse, hotspotOnLoopback } from "./helpers.js";

const V1 = join(MOODLE51_DIR, "community-health@v1.mbz");
const present = existsSync(V1);
if (!present) console.warn("skipping: needs the Moodle 5.1 backups (MOODLE51_DIR)");

const LESSON = "/c/ch/a/lesson_576";

describe.skipIf(!present)("a lesson's score on its end page", () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: Awaited<ReturnType<typeof hotspotOnLoopback>>;

  beforeAll(async () => {
    dir = await tempDir("hc-lesson-");
    server = await hotspotOnLoopback([await extractedCourse(dir.path, V1)]);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await dir?.remove();
  });

  const get = async (path: string, lang = "en") => {
    const res = await fetch(`${server.url}${path}`, { headers: { "accept-language": lang } });
    expect(res.status).toBe(200);
    return res.text();
  };
  const fromHtml = (href: string) => href.replace(/&amp;/g, "&");
  /** The one "Continue" button's link. */
  const continueLink = (body: string) =>
    fromHtml(/<a class="btn" href="([^"]+)">Continue<\/a>/.exec(body)![1]!);
  /** Submit the page's form with `answer`, as the browser's GET form does. */
  const answer = (body: string, value: string) => {
    const page = /name="page" value="(\d+)"/.exec(body)![1]!;
    const r = /name="r" value="([^"]*)"/.exec(body)?.[1];
    return `${LESSON}?page=${page}${r ? `&r=${encodeURIComponent(r)}` : ""}&answer=${value}`;
  };
  it("counts the last answer on each graded page: a wrong try, then right ones", async () => {
    const start = await get(LESSON);
    expect(start).toContain("<h2>Measuring MUAC</h2>");
    let body = await get(continueLink(start));
    expect(body).toContain("<h2>A red MUAC reading</h2>");
    body = await get(answer(body, "71")); // wrong: "No: red means refer today."
    expect(body).toContain("No: red means refer today.");
    expect(continueLink(body)).toBe(`${LESSON}?page=58&r=58.0`);
    body = await get(continueLink(body));
    body = await get(answer(body, "72"));
    expect(continueLink(body)).toBe(`${LESSON}?page=59&r=58.1`);
    body = await get(continueLink(body));
    expect(body).toContain("<h2>Swollen feet</h2>");
    body = await get(answer(body, "73")); // "Oedema: severe acute malnutrition"
    expect(body).toContain("Yes. Refer immediately.");
    const end = continueLink(body);
    expect(end).toBe(`${LESSON}?page=60&r=58.1,59.1`);
    const last = await get(end);
    const finish = await get(continueLink(last));
    expect(finish).toContain("<p>End of the lesson.</p>");
    expect(finish).toContain('<p id="lesson-score" class="state">Correct answers: 2 of 2.</p>');
    expect(finish).toContain("<p>Your grade: 100%</p>");
  });

  it("says the score in the learner's language, and ignores what is not a graded page", async () => {
    const id = await get(`${LESSON}?page=end&r=58.1,59.0,57.1,999.1,x`, "id");
    expect(id).toContain("<p>Akhir pelajaran.</p>");
    expect(id).toContain('<p id="lesson-score" class="state">Jawaban benar: 1 dari 2.</p>');
    expect(id).toContain("<p>Nilai Anda: 50%</p>");
    const fr = await get(`${LESSON}?page=end`, "fr");
    expect(fr).toContain("<p>Vous n’avez répondu à aucune question de cette leçon.</p>");
    expect(fr).not.toContain("lesson-score");
  });
});

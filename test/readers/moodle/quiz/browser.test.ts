// The question fragments in real Chromium on a phone-sized screen, under a CSP that forbids
// every script: a learner answers the real Moodle 5.1 quiz (nine question types) by tapping
// labels, submits the form, and the review shows each state, mark and feedback and the total.
// The page and the POST handler are this test's own (the hotspot builds the real ones).
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Attempt,
  type FormBody,
  renderQuestion,
  submitAttempt,
} from "../../../../src/readers/moodle/quiz/index.js";
import { CHROMIUM, CHROMIUM_ARGS } from "../../../support/chromium.js";
import { repoRoot } from "../../../support/cli.js";
import { MOODLE51_DIR } from "../../../support/corpus.js";
import { answerCommunityHealthQuiz } from "../../../support/moodle51-quiz.js";
import { attemptOf, loadBackup, tempDir } from "./helpers.js";

const present = existsSync(CHROMIUM) && existsSync(join(MOODLE51_DIR, "community-health@v1.mbz"));
if (!present) console.warn("skipping: needs /usr/bin/chromium and the Moodle 5.1 backups");

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'";

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title}</title><style>body{font:16px sans-serif;margin:8px}label.choice{display:block;min-height:48px}select,input[type=text],textarea{font-size:16px;min-height:40px;max-width:100%}.visually-hidden{position:absolute;clip:rect(0 0 0 0);width:1px;height:1px;overflow:hidden}.outcome{background:#eef}</style></head><body>${body}</body></html>`;
}

/** urlencoded → FormBody (a repeated name becomes a list). */
function formBody(raw: string): FormBody {
  const body: FormBody = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    const seen = body[k];
    body[k] = seen === undefined ? v : [...(Array.isArray(seen) ? seen : [seen]), v];
  }
  return body;
}

describe.skipIf(!present)("quiz fragments in Chromium", () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: Server;
  let browser: Browser;
  let base: string;
  let attempt: Attempt;

  beforeAll(async () => {
    dir = await tempDir("hc-quizbrowser-");
    attempt = attemptOf(
      await loadBackup(join(MOODLE51_DIR, "community-health@v1.mbz"), join(dir.path, "v1")),
      "quiz_581",
      11,
    );
    const resolveFile = () => "/file";
    server = createServer((req, res) => {
      const send = (html: string) => {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-security-policy": CSP });
        res.end(html);
      };
      if (req.method === "GET") {
        const questions = attempt.slots.map((s) => renderQuestion(s, { resolveFile })).join("");
        send(
          page(
            "Quiz",
            `<form method="post" action="/submit">${questions}<button type="submit">Submit all and finish</button></form>`,
          ),
        );
        return;
      }
      let raw = "";
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => {
        raw += chunk;
      });
      req.on("end", () => {
        const body = formBody(raw);
        const result = submitAttempt(attempt, body);
        const review = attempt.slots
          .map((s, i) => renderQuestion(s, { resolveFile, review: { body, result: result.questions[i]! } }))
          .join("");
        send(
          page(
            "Review",
            `<p id="total">Grade ${result.grade.toFixed(2)} out of ${result.maxGrade.toFixed(2)}</p>${review}`,
          ),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await dir?.remove();
  });

  it("a learner answers every type on a phone, submits, and sees the graded review", async () => {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    const tab = await context.newPage();
    const blocked: string[] = [];
    tab.on("console", (m) => {
      if (m.type() === "error") blocked.push(m.text());
    });
    await tab.goto(base);
    await answerCommunityHealthQuiz(tab);
    await Promise.all([
      tab.waitForURL(`${base}/submit`),
      tab.getByRole("button", { name: "Submit all and finish" }).click(),
    ]);

    // 1 + 0.5 + 1 + 0.8 + 1 + 2/3 + 1 + 2 = 7.9666667 of 15, scaled to 100.
    await expect(tab.locator("#total").textContent()).resolves.toBe("Grade 53.11 out of 100.00");
    const states = await tab.locator(".outcome .state").allTextContents();
    expect(states).toEqual([
      "Correct Mark 1.00 out of 1.00",
      "Partially correct Mark 0.50 out of 1.00",
      "Correct Mark 1.00 out of 1.00",
      "Partially correct Mark 0.80 out of 1.00",
      "Correct Mark 1.00 out of 1.00",
      "Partially correct Mark 0.67 out of 1.00",
      "Correct Mark 1.00 out of 1.00",
      "Partially correct Mark 2.00 out of 3.00",
      "Needs grading",
    ]);
    const q = (slot: number) => tab.locator(`#q${slot}`);
    await expect(q(5).locator(".feedback").textContent()).resolves.toBe('Nearly: the full term is "salts".');
    await expect(q(5).getByLabel("Answer").isDisabled()).resolves.toBe(true);
    // Nothing on the page tried to run a script (the CSP would have reported it).
    expect(blocked).toEqual([]);
    const artifacts = join(repoRoot, "test-artifacts", "quiz");
    await mkdir(artifacts, { recursive: true });
    await tab.screenshot({ path: join(artifacts, "review.png"), fullPage: true });
    await context.close();
  });
});

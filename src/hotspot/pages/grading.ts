// The teacher's read-only view of answers kept for later grading (essays, STACK and other
// types the Pi cannot grade): who answered, the question, what they wrote.
import type { Learner } from "../frame.js";
import { currentFrame } from "../frame.js";
import { esc, formatDate, layout } from "./layout.js";

export interface KeptAnswer {
  learner: Learner | null;
  courseTitle: string;
  quizName: string;
  submittedAt: string | null;
  /** The question's name and its text as plain text; null when the quiz is no longer installed. */
  question: { name: string; text: string } | null;
  /** What the learner sent for it, as typed. */
  answer: string;
}

function keptAnswerCard(k: KeptAnswer): string {
  const { t } = currentFrame().t;
  const who = k.learner
    ? esc(k.learner.name) +
      (k.learner.classCode ? ` · ${esc(t("grading.classCode", { code: k.learner.classCode }))}` : "")
    : esc(t("grading.noName"));
  const where = `${esc(k.courseTitle)} · ${esc(k.quizName)} · ${esc(t("grading.submitted", { date: formatDate(k.submittedAt) }))}`;
  const question = k.question
    ? `<h3>${esc(k.question.name)}</h3><p>${esc(k.question.text)}</p>`
    : `<p class="meta">${esc(t("grading.quizGone"))}</p>`;
  return `<section class="card kept"><h2>${who}</h2><p class="meta">${where}</p>${question}<blockquote class="outcome" style="white-space:pre-wrap;margin:0">${esc(k.answer)}</blockquote></section>`;
}

export function gradingPage(answers: KeptAnswer[]): string {
  const { t } = currentFrame().t;
  const head = `<section class="card"><p>${esc(t("grading.intro"))}</p><p class="meta">${esc(answers.length ? t("grading.count", { count: answers.length }) : t("grading.none"))}</p></section>`;
  return layout(t("grading.title"), head + answers.map(keptAnswerCard).join(""), { back: "/admin" });
}

// The teacher's view in the admin area: answers kept for later grading, read-only. Each
// attempt is rebuilt from its seed, so the question is the one the learner saw.
import Router from "@koa/router";
import { submitAttempt } from "../../readers/moodle/quiz/index.js";
import { plainText } from "../../readers/moodle/quiz/text.js";
import { type AnswerStore, type QuizAttemptRecord, rebuildAttempt } from "../attempts.js";
import type { AdminAuth } from "../auth.js";
import type { CourseAccess } from "../courses.js";
import { gradingPage, type KeptAnswer } from "../pages/grading.js";
import { html } from "../respond.js";
import { adminSession } from "../session.js";

/** What a learner sent for one slot: the essay's text, else every field of the slot. */
function answerOf(answers: Record<string, string | string[]>, slot: number): string {
  const fields = Object.entries(answers).filter(([name]) => name.startsWith(`q${slot}:`));
  const essay = fields.find(([name]) => name === `q${slot}:answer`);
  return (essay ? [essay] : fields).map(([, v]) => (Array.isArray(v) ? v.join(", ") : v)).join("\n");
}

/** The answers of one submitted attempt that wait for a teacher. */
async function keptAnswers(courses: CourseAccess, record: QuizAttemptRecord): Promise<KeptAnswer[]> {
  const answers = record.answers ?? {};
  const base = { learner: record.learner, submittedAt: record.submittedAt };
  try {
    const course = await courses.get(record.courseId);
    const quiz = await (await courses.moodle(course))?.activity(record.activityId);
    if (quiz?.type !== "quiz") throw new Error("not a quiz any more");
    const attempt = await rebuildAttempt(course, quiz, record.seed);
    return submitAttempt(attempt, answers)
      .questions.filter((q) => q.state === "needsgrading")
      .map((q) => {
        const question = attempt.slots.find((s) => s.slot === q.slot)?.question;
        return {
          ...base,
          courseTitle: course.title,
          quizName: quiz.name,
          question:
            question && question.type !== "broken"
              ? { name: question.name, text: plainText(question.text.html) }
              : { name: q.qtype, text: "" },
          answer: answerOf(answers, q.slot),
        };
      });
  } catch {
    // The course or quiz is gone or unreadable: the answers are still the learner's, shown as sent.
    return [
      {
        ...base,
        courseTitle: record.courseId,
        quizName: record.activityId,
        question: null,
        answer: Object.values(answers).flat().join("\n"),
      },
    ];
  }
}

export function gradingRouter(
  courses: CourseAccess,
  answers: AnswerStore | undefined,
  auth: AdminAuth,
): Router {
  const router = new Router();
  router.get("/admin/grading", async (ctx) => {
    if (!adminSession(ctx, auth)) return ctx.redirect("/admin");
    const waiting = (await answers?.allAttempts())?.filter((r) => r.needsGrading && r.answers) ?? [];
    waiting.sort((a, b) => (a.submittedAt ?? "").localeCompare(b.submittedAt ?? ""));
    const kept: KeptAnswer[] = [];
    for (const record of waiting) kept.push(...(await keptAnswers(courses, record)));
    html(ctx, gradingPage(kept));
  });
  return router;
}

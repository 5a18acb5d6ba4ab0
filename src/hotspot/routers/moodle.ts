// A Moodle course's activities by their stable ids (/c/<course>/a/<activity>: a bookmark
// outlives course updates), the files their HTML links (/c/<course>/file/<key>), and the
// answers learners give: quiz attempts, choices and questionnaires, kept in the agent's store.
import Router from "@koa/router";
import type { Context } from "koa";
import { koaBody } from "koa-body";
import { ReaderError } from "../../readers/index.js";
import { validateChoice } from "../../readers/moodle/activities/choice.js";
import { validateFeedback } from "../../readers/moodle/activities/feedback.js";
import type { MoodleActivity } from "../../readers/moodle/model.js";
import {
  type Attempt,
  type FormBody,
  type PluginfileResolver,
  submitAttempt,
  summarise,
} from "../../readers/moodle/quiz/index.js";
import {
  choiceStatement,
  experiencedStatement,
  questionnaireStatement,
  quizAttemptStatements,
} from "../../records/index.js";
import { promiseCache } from "../../util/promise-cache.js";
import { type AnswerStore, rebuildAttempt } from "../attempts.js";
import { type CourseAccess, courseActivity } from "../courses.js";
import { hotspotError } from "../errors.js";
import { currentFrame } from "../frame.js";
import {
  answerMessages,
  choicePage,
  feedbackDone,
  feedbackPage,
  quizForm,
  quizReview,
  quizStart,
} from "../pages/answers.js";
import { activityFrame, activityUrl, readOnlyActivityPage } from "../pages/moodle.js";
import { playerUrl } from "../pages/players.js";
import { submitAndKeep } from "../quiz-submit.js";
import { recorder } from "../records.js";
import { disposition, html, sendCourseFile, shownInline } from "../respond.js";
import type { LearnerRecords, ServedCourse } from "../types.js";

const MIME = /^[\w.+-]+\/[\w.+-]+$/;
const form = koaBody({ urlencoded: true, json: false, text: false, multipart: false, formLimit: "256kb" });

/** Pages and books read: one "experienced" per learner, activity and day is enough. */
const READ_KINDS = new Set(["page", "book"]);

export function moodleRouter(
  courses: CourseAccess,
  answers: AnswerStore | undefined,
  records?: LearnerRecords,
): Router {
  const router = new Router();
  const attempts = promiseCache<Attempt>(64);
  const record = recorder(answers ? records : undefined);
  const readToday = new Set<string>();

  /** A learner opened a page or a book: recorded once a day, never in the way of reading. */
  const noteRead = async (course: ServedCourse, a: MoodleActivity) => {
    const learner = currentFrame().learner;
    if (!records || !learner || !READ_KINDS.has(a.type)) return;
    const at = new Date().toISOString();
    const key = `${learner.id}\0${course.id}\0${a.id}\0${at.slice(0, 10)}`;
    if (readToday.has(key)) return;
    if (readToday.size >= 10_000) readToday.clear();
    readToday.add(key);
    const statement = experiencedStatement(record.place(course, a), learner, at, a.type as "page" | "book");
    await records.keep(learner, [statement]).catch(() => readToday.delete(key));
  };

  const activityOf = async (ctx: Context) => {
    const course = await courses.get(ctx.params.id!);
    const moodle = await courses.moodle(course);
    if (!moodle) throw hotspotError(404, "error.noActivities");
    return { course, activity: await courseActivity(moodle, ctx.params.aid!) };
  };

  const store = (): AnswerStore => {
    if (!answers) throw hotspotError(503, "error.noAnswerStore");
    return answers;
  };

  /** The attempt a seed gives (the same questions and order every time), cached per course version. */
  const attemptFor = (
    course: ServedCourse,
    quiz: Extract<MoodleActivity, { type: "quiz" }>,
    seed: number,
  ) => {
    return attempts(`${course.contentHash}\0${quiz.id}\0${seed}`, () => rebuildAttempt(course, quiz, seed));
  };

  const place = (course: ServedCourse, activityId: string) => ({
    courseId: course.id,
    contentHash: course.contentHash,
    activityId,
  });

  router.get("/c/:id/a/:aid", async (ctx) => {
    const { course, activity: a } = await activityOf(ctx);
    const player = playerUrl(course.id, a);
    if (player) return ctx.redirect(player); // played in the sandbox, not shown as a page
    const self = activityUrl(course.id, a.id);
    let body: string;
    if (a.type === "quiz") body = quizStart(`${self}/attempt`);
    else if (a.type === "choice") body = choicePage(a.form, self, null, null);
    else if (a.type === "feedback") body = feedbackPage(a.form, self, null);
    else {
      await noteRead(course, a);
      html(ctx, readOnlyActivityPage(course.id, course.title, a, ctx.query as Record<string, string>));
      return;
    }
    html(ctx, activityFrame(course.id, course.title, a, body));
  });

  router.post("/c/:id/a/:aid", form, async (ctx) => {
    const { course, activity: a } = await activityOf(ctx);
    const submitted = (ctx.request.body ?? {}) as Record<string, unknown>;
    const self = activityUrl(course.id, a.id);
    const learner = currentFrame().learner;
    const at = new Date().toISOString();
    let body: string;
    if (a.type === "choice") {
      const checked = validateChoice(a.form, submitted.answer, answerMessages());
      if (checked.ok) {
        const statement = choiceStatement(record.place(course, a), learner, at, checked.value);
        if (!(await record.keep(ctx, learner, [statement]))) return;
        await store().addResponse({ ...place(course, a.id), kind: "choice", learner, answer: checked.value });
      }
      body = choicePage(
        a.form,
        self,
        checked.ok ? checked.value : null,
        checked.ok ? null : (checked.errors.answer ?? ""),
      );
    } else if (a.type === "feedback") {
      const checked = validateFeedback(a.form, submitted, answerMessages());
      if (checked.ok) {
        const statement = questionnaireStatement(record.place(course, a), learner, at, checked.value);
        if (!(await record.keep(ctx, learner, [statement]))) return;
        await store().addResponse({
          ...place(course, a.id),
          kind: "feedback",
          learner,
          answer: checked.value,
        });
      }
      body = checked.ok ? feedbackDone(a.form) : feedbackPage(a.form, self, checked.errors);
    } else throw hotspotError(405, "error.takesNoAnswers");
    html(ctx, activityFrame(course.id, course.title, a, body), 200);
  });

  router.post("/c/:id/a/:aid/attempt", async (ctx) => {
    const { course, activity: a } = await activityOf(ctx);
    if (a.type !== "quiz") throw hotspotError(404, "error.notAQuiz");
    const record = await store().startAttempt(place(course, a.id), currentFrame().learner);
    ctx.status = 303;
    ctx.redirect(`${activityUrl(course.id, a.id)}/attempt/${record.id}`);
  });

  const attemptOf = async (ctx: Context) => {
    const { course, activity: a } = await activityOf(ctx);
    if (a.type !== "quiz") throw hotspotError(404, "error.notAQuiz");
    const record = await store().attempt(ctx.params.attempt!);
    if (!record || record.courseId !== course.id || record.activityId !== a.id)
      throw hotspotError(404, "error.noSuchAttempt");
    return { course, a, record, attempt: await attemptFor(course, a, record.seed) };
  };

  router.get("/c/:id/a/:aid/attempt/:attempt", async (ctx) => {
    const { course, a, record, attempt } = await attemptOf(ctx);
    const moodle = (await courses.moodle(course))!;
    // A question's image is served like any course file; one not in the backup links nowhere.
    const resolveFile: PluginfileResolver = ({ path, ...area }) => moodle.questionFileUrl(area, path) ?? "#";
    const body = record.answers
      ? quizReview(attempt, record.answers, submitAttempt(attempt, record.answers), resolveFile)
      : quizForm(attempt, ctx.path, resolveFile);
    html(ctx, activityFrame(course.id, course.title, a, body));
  });

  router.post("/c/:id/a/:aid/attempt/:attempt", form, async (ctx) => {
    const { course, a, record: kept, attempt } = await attemptOf(ctx);
    const body = (ctx.request.body ?? {}) as FormBody;
    // The statements are durable before the attempt counts as submitted: a store at its cap
    // refuses the attempt (its answer is already written) rather than keep it unrecorded.
    const submitted = await submitAndKeep(store(), kept, attempt, body, (result, submittedAt) => {
      const statements = quizAttemptStatements(record.place(course, a), kept.learner, {
        submittedAt,
        questions: summarise(result),
        grade: result.grade,
        maxGrade: result.maxGrade,
        needsGrading: result.needsGrading,
      });
      return record.keep(ctx, kept.learner, statements);
    });
    if (!submitted) return;
    ctx.status = 303;
    ctx.redirect(ctx.path);
  });

  router.get(/^\/c\/([^/]+)\/file\/(.+)$/, async (ctx) => {
    const [rawId = "", rawKey = ""] = [ctx.path.split("/")[2], ctx.path.split("/").slice(4).join("/")];
    let key: string;
    try {
      key = rawKey.split("/").map(decodeURIComponent).join("/");
    } catch {
      throw hotspotError(400, "error.badPath");
    }
    const course = await courses.get(decodeURIComponent(rawId));
    const moodle = await courses.read(course);
    if (!moodle) throw hotspotError(404, "error.noSuchFile");
    const file = await moodle.resolveFile(key).catch((err: unknown) => {
      if (err instanceof ReaderError) throw hotspotError(404, "error.noSuchFile");
      throw err;
    });
    const type = MIME.test(file.mimetype) ? file.mimetype : "application/octet-stream";
    await sendCourseFile(
      ctx,
      file.path,
      { "Content-Type": type, "Content-Disposition": disposition(shownInline(ctx, type), file.filename) },
      3600,
    );
  });

  return router;
}

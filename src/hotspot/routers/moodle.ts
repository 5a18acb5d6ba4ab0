// A Moodle course's activities by their stable ids (/c/<course>/a/<activity>: a bookmark
// outlives course updates), the files their HTML links (/c/<course>/file/<key>), and the
// answers learners give: quiz attempts, choices and questionnaires, kept in the agent's store.
import { relative } from "node:path";
import Router from "@koa/router";
import type { Context } from "koa";
import { koaBody } from "koa-body";
import { HttpError } from "../../http/errors.js";
import { ReaderError } from "../../readers/index.js";
import { validateChoice } from "../../readers/moodle/activities/choice.js";
import { validateFeedback } from "../../readers/moodle/activities/feedback.js";
import type { MoodleActivity } from "../../readers/moodle/model.js";
import {
  type Attempt,
  type FormBody,
  type PluginfileResolver,
  readQuestionBank,
  readQuiz,
  startAttempt,
  submitAttempt,
} from "../../readers/moodle/quiz/index.js";
import type { AnswerStore } from "../attempts.js";
import type { CourseAccess } from "../courses.js";
import { currentFrame } from "../frame.js";
import { choicePage, feedbackDone, feedbackPage, quizForm, quizReview, quizStart } from "../pages/answers.js";
import { activityFrame, activityUrl, readOnlyActivityPage } from "../pages/moodle.js";
import { scormPlayerUrl } from "../pages/scorm.js";
import { disposition, html, sendCourseFile, shownInline } from "../respond.js";
import type { ServedCourse } from "../types.js";

const MIME = /^[\w.+-]+\/[\w.+-]+$/;
const form = koaBody({ urlencoded: true, json: false, text: false, multipart: false, formLimit: "256kb" });

export function moodleRouter(courses: CourseAccess, answers: AnswerStore | undefined): Router {
  const router = new Router();
  const attempts = new Map<string, Promise<Attempt>>();

  const activityOf = async (ctx: Context) => {
    const course = await courses.get(ctx.params.id!);
    const moodle = await courses.read(course);
    if (!moodle) throw new HttpError(404, "This course has no activities.");
    try {
      return { course, activity: await moodle.activity(ctx.params.aid!) };
    } catch (err) {
      if (!(err instanceof ReaderError)) throw err;
      if (err.code === "not-found") throw new HttpError(404, "No such activity.");
      // The activity is there but its files are not usable: say which, never show them.
      throw new HttpError(422, `This activity cannot be shown (${err.message}).`);
    }
  };

  const store = (): AnswerStore => {
    if (!answers) throw new HttpError(503, "Answers cannot be kept on this server.");
    return answers;
  };

  /** The attempt a seed gives (the same questions and order every time), cached per course version. */
  const attemptFor = (
    course: ServedCourse,
    quiz: Extract<MoodleActivity, { type: "quiz" }>,
    seed: number,
  ) => {
    const key = `${course.contentHash}\0${quiz.id}\0${seed}`;
    let hit = attempts.get(key);
    if (!hit) {
      hit = (async () => {
        const bank = await readQuestionBank(course.treePath);
        return startAttempt(
          await readQuiz(course.treePath, relative(course.treePath, quiz.directory)),
          bank,
          seed,
        );
      })();
      hit.catch(() => attempts.delete(key));
      if (attempts.size >= 64) attempts.delete(attempts.keys().next().value as string);
      attempts.set(key, hit);
    }
    return hit;
  };

  const place = (course: ServedCourse, activityId: string) => ({
    courseId: course.id,
    contentHash: course.contentHash,
    activityId,
  });

  router.get("/c/:id/a/:aid", async (ctx) => {
    const { course, activity: a } = await activityOf(ctx);
    const self = activityUrl(course.id, a.id);
    if (a.type === "scorm") return ctx.redirect(scormPlayerUrl(course.id, a.id));
    let body: string;
    if (a.type === "quiz") body = quizStart(`${self}/attempt`);
    else if (a.type === "choice") body = choicePage(a.form, self, null, null);
    else if (a.type === "feedback") body = feedbackPage(a.form, self, null);
    else {
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
    let body: string;
    if (a.type === "choice") {
      const checked = validateChoice(a.form, submitted.answer);
      if (checked.ok)
        await store().addResponse({ ...place(course, a.id), kind: "choice", learner, answer: checked.value });
      body = choicePage(
        a.form,
        self,
        checked.ok ? checked.value : null,
        checked.ok ? null : (checked.errors.answer ?? ""),
      );
    } else if (a.type === "feedback") {
      const checked = validateFeedback(a.form, submitted);
      if (checked.ok)
        await store().addResponse({
          ...place(course, a.id),
          kind: "feedback",
          learner,
          answer: checked.value,
        });
      body = checked.ok ? feedbackDone(a.form) : feedbackPage(a.form, self, checked.errors);
    } else throw new HttpError(405, "This activity takes no answers.");
    html(ctx, activityFrame(course.id, course.title, a, body), 200);
  });

  router.post("/c/:id/a/:aid/attempt", async (ctx) => {
    const { course, activity: a } = await activityOf(ctx);
    if (a.type !== "quiz") throw new HttpError(404, "This activity is not a quiz.");
    const record = await store().startAttempt(place(course, a.id), currentFrame().learner);
    ctx.status = 303;
    ctx.redirect(`${activityUrl(course.id, a.id)}/attempt/${record.id}`);
  });

  const attemptOf = async (ctx: Context) => {
    const { course, activity: a } = await activityOf(ctx);
    if (a.type !== "quiz") throw new HttpError(404, "This activity is not a quiz.");
    const record = await store().attempt(ctx.params.attempt!);
    if (!record || record.courseId !== course.id || record.activityId !== a.id)
      throw new HttpError(404, "No such attempt.");
    return { course, a, record, attempt: await attemptFor(course, a, record.seed) };
  };

  router.get("/c/:id/a/:aid/attempt/:attempt", async (ctx) => {
    const { course, a, record, attempt } = await attemptOf(ctx);
    const moodle = (await courses.read(course))!;
    // A question's image is served like any course file; one not in the backup links nowhere.
    const resolveFile: PluginfileResolver = ({ path, ...area }) => moodle.questionFileUrl(area, path) ?? "#";
    const body = record.answers
      ? quizReview(attempt, record.answers, submitAttempt(attempt, record.answers), resolveFile)
      : quizForm(attempt, ctx.path, resolveFile);
    html(ctx, activityFrame(course.id, course.title, a, body));
  });

  router.post("/c/:id/a/:aid/attempt/:attempt", form, async (ctx) => {
    const { record, attempt } = await attemptOf(ctx);
    if (!record.answers) {
      const body = (ctx.request.body ?? {}) as FormBody;
      const answersGiven = Object.fromEntries(
        Object.entries(body).filter(
          (e): e is [string, string | string[]] => /^q\d+:/.test(e[0]) && e[1] !== undefined,
        ),
      );
      const result = submitAttempt(attempt, answersGiven);
      // Durable before the review page says it is graded and kept.
      await store().saveAttempt({
        ...record,
        answers: answersGiven,
        submittedAt: new Date().toISOString(),
        grade: result.grade,
        maxGrade: result.maxGrade,
        needsGrading: result.needsGrading,
      });
    }
    ctx.status = 303;
    ctx.redirect(ctx.path);
  });

  router.get(/^\/c\/([^/]+)\/file\/(.+)$/, async (ctx) => {
    const [rawId = "", rawKey = ""] = [ctx.path.split("/")[2], ctx.path.split("/").slice(4).join("/")];
    let key: string;
    try {
      key = rawKey.split("/").map(decodeURIComponent).join("/");
    } catch {
      throw new HttpError(400, "Bad path.");
    }
    const course = await courses.get(decodeURIComponent(rawId));
    const moodle = await courses.read(course);
    if (!moodle) throw new HttpError(404, "No such file.");
    const file = await moodle.resolveFile(key).catch((err: unknown) => {
      if (err instanceof ReaderError) throw new HttpError(404, "No such file.");
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

// The activities of IMS packages (Common Cartridge, content packages) by their stable ids,
// /c/<course>/a/<activity> like Moodle's, and a cartridge's QTI assessments as quizzes whose
// attempts are kept in the agent's store. Courses of other formats fall through to their routers.
import Router from "@koa/router";
import type { Context, Next } from "koa";
import { koaBody } from "koa-body";
import type { ImsActivity } from "../../readers/ims/model.js";
import type { FormBody } from "../../readers/moodle/quiz/index.js";
import { submitAttempt } from "../../readers/moodle/quiz/index.js";
import type { AnswerStore } from "../attempts.js";
import { type CourseAccess, courseActivity } from "../courses.js";
import { hotspotError } from "../errors.js";
import { currentFrame } from "../frame.js";
import { quizForm, quizReview, quizStart } from "../pages/answers.js";
import { packageActivityBody, packageFrame } from "../pages/cartridge.js";
import { activityUrl } from "../pages/moodle.js";
import { submitAndKeep } from "../quiz-submit.js";
import { html } from "../respond.js";
import type { ServedCourse } from "../types.js";

const IMS_FORMATS = new Set(["imscc", "imscp"]);
const form = koaBody({ urlencoded: true, json: false, text: false, multipart: false, formLimit: "256kb" });
/** Question texts arrive with their files already rewritten to this server's URLs. */
const noPluginfiles = () => "#";

type Found = { course: ServedCourse; a: ImsActivity };

export function cartridgeRouter(courses: CourseAccess, answers: AnswerStore | undefined): Router {
  const router = new Router();

  /** The activity, or null when the course is not an IMS package (another router answers). */
  const activityOf = async (ctx: Context): Promise<Found | null> => {
    const course = await courses.get(ctx.params.id!);
    const read = await courses.read(course);
    if (!read || !IMS_FORMATS.has(read.format)) return null;
    return { course, a: (await courseActivity(read, ctx.params.aid!)) as ImsActivity };
  };

  const store = (): AnswerStore => {
    if (!answers) throw hotspotError(503, "error.noAnswerStore");
    return answers;
  };

  const quizOf = async (ctx: Context) => {
    const found = await activityOf(ctx);
    if (found && found.a.type !== "quiz") throw hotspotError(404, "error.notAQuiz");
    return found as (Found & { a: Extract<ImsActivity, { type: "quiz" }> }) | null;
  };

  const attemptOf = async (ctx: Context) => {
    const found = await quizOf(ctx);
    if (!found) return null;
    const record = await store().attempt(ctx.params.attempt!);
    if (!record || record.courseId !== found.course.id || record.activityId !== found.a.id)
      throw hotspotError(404, "error.noSuchAttempt");
    return { ...found, record, attempt: found.a.attempt(record.seed) };
  };

  router.get("/c/:id/a/:aid", async (ctx: Context, next: Next) => {
    const found = await activityOf(ctx);
    if (!found) return next();
    const { course, a } = found;
    const body =
      a.type === "quiz" ? quizStart(`${activityUrl(course.id, a.id)}/attempt`) : packageActivityBody(a);
    html(ctx, packageFrame(course.id, course.title, a, body));
  });

  router.post("/c/:id/a/:aid/attempt", async (ctx: Context, next: Next) => {
    const found = await quizOf(ctx);
    if (!found) return next();
    const { course, a } = found;
    const place = { courseId: course.id, contentHash: course.contentHash, activityId: a.id };
    const record = await store().startAttempt(place, currentFrame().learner);
    ctx.status = 303;
    ctx.redirect(`${activityUrl(course.id, a.id)}/attempt/${record.id}`);
  });

  router.get("/c/:id/a/:aid/attempt/:attempt", async (ctx: Context, next: Next) => {
    const found = await attemptOf(ctx);
    if (!found) return next();
    const { course, a, record, attempt } = found;
    const body = record.answers
      ? quizReview(attempt, record.answers, submitAttempt(attempt, record.answers), noPluginfiles)
      : quizForm(attempt, ctx.path, noPluginfiles);
    html(ctx, packageFrame(course.id, course.title, a, body));
  });

  router.post("/c/:id/a/:aid/attempt/:attempt", async (ctx: Context, next: Next) => {
    const found = await attemptOf(ctx);
    if (!found) return next();
    // Parsed only once the course is known to be a package: another router may need the body.
    await form(ctx, async () => {});
    await submitAndKeep(store(), found.record, found.attempt, (ctx.request.body ?? {}) as FormBody);
    ctx.status = 303;
    ctx.redirect(ctx.path);
  });

  return router;
}

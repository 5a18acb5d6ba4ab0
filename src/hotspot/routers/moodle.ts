// A Moodle course's activities and the files they use (files/<xx>/<contenthash> in the tree,
// served under their real names and types).
import Router from "@koa/router";
import type { Context } from "koa";
import { MoodleBackupError, moodleFilePath, readActivity } from "../../agent/moodle.js";
import { HttpError } from "../../http/errors.js";
import { realPathInside } from "../../util/real-path.js";
import type { CourseAccess } from "../courses.js";
import { seg } from "../pages/layout.js";
import { activityPage, fileUrl } from "../pages/moodle.js";
import { disposition, html, sendCourseFile, shownInline } from "../respond.js";

const MIME = /^[\w.+-]+\/[\w.+-]+$/;

export function moodleRouter(courses: CourseAccess): Router {
  const router = new Router();

  const activityOf = async (ctx: Context) => {
    const course = await courses.get(ctx.params.id!);
    const moodle = await courses.moodle(course);
    if (!moodle) throw new HttpError(404, "This course has no activities.");
    const activity = moodle.sections.flatMap((s) => s.activities).find((a) => a.moduleId === ctx.params.mid);
    if (!activity) throw new HttpError(404, "No such activity.");
    try {
      return { course, content: await readActivity(course.treePath, moodle, activity) };
    } catch (err) {
      if (err instanceof MoodleBackupError)
        throw new HttpError(422, `This activity cannot be shown (${err.message}).`);
      throw err;
    }
  };

  router.get("/c/:id/m/:mid", async (ctx) => {
    const { course, content } = await activityOf(ctx);
    // Moodle writes links to the activity's own files as @@PLUGINFILE@@/name.
    const base = `/c/${seg(course.id)}/m/${seg(content.activity.moduleId)}/pluginfile/`;
    const fix = (h: string) => h.split("@@PLUGINFILE@@/").join(base);
    html(
      ctx,
      activityPage(course.id, course.title, content, fix(content.contentHtml), fix(content.introHtml)),
    );
  });

  router.get("/c/:id/m/:mid/pluginfile/:name", async (ctx) => {
    const { course, content } = await activityOf(ctx);
    const file = content.files.find((f) => f.filename === ctx.params.name);
    if (!file) throw new HttpError(404, "No such file.");
    ctx.redirect(fileUrl(course.id, file));
  });

  router.get("/c/:id/f/:fid/:name", async (ctx) => {
    const course = await courses.get(ctx.params.id!);
    const file = (await courses.moodle(course))?.files.get(ctx.params.fid!);
    if (!file) throw new HttpError(404, "No such file.");
    const type = MIME.test(file.mimetype) ? file.mimetype : "application/octet-stream";
    // Its bytes must really be inside the course tree, whatever links lead there.
    const real = await realPathInside(course.treePath, moodleFilePath(file));
    if (!real) throw new HttpError(404, "No such file.");
    await sendCourseFile(
      ctx,
      real,
      { "Content-Type": type, "Content-Disposition": disposition(shownInline(ctx, type), file.filename) },
      3600,
    );
  });

  return router;
}

// The course list, a course's front door (its reader's course page or the file browser), the whole
// archive as a download, and the answers to phones' connectivity checks.
import Router from "@koa/router";
import { readerFor } from "../../readers/index.js";
import { type CourseAccess, downloadExtension } from "../courses.js";
import { type CourseCard, homePage, stateLine } from "../pages/courses.js";
import { seg } from "../pages/layout.js";
import { coursePage } from "../pages/moodle.js";
import { disposition, html, sendCourseFile } from "../respond.js";
import type { AgentControl, CourseSource } from "../types.js";

/** Connectivity-check URLs of Android, iOS/macOS, Windows and Firefox. */
const CAPTIVE_PROBES = [
  "/generate_204",
  "/gen_204",
  "/hotspot-detect.html",
  "/library/test/success.html",
  "/connecttest.txt",
  "/ncsi.txt",
  "/canonical.html",
  "/success.txt",
];

const ARCHIVE_TYPES = { zip: "application/zip", tar: "application/x-tar", "tar.gz": "application/gzip" };

export function coursesRouter(source: CourseSource, courses: CourseAccess, control: AgentControl): Router {
  const router = new Router();

  router.get("/", async (ctx) => {
    const cards: CourseCard[] = [];
    for (const c of await source.list()) {
      const kind = (await readerFor(c.treePath)) ? "moodle" : "archive";
      cards.push({
        id: c.id,
        title: c.title,
        size: c.size,
        publishedAt: c.publishedAt,
        format: c.format,
        kind,
      });
    }
    html(ctx, homePage(cards, stateLine(await control.status())));
  });

  router.get("/c/:id", async (ctx) => {
    const course = await courses.get(ctx.params.id!);
    const read = await courses.read(course);
    if (!read) {
      ctx.redirect(`/c/${seg(course.id)}/browse/`);
      return;
    }
    html(ctx, coursePage(course.id, course.title, read, downloadExtension(read.format, course.format)));
  });

  router.get("/c/:id/download", async (ctx) => {
    const course = await courses.get(ctx.params.id!);
    const ext = downloadExtension((await readerFor(course.treePath))?.format, course.format);
    const date = course.publishedAt.slice(0, 10);
    await sendCourseFile(ctx, await courses.archive(course), {
      "Content-Type": ARCHIVE_TYPES[course.format],
      "Content-Disposition": disposition("attachment", `${course.id}-${date}.${ext}`),
    });
  });

  // Phones probe these on joining a Wi-Fi network. When the hotspot's DNS answers every
  // name with the Pi, a redirect here makes Android, iOS and Windows pop up the course list
  // ("sign in to network") instead of just saying "no internet".
  router.get(CAPTIVE_PROBES, (ctx) => {
    ctx.set("Cache-Control", "no-store");
    ctx.redirect("/");
  });

  return router;
}

// What the hotspot's routers share to record a learner's result as xAPI statements: the
// place a statement names, the durable keep before the page says "saved", and the page that
// says clearly that nothing was saved when the Pi's store is at a cap.
import type { Context } from "koa";
import type { RecordPlace, Statement } from "../records/index.js";
import { RecordsFullError } from "../records/index.js";
import { currentFrame, type Learner } from "./frame.js";
import { esc, layout } from "./pages/layout.js";
import { html } from "./respond.js";
import type { LearnerRecords, ServedCourse } from "./types.js";

/** 507 Insufficient Storage: the answer was not kept; the learner is told why, in their language. */
export function notSavedPage(ctx: Context, err: RecordsFullError): void {
  const { t } = currentFrame().t;
  const message = t(err.cap === "total" ? "records.notSavedFull" : "records.notSavedToday");
  html(
    ctx,
    layout(
      t("records.notSavedTitle"),
      `<section class="card"><p class="err" role="alert">${esc(message)}</p></section>`,
    ),
    507,
  );
}

export interface Recorder {
  place(course: ServedCourse, activity: { id: string; name?: string }): RecordPlace;
  /**
   * Keep the statements (durably) before the caller answers; false when a cap refused them,
   * after answering with the not-saved page. With no records store, nothing is kept: true.
   */
  keep(ctx: Context, learner: Learner | null, statements: Statement[]): Promise<boolean>;
}

export function recorder(records: LearnerRecords | undefined): Recorder {
  return {
    place: (course, activity) => ({
      ...(records?.origin() ?? { masterUrl: "", deviceId: "" }),
      courseId: course.id,
      contentHash: course.contentHash,
      activityId: activity.id,
      ...(activity.name ? { activityName: activity.name } : {}),
    }),
    async keep(ctx, learner, statements) {
      if (!records) return true;
      try {
        await records.keep(learner, statements);
        return true;
      } catch (err) {
        if (!(err instanceof RecordsFullError)) throw err;
        notSavedPage(ctx, err);
        return false;
      }
    },
  };
}

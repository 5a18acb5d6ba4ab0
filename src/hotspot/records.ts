// What the hotspot's routers share to record a learner's result as xAPI statements: the
// place a statement names, the durable keep before the page says "saved", and the page that
// says clearly that nothing was saved when the Pi's store is at a cap.
import type { Context } from "koa";
import type { RecordPlace, Statement } from "../records/index.js";
import { InvalidStatementError, RecordsFullError } from "../records/index.js";
import { currentFrame, type Learner } from "./frame.js";
import { esc, layout } from "./pages/layout.js";
import { html } from "./respond.js";
import { scriptError } from "./sandbox.js";
import type { LearnerRecords, ServedCourse } from "./types.js";

const notSavedKey = (err: RecordsFullError) =>
  err.cap === "total" ? ("records.notSavedFull" as const) : ("records.notSavedToday" as const);

/** 507 Insufficient Storage: the answer was not kept; the learner is told why, in their language. */
export function notSavedPage(ctx: Context, err: RecordsFullError): void {
  const { t } = currentFrame().t;
  const message = t(notSavedKey(err));
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

/**
 * For a player's launch API (read by a script, not a learner): run the keep. A cap refusing it
 * is the same 507 the pages give, as JSON with why (false: answered, nothing kept); a
 * statement that is not xAPI is a 400 naming each field.
 */
export async function keepForPlayer(ctx: Context, keep: () => Promise<unknown>): Promise<boolean> {
  try {
    await keep();
    return true;
  } catch (err) {
    if (err instanceof InvalidStatementError) throw scriptError(400, err.message);
    if (!(err instanceof RecordsFullError)) throw err;
    const code = notSavedKey(err);
    ctx.status = 507;
    ctx.body = { error: `not saved: ${err.message}`, code, message: currentFrame().t.t(code) };
    return false;
  }
}

// Who is learning on this phone: a name and an optional class code, given once, kept in an
// HttpOnly cookie and attached to every answer the phone sends.
import Router from "@koa/router";
import { koaBody } from "koa-body";
import { cleanName, currentFrame, writeLearner } from "../frame.js";
import { esc, layout } from "../pages/layout.js";
import { html } from "../respond.js";

function learnerPage(error: string): string {
  const f = currentFrame();
  const t = f.t.t;
  const err = error ? `<p class="err" role="alert">${esc(error)}</p>` : "";
  return layout(
    t("learner.yourName"),
    `<section class="card">${err}<form method="post" action="/me"><label>${esc(t("learner.yourName"))}<input type="text" name="name" maxlength="60" required value="${esc(f.learner?.name ?? "")}"></label><label>${esc(t("learner.classCode"))}<input type="text" name="classCode" maxlength="20" value="${esc(f.learner?.classCode ?? "")}"></label><button type="submit">${esc(t("admin.save"))}</button></form></section>`,
    { back: "/" },
  );
}

export function learnerRouter(): Router {
  const router = new Router();
  router.get("/me", (ctx) => html(ctx, learnerPage("")));
  router.post("/me", koaBody({ urlencoded: true, json: false, text: false, formLimit: "8kb" }), (ctx) => {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const name = cleanName(body.name, 60);
    if (!name) {
      html(ctx, learnerPage(currentFrame().t.t("learner.nameLength")), 400);
      return;
    }
    writeLearner(ctx, name, cleanName(body.classCode, 20), currentFrame().learner);
    ctx.status = 303;
    ctx.redirect("/");
  });
  return router;
}

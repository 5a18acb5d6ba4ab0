// The results pages a teacher opens in a browser: /results (the courses), /results/<course>
// (learners × activities, then each question's answers). Plain server-rendered HTML, no
// script. Reading them takes the records token once, typed into a login form; the login is
// kept in a cookie (see access.ts), never in the URL, where it would end up in logs and history.
import Router from "@koa/router";
import type { Context } from "koa";
import { readForm } from "../../http/form.js";
import { COURSE_ID } from "../../sync/course.js";
import { tokenMatches } from "../auth.js";
import { CLOSED_MESSAGE, LOGIN_HOURS, loginCookie, RECORDS_COOKIE, recordsAccess } from "./access.js";
import { type Cell, type CourseResults, courseResults, type QuestionStats } from "./results.js";
import type { RecordStore } from "./store.js";

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE = `body{font:15px/1.4 system-ui,sans-serif;margin:1rem 2rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.n{text-align:right}.none{color:#999}.pass{color:#060}.fail{color:#a00}
header{display:flex;gap:1rem;align-items:baseline;flex-wrap:wrap}form.inline{display:inline}`;

function page(ctx: Context, status: number, title: string, body: string): void {
  ctx.status = status;
  ctx.type = "text/html; charset=utf-8";
  ctx.set("Cache-Control", "no-store");
  ctx.set(
    "Content-Security-Policy",
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  );
  ctx.set("X-Content-Type-Options", "nosniff");
  ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

/** Only a results page may follow a login: no redirect to anywhere else. */
const safeNext = (next: unknown) =>
  typeof next === "string" && /^\/results(\/[A-Za-z0-9._-]*)?$/.test(next) ? next : "/results";

function loginPage(ctx: Context, status: number, next: string, problem?: string): void {
  page(
    ctx,
    status,
    "Records: log in",
    `<h1>Learner results</h1>${problem ? `<p class="fail" role="alert">${esc(problem)}</p>` : ""}
<form method="post" action="/results/login"><input type="hidden" name="next" value="${esc(next)}">
<label>Records token <input type="password" name="token" autocomplete="current-password" required></label>
<button>Log in</button></form>`,
  );
}

/** Render the page only for the holder of the records token; else the login form or why not. */
function guarded(token: string | undefined, render: (ctx: Context) => Promise<void>) {
  return async (ctx: Context) => {
    const access = recordsAccess(ctx, token);
    if (access === "granted") return render(ctx);
    if (access === "closed")
      return page(ctx, 403, "Records closed", `<h1>Records closed</h1><p>${esc(CLOSED_MESSAGE)}</p>`);
    loginPage(ctx, 401, safeNext(ctx.path), access === "wrong" ? "wrong token" : undefined);
  };
}

const pct = (n: number) => `${Math.round(n * 10) / 10} %`;

function cellHtml(cell: Cell | undefined): string {
  if (!cell) return `<td class="none">–</td>`;
  const parts: string[] = [];
  if (cell.best !== undefined) parts.push(pct(cell.best));
  if (cell.completed) parts.push("completed");
  if (cell.success === true) parts.push(`<span class="pass">passed</span>`);
  if (cell.success === false) parts.push(`<span class="fail">not passed</span>`);
  if (parts.length === 0 && cell.answers > 0)
    parts.push(`${cell.answers} ${cell.answers === 1 ? "answer" : "answers"}`);
  if (parts.length === 0) parts.push("seen");
  return `<td>${parts.join(", ")}</td>`;
}

function gridHtml(r: CourseResults): string {
  if (r.learners.length === 0) return "<p>No learner results yet.</p>";
  const activities = [...r.activities];
  const head = `<tr><th>Class</th><th>Learner</th>${activities.map(([, name]) => `<th>${esc(name)}</th>`).join("")}</tr>`;
  const rows = r.learners.map(
    (l) =>
      `<tr><td>${esc(l.classCode)}</td><td>${esc(l.name)}</td>${activities.map(([id]) => cellHtml(l.cells.get(id))).join("")}</tr>`,
  );
  return `<table class="grid"><thead>${head}</thead><tbody>${rows.join("")}</tbody></table>`;
}

function responsesHtml(q: QuestionStats): string {
  return [...q.responses]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, 8)
    .map(([response, n]) => `${response === "" ? "<i>(none)</i>" : esc(response)} ×${n}`)
    .join(", ");
}

function questionsHtml(r: CourseResults): string {
  if (r.questions.length === 0) return "<p>No quiz answers yet.</p>";
  const rows = r.questions.map((q) => {
    const correct = q.judged > 0 ? `${pct((q.correct / q.judged) * 100)} (${q.correct} of ${q.judged})` : "–";
    return `<tr><td>${esc(r.activities.get(q.quiz) ?? q.quiz)}</td><td>${esc(q.name)}</td><td class="n">${q.answers}</td><td class="n">${correct}</td><td>${responsesHtml(q)}</td></tr>`;
  });
  return `<table class="questions"><thead><tr><th>Quiz</th><th>Question</th><th>Answers</th><th>Correct</th><th>Responses</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

const logout = `<form class="inline" method="post" action="/results/logout"><button>Log out</button></form>`;

export interface ResultsPagesOptions {
  records: RecordStore;
  recordsToken?: string;
  /** Published courses, id and title, for the list and the page headings. */
  courses: () => Promise<Array<{ id: string; title: string }>>;
}

export function createResultsRouter(o: ResultsPagesOptions): Router {
  const router = new Router({ prefix: "/results" });
  const token = o.recordsToken;

  router.get(
    "/",
    guarded(token, async (ctx) => {
      const items = (await o.courses()).map(
        (c) =>
          `<li><a href="/results/${encodeURIComponent(c.id)}">${esc(c.title || c.id)}</a> (${esc(c.id)})</li>`,
      );
      page(
        ctx,
        200,
        "Learner results",
        `<header><h1>Learner results</h1>${logout}</header><ul>${items.join("")}</ul>`,
      );
    }),
  );

  router.get(
    "/:course",
    guarded(token, async (ctx) => {
      const id = ctx.params.course!;
      if (!COURSE_ID.test(id)) return page(ctx, 400, "Bad course id", "<h1>Not a course id</h1>");
      const title = (await o.courses()).find((c) => c.id === id)?.title || id;
      const r = await courseResults(id, o.records.records({ course: id }));
      const csv = `/v1/records?course=${encodeURIComponent(id)}&amp;format=csv`;
      page(
        ctx,
        200,
        `Results: ${title}`,
        `<header><h1>${esc(title)}</h1><a href="/results">All courses</a><a href="${csv}">Download CSV</a>${logout}</header>
<p>${r.statements} statements from ${r.learners.length} learners.</p>
<h2>Learners and activities</h2>${gridHtml(r)}<h2>Questions</h2>${questionsHtml(r)}`,
      );
    }),
  );

  router.post("/login", async (ctx) => {
    const form = await readForm(ctx);
    const next = safeNext(form.get("next"));
    if (!token)
      return page(ctx, 403, "Records closed", `<h1>Records closed</h1><p>${esc(CLOSED_MESSAGE)}</p>`);
    if (!tokenMatches(form.get("token") ?? "", token)) return loginPage(ctx, 403, next, "wrong token");
    ctx.cookies.set(RECORDS_COOKIE, loginCookie(token), {
      httpOnly: true,
      sameSite: "strict",
      secure: ctx.secure,
      path: "/",
      maxAge: LOGIN_HOURS * 3_600_000,
      overwrite: true,
    });
    ctx.status = 303;
    ctx.redirect(next);
  });

  router.post("/logout", (ctx) => {
    ctx.cookies.set(RECORDS_COOKIE, "", { httpOnly: true, sameSite: "strict", path: "/", maxAge: 0 });
    ctx.status = 303;
    ctx.redirect("/results");
  });

  return router;
}

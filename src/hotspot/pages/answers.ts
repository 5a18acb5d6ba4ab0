// The activities a learner answers: a quiz (start, the form, the graded review), a choice and a
// questionnaire. Question HTML comes from the quiz engine's renderer; everything else is escaped.
import type { AnswerMessages } from "../../readers/moodle/activities/answer-messages.js";
import type { ChoiceForm } from "../../readers/moodle/activities/choice.js";
import type { FeedbackForm, FeedbackItem } from "../../readers/moodle/activities/feedback.js";
import type {
  Attempt,
  AttemptResult,
  FormBody,
  PluginfileResolver,
  QuizStrings,
} from "../../readers/moodle/quiz/index.js";
import { renderQuestion } from "../../readers/moodle/quiz/index.js";
import { currentFrame } from "../frame.js";
import { esc } from "./layout.js";

const t = (
  key: Parameters<ReturnType<typeof currentFrame>["t"]["t"]>[0],
  params?: Record<string, string | number>,
) => currentFrame().t.t(key, params);

const card = (inner: string) => `<section class="card">${inner}</section>`;

/** The engine's words that the catalogs have in every language. */
/** The quiz engine's words in the page's language; {max}, {mark} and {n} stay for the engine to fill. */
function quizStrings(): Partial<QuizStrings> {
  const keep = { max: "{max}", mark: "{mark}", n: "{n}" };
  return {
    question: t("quiz.questionLabel"),
    information: t("quiz.information"),
    markedOutOf: t("quiz.markedOutOf", keep),
    mark: t("quiz.mark", keep),
    answer: t("quiz.answer"),
    choose: t("quiz.choose"),
    gap: t("quiz.gap", keep),
    true: t("quiz.true"),
    false: t("quiz.false"),
    laterGrading: t("quiz.laterGrading"),
    unavailable: t("quiz.unavailable"),
    correct: t("quiz.state.correct"),
    partial: t("quiz.state.partial"),
    incorrect: t("quiz.state.incorrect"),
    notanswered: t("quiz.state.notAnswered"),
    needsgrading: t("quiz.state.needsGrading"),
  };
}

/** Why an answer to a choice or a questionnaire is refused, in the page's language. */
export function answerMessages(): AnswerMessages {
  return {
    required: t("form.required"),
    maxLength: (max) => t("form.maxLength", { max }),
    enterNumber: t("form.enterNumber"),
    // Bounds as the course wrote them, not regrouped ("1000", not "1,000").
    numberRange: (min, max) =>
      min === null
        ? t("form.numberAtMost", { max: String(max) })
        : max === null
          ? t("form.numberAtLeast", { min: String(min) })
          : t("form.numberRange", { min: String(min), max: String(max) }),
    chooseAnOption: t("form.chooseAnOption"),
    chooseOnlyOne: t("form.chooseOnlyOne"),
    chooseListed: t("form.chooseListed"),
    noSuchOption: (option) => t("form.noSuchOption", { option }),
    noSuchQuestion: t("form.noSuchQuestion"),
  };
}

export function quizStart(action: string): string {
  return card(
    `<form method="post" action="${esc(action)}"><button type="submit">${esc(t("quiz.startAttempt"))}</button></form>`,
  );
}

export function quizForm(attempt: Attempt, action: string, resolveFile: PluginfileResolver): string {
  if (attempt.slots.length === 0) return card(`<p class="meta">${esc(t("activity.nothingOffline"))}</p>`);
  const questions = attempt.slots
    .map((s) =>
      renderQuestion(s, { resolveFile, decimals: attempt.quiz.decimalPoints, strings: quizStrings() }),
    )
    .join("");
  return card(
    `<form method="post" action="${esc(action)}">${questions}<button type="submit">${esc(t("quiz.finishAttempt"))}</button></form>`,
  );
}

export function quizReview(
  attempt: Attempt,
  body: FormBody,
  result: AttemptResult,
  resolveFile: PluginfileResolver,
): string {
  const d = attempt.quiz.decimalPoints;
  const total = `<p id="grade" class="state">${esc(t("quiz.gradeOutOf", { grade: result.grade.toFixed(d), max: result.maxGrade.toFixed(d) }))}</p>`;
  const pending = result.needsGrading ? `<p class="meta">${esc(t("quiz.savedForTeacher"))}</p>` : "";
  const review = attempt.slots
    .map((s, i) =>
      renderQuestion(s, {
        resolveFile,
        decimals: d,
        strings: quizStrings(),
        review: { body, result: result.questions[i]! },
      }),
    )
    .join("");
  return card(`<h2>${esc(t("quiz.review"))}</h2>${total}${pending}`) + card(review);
}

export function choicePage(
  form: ChoiceForm,
  action: string,
  saved: string[] | null,
  error: string | null,
): string {
  const type = form.allowMultiple ? "checkbox" : "radio";
  const options = form.options
    .map(
      (o) =>
        `<label class="opt"><input type="${type}" name="answer" value="${esc(o.id)}"${saved?.includes(o.id) ? " checked" : ""}>${esc(o.text)}</label>`,
    )
    .join("");
  const note = saved ? `<p class="ok" role="status">${esc(t("common.saved"))}</p>` : "";
  const err = error ? `<p class="err" role="alert">${esc(error)}</p>` : "";
  return card(
    `${note}${err}<form method="post" action="${esc(action)}">${options}<button type="submit">${esc(t("learn.submit"))}</button></form>`,
  );
}

function feedbackItem(it: FeedbackItem, error: string | undefined): string {
  const name = esc(it.id);
  const req = it.required ? " *" : "";
  const err = error ? `<p class="err" role="alert">${esc(error)}</p>` : "";
  const title = `<p><strong>${esc(it.name)}${req}</strong></p>`;
  switch (it.kind) {
    case "label":
      return `<div class="content">${it.html}</div>`;
    case "textfield":
      return `<label>${esc(it.name)}${req}<input type="text" name="${name}" maxlength="${it.maxLength}"></label>${err}`;
    case "textarea":
      return `<label>${esc(it.name)}${req}<textarea name="${name}" rows="${Math.min(it.rows, 8)}"></textarea></label>${err}`;
    case "numeric":
      return `<label>${esc(it.name)}${req}<input type="text" inputmode="decimal" name="${name}"></label>${err}`;
    case "multichoice":
      if (it.mode === "dropdown")
        return `<label>${esc(it.name)}${req}<select name="${name}"><option value=""></option>${it.options.map((o) => `<option value="${esc(o.value)}">${esc(o.label)}</option>`).join("")}</select></label>${err}`;
      return `<fieldset>${title}${it.options.map((o) => `<label class="opt"><input type="${it.mode}" name="${name}" value="${esc(o.value)}">${esc(o.label)}</label>`).join("")}</fieldset>${err}`;
    default:
      return "";
  }
}

export function feedbackPage(
  form: FeedbackForm,
  action: string,
  errors: Record<string, string> | null,
): string {
  const items = form.items.map((it) => feedbackItem(it, errors?.[it.id])).join("");
  return card(
    `<form method="post" action="${esc(action)}">${items}<button type="submit">${esc(t("learn.submit"))}</button></form>`,
  );
}

export function feedbackDone(form: FeedbackForm): string {
  return card(
    `<p class="ok" role="status">${esc(t("common.saved"))}</p>${form.afterSubmitHtml ? `<div class="content">${form.afterSubmitHtml}</div>` : ""}`,
  );
}

// HTML form fragments for one question of an attempt: no scripts, every input labelled,
// field names "q<slot>:<field>", answers in the attempt's shuffled order. With `review`
// (after submit, deferred feedback) the same form is shown disabled with the learner's
// answers, the state, the mark and the feedback.
import type { AttemptSlot } from "./attempt.js";
import type { Fields, QuestionState } from "./grade.js";
import type {
  ClozePart,
  FileArea,
  GapQuestion,
  MatchQuestion,
  MultianswerQuestion,
  MultichoiceQuestion,
  Question,
  RichText,
  UngradableQuestion,
} from "./model.js";
import { type FormBody, type QuestionResult, slotFields } from "./submit.js";
import { escapeHtml, plainText } from "./text.js";

/** Turns `@@PLUGINFILE@@/path` of a text into a URL the hotspot serves. `path` is as written (URL-encoded). */
export type PluginfileResolver = (file: FileArea & { path: string }) => string;

export const defaultStrings = {
  question: "Question",
  information: "Information",
  markedOutOf: "Marked out of {max}",
  mark: "Mark {mark} out of {max}",
  answer: "Answer",
  choose: "Choose…",
  gap: "Gap {n}",
  true: "True",
  false: "False",
  laterGrading: "Your answer is kept and will be graded later.",
  unavailable: "This question cannot be shown offline",
  correct: "Correct",
  partial: "Partially correct",
  incorrect: "Incorrect",
  notanswered: "Not answered",
  needsgrading: "Needs grading",
  info: "",
} satisfies Record<string, string> & Record<Exclude<QuestionState, "unavailable">, string>;

export type QuizStrings = typeof defaultStrings;

export interface RenderOptions {
  resolveFile: PluginfileResolver;
  /** Set after submitting: shows the learner's answers disabled, with the grading. */
  review?: { body: FormBody; result: QuestionResult };
  strings?: Partial<QuizStrings>;
  /** Decimals for marks (the quiz's decimalpoints). */
  decimals?: number;
}

interface Ctx {
  name: (field: string) => string;
  id: (field: string) => string;
  value: Fields;
  disabled: string;
  s: QuizStrings;
  rich: (text: RichText) => string;
}

const fill = (template: string, values: Record<string, string | number>) =>
  template.replace(/\{(\w+)\}/g, (_, k: string) => String(values[k] ?? ""));

/** Resolve @@PLUGINFILE@@ links of one text. */
export function resolvePluginfiles(text: RichText, resolve: PluginfileResolver): string {
  return text.html.replace(/@@PLUGINFILE@@(\/[^"'\s<>)]*)/g, (_, path: string) =>
    escapeHtml(resolve({ ...text.area, path })),
  );
}

/** The form fragment of one slot. */
export function renderQuestion(slot: AttemptSlot, options: RenderOptions): string {
  const s = { ...defaultStrings, ...options.strings };
  const q = slot.question;
  if (q.type === "broken") {
    return `<div class="que broken" id="q${slot.slot}" role="alert"><p>${escapeHtml(s.unavailable)} (${escapeHtml(q.error.code)})</p></div>`;
  }
  const ctx: Ctx = {
    name: (field) => `q${slot.slot}:${field}`,
    id: (field) => `q${slot.slot}-${field}`,
    value: options.review ? slotFields(options.review.body, slot.slot) : () => "",
    disabled: options.review ? " disabled" : "",
    s,
    rich: (text) => resolvePluginfiles(text, options.resolveFile),
  };
  if (q.type === "description") {
    return `<div class="que description" id="q${slot.slot}"><div class="qtext">${ctx.rich(q.text)}</div></div>`;
  }
  const decimals = options.decimals ?? 2;
  const max = slot.maxMark.toFixed(decimals);
  const legend = `${escapeHtml(s.question)} ${slot.number ?? ""} <span class="marks">${escapeHtml(fill(s.markedOutOf, { max }))}</span>`;
  const review = options.review ? reviewBlock(options.review.result, ctx, max, decimals) : "";
  const state = options.review ? ` ${options.review.result.state}` : "";
  return `<fieldset class="que ${q.type}${state}" id="q${slot.slot}"><legend>${legend}</legend>${body(q, slot, ctx)}${review}</fieldset>`;
}

function body(q: Question, slot: AttemptSlot, ctx: Ctx): string {
  const text = () => `<div class="qtext">${ctx.rich(q.text)}</div>`;
  switch (q.type) {
    case "multichoice":
      return text() + choices(q, slot.orders.answers, ctx, "");
    case "truefalse":
      return (
        text() +
        `<div class="answer">${radio(ctx, "answer", "1", escapeHtml(ctx.s.true))}${radio(ctx, "answer", "0", escapeHtml(ctx.s.false))}</div>`
      );
    case "shortanswer":
    case "numerical":
      return text() + `<div class="answer">${textInput(ctx, "answer", escapeHtml(ctx.s.answer), 30)}</div>`;
    case "essay":
      return text() + essay(ctx, q.lines, q.template);
    case "match":
      return text() + matchRows(q, slot, ctx);
    case "gapselect":
    case "ddwtos":
      return `<div class="qtext">${gapText(q, slot, ctx)}</div>`;
    case "multianswer":
      return `<div class="qtext">${clozeText(q, slot, ctx)}</div>`;
    case "ungradable":
      return ungradable(q, ctx);
    case "description":
      return text();
  }
}

function radio(ctx: Ctx, field: string, value: string, labelHtml: string): string {
  const checked = ctx.value(field) === value ? " checked" : "";
  return `<label class="choice"><input type="radio" name="${ctx.name(field)}" value="${value}"${checked}${ctx.disabled}> <span>${labelHtml}</span></label>`;
}

function textInput(ctx: Ctx, field: string, labelHtml: string, size: number, hidden = false): string {
  const label = hidden ? `<span class="visually-hidden">${labelHtml}</span>` : `${labelHtml} `;
  return `<label class="text" for="${ctx.id(field)}">${label}</label><input type="text" id="${ctx.id(field)}" name="${ctx.name(field)}" size="${size}" value="${escapeHtml(ctx.value(field))}" autocomplete="off" spellcheck="false"${ctx.disabled}>`;
}

function essay(ctx: Ctx, lines: number, template: string): string {
  const value = ctx.value("answer") || template;
  return `<div class="answer"><label for="${ctx.id("answer")}">${escapeHtml(ctx.s.answer)}</label><textarea id="${ctx.id("answer")}" name="${ctx.name("answer")}" rows="${lines}"${ctx.disabled}>${escapeHtml(value)}</textarea></div>`;
}

function select(
  ctx: Ctx,
  field: string,
  labelHtml: string,
  options: { value: string; text: string }[],
): string {
  const current = ctx.value(field);
  const opts = options
    .map(
      (o) =>
        `<option value="${o.value}"${o.value === current ? " selected" : ""}>${escapeHtml(o.text)}</option>`,
    )
    .join("");
  return `<label class="select" for="${ctx.id(field)}">${labelHtml}</label><select id="${ctx.id(field)}" name="${ctx.name(field)}"${ctx.disabled}><option value="">${escapeHtml(ctx.s.choose)}</option>${opts}</select>`;
}

/** Radios or checkboxes (or a dropdown inside a cloze) in the attempt's order. */
function choices(q: MultichoiceQuestion, order: number[] | undefined, ctx: Ctx, prefix: string): string {
  const indexes = order ?? q.answers.map((_, i) => i);
  const items = indexes.map((i) => {
    const label = ctx.rich(q.answers[i]!.text);
    if (q.single) return radio(ctx, `${prefix}answer`, String(i), label);
    const field = `${prefix}choice${i}`;
    const checked = ctx.value(field) === "1" ? " checked" : "";
    return `<label class="choice"><input type="checkbox" name="${ctx.name(field)}" value="1"${checked}${ctx.disabled}> <span>${label}</span></label>`;
  });
  const tag = prefix ? "span" : "div";
  return `<${tag} class="answer${q.layout === 2 ? " horizontal" : ""}">${items.join("")}</${tag}>`;
}

function matchRows(q: MatchQuestion, slot: AttemptSlot, ctx: Ctx): string {
  const stems = slot.orders.stems ?? q.stems.map((_, i) => i);
  const choiceOrder = slot.orders.choices ?? q.choices.map((_, i) => i);
  const options = choiceOrder.map((i) => ({ value: String(i), text: q.choices[i]! }));
  const rows = stems.map(
    (i) => `<div class="row">${select(ctx, `sub${i}`, ctx.rich(q.stems[i]!.text), options)}</div>`,
  );
  return `<div class="answer">${rows.join("")}</div>`;
}

function gapText(q: GapQuestion, slot: AttemptSlot, ctx: Ctx): string {
  let place = 0;
  return ctx.rich(q.text).replace(/\[\[(\d+)\]\]/g, () => {
    place++;
    const group = q.choices[q.places[place - 1]! - 1]!.group;
    const order = slot.orders[`group${group}`] ?? [];
    const options = order.map((i) => ({ value: String(i + 1), text: q.choices[i]!.text }));
    const label = `<span class="visually-hidden">${escapeHtml(fill(ctx.s.gap, { n: place }))}</span>`;
    return `<span class="gap">${select(ctx, `p${place}`, label, options)}</span>`;
  });
}

function clozePart(part: ClozePart, n: number, slot: AttemptSlot, ctx: Ctx): string {
  const prefix = `sub${n}_`;
  const label = escapeHtml(fill(ctx.s.gap, { n }));
  const order = slot.orders[`part${n}`] ?? [];
  if (part.type === "multichoice" && part.single && part.layout === 0) {
    const options = order.map((i) => ({ value: String(i), text: plainText(part.answers[i]!.text.html) }));
    return `<span class="gap">${select(ctx, `${prefix}answer`, `<span class="visually-hidden">${label}</span>`, options)}</span>`;
  }
  if (part.type === "multichoice") return choices(part, order, ctx, prefix);
  const widest = Math.max(...part.answers.map((a) => plainText(a.text.html).length), 4);
  return `<span class="gap">${textInput(ctx, `${prefix}answer`, label, Math.min(widest + 2, 30), true)}</span>`;
}

function clozeText(q: MultianswerQuestion, slot: AttemptSlot, ctx: Ctx): string {
  return ctx.rich(q.text).replace(/\{#(\d+)\}/g, (whole, digits: string) => {
    const n = Number(digits);
    const part = q.parts[n - 1];
    return part ? clozePart(part, n, slot, ctx) : n > q.parts.length ? whole : "";
  });
}

function ungradable(q: UngradableQuestion, ctx: Ctx): string {
  const note = `<p class="later">${escapeHtml(ctx.s.laterGrading)}</p>`;
  let html = ctx.rich(q.text).replace(/\[\[(?:validation|feedback):[A-Za-z0-9_]*\]\]/g, "");
  if (q.inputs.length === 0) return `<div class="qtext">${html}</div>${essay(ctx, 5, "")}${note}`;
  html = html.replace(/\[\[input:([A-Za-z][A-Za-z0-9_]*)\]\]/g, (_, name: string) =>
    textInput(ctx, `in_${name}`, escapeHtml(name), 20, true),
  );
  return `<div class="qtext">${html}</div>${note}`;
}

function reviewBlock(result: QuestionResult, ctx: Ctx, max: string, decimals: number): string {
  const state = result.state === "info" || result.state === "unavailable" ? "" : ctx.s[result.state];
  const mark =
    result.mark === null
      ? ""
      : ` <span class="mark">${escapeHtml(fill(ctx.s.mark, { mark: result.mark.toFixed(decimals), max }))}</span>`;
  const texts = [...result.feedback, ...(result.outcome ? [result.outcome] : [])];
  const feedback = texts.map((t) => `<div class="feedback">${ctx.rich(t)}</div>`).join("");
  const general = result.generalFeedback
    ? `<div class="generalfeedback">${ctx.rich(result.generalFeedback)}</div>`
    : "";
  return `<div class="outcome ${result.state}"><p class="state">${escapeHtml(state)}${mark}</p>${feedback}${general}</div>`;
}

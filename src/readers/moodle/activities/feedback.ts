// mod_feedback (the questionnaire), answerable offline: its items as a form model, and the check
// of a submission with Moodle's rules (required items, numeric range, one or many choices, the
// length of text answers, items that depend on another item's answer).
import { type ActivityContext, rich } from "../context.js";
import { int, list, path, text } from "../xml.js";
import { type AnswerMessages, ENGLISH_ANSWER_MESSAGES } from "./answer-messages.js";
import type { Validation } from "./choice.js";

/** Moodle's separators in a multichoice item's presentation ("r>>>>>a|b|c<<<<<1"). */
const TYPE_SEP = ">>>>>";
const ADJUST_SEP = "<<<<<";
const RATED_SEP = "####";

interface ItemBase {
  id: string;
  /** The question as the learner reads it. */
  name: string;
  /** The teacher's short label (used in exports and dependencies). */
  label: string;
  required: boolean;
  /** Shown only when item `dependItemId` was answered with `dependValue`. */
  dependItemId: string | null;
  dependValue: string;
}

export type FeedbackItem =
  | (ItemBase & { kind: "label"; html: string })
  | (ItemBase & { kind: "info"; what: "responsetime" | "course" | "category" })
  | (ItemBase & { kind: "pagebreak" })
  | (ItemBase & { kind: "textfield"; size: number; maxLength: number })
  | (ItemBase & { kind: "textarea"; cols: number; rows: number })
  | (ItemBase & { kind: "numeric"; min: number | null; max: number | null })
  | (ItemBase & {
      kind: "multichoice";
      /** radio: one; checkbox: any number; dropdown: one from a list. */
      mode: "radio" | "checkbox" | "dropdown";
      options: { value: string; label: string }[];
      horizontal: boolean;
    });

export interface FeedbackForm {
  items: FeedbackItem[];
  anonymous: boolean;
  multipleSubmit: boolean;
  /** What is shown after sending. */
  afterSubmitHtml: string;
}

function numberOrNull(s: string | undefined): number | null {
  const t = (s ?? "").trim();
  return t === "" || t === "-" || !Number.isFinite(Number(t)) ? null : Number(t);
}

function multichoice(p: string): {
  mode: "radio" | "checkbox" | "dropdown";
  options: { value: string; label: string }[];
} {
  const [kind, rest = ""] = p.includes(TYPE_SEP) ? p.split(TYPE_SEP, 2) : ["r", p];
  const lines = rest.split(ADJUST_SEP)[0]!.split("|");
  return {
    mode: kind === "c" ? "checkbox" : kind === "d" ? "dropdown" : "radio",
    // Answers are sent as the option's 1-based position, as Moodle stores them.
    options: lines.map((line, i) => ({
      value: String(i + 1),
      label: line.includes(RATED_SEP) ? line.split(RATED_SEP, 2)[1]! : line,
    })),
  };
}

function item(ctx: ActivityContext, x: Record<string, unknown>): FeedbackItem | null {
  const depend = text(x.dependitem);
  const base: ItemBase = {
    id: text(x["@id"]),
    name: text(x.name),
    label: text(x.label),
    required: text(x.required) === "1",
    dependItemId: depend && depend !== "0" ? depend : null,
    dependValue: text(x.dependvalue),
  };
  const p = text(x.presentation);
  const [a, b] = p.split("|");
  switch (text(x.typ)) {
    case "label":
      return { ...base, kind: "label", html: rich(ctx, p, "1", "item", base.id) };
    case "info":
      return { ...base, kind: "info", what: p === "2" ? "course" : p === "3" ? "category" : "responsetime" };
    case "pagebreak":
      return { ...base, kind: "pagebreak" };
    case "textfield":
      return { ...base, kind: "textfield", size: int(a, 30), maxLength: int(b, 255) };
    case "textarea":
      return { ...base, kind: "textarea", cols: int(a, 40), rows: int(b, 5) };
    case "numeric":
      return { ...base, kind: "numeric", min: numberOrNull(a), max: numberOrNull(b) };
    case "multichoice":
    case "multichoicerated":
      return { ...base, kind: "multichoice", ...multichoice(p), horizontal: text(x.options).includes("h") };
    default:
      // captcha and plugin item types cannot be answered offline.
      return null;
  }
}

export function feedbackForm(ctx: ActivityContext): FeedbackForm {
  const items = list(path(ctx.body, "items").item)
    .sort((a, b) => int(a.position) - int(b.position))
    .map((x) => item(ctx, x))
    .filter((x): x is FeedbackItem => x !== null);
  return {
    items,
    anonymous: text(ctx.body.anonymous) === "1",
    multipleSubmit: text(ctx.body.multiple_submit) === "1",
    afterSubmitHtml: rich(
      ctx,
      text(ctx.body.page_after_submit),
      text(ctx.body.page_after_submitformat),
      "page_after_submit",
    ),
  };
}

export type FeedbackAnswer = string | number | string[];

function answerList(v: unknown): string[] {
  return (Array.isArray(v) ? v : v === undefined || v === null || v === "" ? [] : [v]).map(String);
}

/** Is the item shown, given the answers so far (dependencies on another item's chosen label)? */
function shown(form: FeedbackForm, it: FeedbackItem, answers: Record<string, FeedbackAnswer>): boolean {
  if (!it.dependItemId) return true;
  const parent = form.items.find((p) => p.id === it.dependItemId);
  const given = answers[it.dependItemId];
  if (!parent || given === undefined) return false;
  if (parent.kind === "multichoice") {
    const labels = answerList(given).map((v) => parent.options.find((o) => o.value === v)?.label);
    return labels.includes(it.dependValue);
  }
  return String(given) === it.dependValue;
}

function checkItem(
  it: FeedbackItem,
  raw: unknown,
  say: AnswerMessages,
): { value?: FeedbackAnswer; error?: string } {
  const values = answerList(raw).map((v) => v.trim());
  const empty = values.length === 0 || values.every((v) => v === "");
  if (empty) return it.required ? { error: say.required } : {};
  if (it.kind === "textfield" || it.kind === "textarea") {
    const value = values.join("\n");
    if (it.kind === "textfield" && [...value].length > it.maxLength)
      return { error: say.maxLength(it.maxLength) };
    return { value };
  }
  if (it.kind === "numeric") {
    const n = Number(values[0]!.replace(",", "."));
    if (values.length > 1 || !Number.isFinite(n)) return { error: say.enterNumber };
    if ((it.min !== null && n < it.min) || (it.max !== null && n > it.max))
      return { error: say.numberRange(it.min, it.max) };
    return { value: n };
  }
  if (it.kind === "multichoice") {
    if (it.mode !== "checkbox" && values.length > 1) return { error: say.chooseOnlyOne };
    if (values.some((v) => !it.options.some((o) => o.value === v))) return { error: say.chooseListed };
    return { value: it.mode === "checkbox" ? [...new Set(values)] : values[0]! };
  }
  return {};
}

/** Check a submission: item id → answer (option values for choices). */
export function validateFeedback(
  form: FeedbackForm,
  submission: Record<string, unknown>,
  say: AnswerMessages = ENGLISH_ANSWER_MESSAGES,
): Validation<Record<string, FeedbackAnswer>> {
  const value: Record<string, FeedbackAnswer> = {};
  const errors: Record<string, string> = {};
  for (const it of form.items) {
    if (it.kind === "label" || it.kind === "info" || it.kind === "pagebreak") continue;
    if (!shown(form, it, value)) continue;
    const checked = checkItem(it, submission[it.id], say);
    if (checked.error) errors[it.id] = checked.error;
    else if (checked.value !== undefined) value[it.id] = checked.value;
  }
  for (const id of Object.keys(submission)) {
    if (!form.items.some((it) => it.id === id)) errors[id] = say.noSuchQuestion;
  }
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, value };
}

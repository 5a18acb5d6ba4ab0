// mod_choice, answerable offline: the form a page renders and the check of what a phone sent.
import type { ActivityContext } from "../context.js";
import { list, path, text } from "../xml.js";
import { type AnswerMessages, ENGLISH_ANSWER_MESSAGES } from "./answer-messages.js";

export interface ChoiceForm {
  options: { id: string; text: string }[];
  allowMultiple: boolean;
  /** May a learner change their answer after sending it? */
  allowUpdate: boolean;
}

export type Validation<T> = { ok: true; value: T } | { ok: false; errors: Record<string, string> };

export function choiceForm(ctx: ActivityContext): ChoiceForm {
  return {
    options: list(path(ctx.body, "options").option)
      .map((o) => ({ id: text(o["@id"]), text: text(o.text) }))
      .filter((o) => o.id !== "" && o.text !== ""),
    allowMultiple: text(ctx.body.allowmultiple) === "1",
    allowUpdate: text(ctx.body.allowupdate) === "1",
  };
}

/** Check a submitted answer (one option id, or several when the choice allows it). */
export function validateChoice(
  form: ChoiceForm,
  answer: unknown,
  say: AnswerMessages = ENGLISH_ANSWER_MESSAGES,
): Validation<string[]> {
  const picked = (Array.isArray(answer) ? answer : answer === undefined || answer === "" ? [] : [answer]).map(
    String,
  );
  if (picked.length === 0) return { ok: false, errors: { answer: say.chooseAnOption } };
  if (!form.allowMultiple && picked.length > 1) return { ok: false, errors: { answer: say.chooseOnlyOne } };
  const unknown = picked.find((id) => !form.options.some((o) => o.id === id));
  if (unknown !== undefined)
    return { ok: false, errors: { answer: say.noSuchOption(JSON.stringify(unknown)) } };
  return { ok: true, value: [...new Set(picked)] };
}

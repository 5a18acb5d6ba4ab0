// mod_quiz, only what the question engine needs from the activity: the slots and where the
// questions are. Three layouts: 2.0–2.6 (<questions> "id,id,0,…" with 0 as a page break), 2.7–3.x
// (slots with a question id) and 4.x+ (slots referring to a question bank entry).
import type { ActivityContext } from "../context.js";
import type { QuizSlot } from "../model.js";
import { int, list, path, text } from "../xml.js";

function legacySlots(ctx: ActivityContext, instances: Record<string, unknown>[]): QuizSlot[] {
  const marks = new Map(instances.map((i) => [text(i.question), Number(text(i.grade)) || 0]));
  const slots: QuizSlot[] = [];
  let page = 1;
  for (const id of text(ctx.body.questions).split(",")) {
    if (id === "0") {
      page++;
      continue;
    }
    if (!/^\d+$/.test(id)) continue;
    slots.push({
      slot: slots.length + 1,
      page,
      maxMark: marks.get(id) ?? 0,
      question: { kind: "question", questionId: id },
    });
  }
  return slots;
}

function slotQuestion(i: Record<string, unknown>): QuizSlot["question"] {
  const ref = path(i, "question_reference");
  const entry = text(ref.questionbankentryid);
  if (entry) {
    const version = text(ref.version);
    return { kind: "bank-entry", questionBankEntryId: entry, version: version ? Number(version) : null };
  }
  const set = path(i, "question_set_reference");
  if (Object.keys(set).length > 0) return { kind: "random", filter: text(set.filtercondition) };
  return { kind: "question", questionId: text(i.questionid) };
}

export function quizSlots(ctx: ActivityContext): QuizSlot[] {
  const instances = list(path(ctx.body, "question_instances").question_instance);
  if (text(ctx.body.questions) !== "") return legacySlots(ctx, instances);
  return instances
    .map((i) => ({
      slot: int(i.slot),
      page: int(i.page, 1),
      maxMark: Number(text(i.maxmark)) || 0,
      question: slotQuestion(i),
    }))
    .sort((a, b) => a.slot - b.slot);
}

// Grading one question with Moodle's rules, from the fields of a submitted form (without
// their "q<slot>:" prefix). The result is what deferred feedback shows after the attempt is
// submitted: state, fraction, the chosen answers' feedback, and a text summary of the response.
import type {
  Answer,
  ClozePart,
  CombinedFeedback,
  GapQuestion,
  MatchQuestion,
  MultianswerQuestion,
  MultichoiceQuestion,
  NumericalQuestion,
  Question,
  RichText,
  ShortAnswerQuestion,
} from "./model.js";
import { matchNumber, parseNumber, unitPenalised } from "./numbers.js";
import { plainText } from "./text.js";

export type QuestionState =
  | "correct"
  | "partial"
  | "incorrect"
  | "notanswered"
  | "needsgrading"
  | "info"
  | "unavailable";

/** A submitted form field by name ("answer", "choice2", "sub1_answer"); "" when absent. */
export type Fields = (name: string) => string;

export interface Graded {
  state: QuestionState;
  /** null when there is nothing to grade yet (not answered, needs a teacher, or info). */
  fraction: number | null;
  response: string;
  /** The chosen answers' feedback. */
  feedback: RichText[];
  /** Moodle's feedback for the outcome (correct / partially correct / incorrect), if the question has one. */
  outcome: RichText | null;
  /** Per gap (cloze sub-question or gap of gapselect/ddwtos), for marking them in the review. */
  parts: Graded[];
}

/** Moodle's question_state::graded_state_for_fraction. */
export function stateFor(fraction: number): "correct" | "partial" | "incorrect" {
  if (fraction < 0.0000001) return "incorrect";
  if (fraction > 0.9999999) return "correct";
  return "partial";
}

function graded(fraction: number, response: string, feedback: RichText[], parts: Graded[] = []): Graded {
  return { state: stateFor(fraction), fraction, response, feedback, outcome: null, parts };
}

const nothing = (state: QuestionState, response = ""): Graded => ({
  state,
  fraction: null,
  response,
  feedback: [],
  outcome: null,
  parts: [],
});

const feedbackOf = (answers: Answer[]): RichText[] =>
  answers.map((a) => a.feedback).filter((f) => f.html.trim());

function withOutcome(result: Graded, combined: CombinedFeedback): Graded {
  const outcome =
    result.state === "correct"
      ? combined.correct
      : result.state === "partial"
        ? combined.partial
        : result.state === "incorrect"
          ? combined.incorrect
          : null;
  return { ...result, outcome };
}

/** An index field ("0", "1", …) into a list of `length`; null when absent or out of range. */
function indexField(value: string, length: number, base = 0): number | null {
  if (!/^\d{1,6}$/.test(value)) return null;
  const n = Number(value) - base;
  return n >= 0 && n < length ? n : null;
}

/** Grade `question` from the submitted `fields`. */
export function gradeQuestion(question: Question, fields: Fields): Graded {
  switch (question.type) {
    case "multichoice":
      return withOutcome(gradeMultichoice(question, fields, ""), question.combined);
    case "truefalse": {
      const value = fields("answer");
      if (value !== "1" && value !== "0") return nothing("notanswered");
      const answer = value === "1" ? question.trueAnswer : question.falseAnswer;
      return graded(answer.fraction, plainText(answer.text.html), feedbackOf([answer]));
    }
    case "shortanswer":
      return gradeShortAnswer(question, fields("answer"));
    case "numerical":
      return gradeNumerical(question, fields("answer"));
    case "match":
      return withOutcome(gradeMatch(question, fields), question.combined);
    case "gapselect":
    case "ddwtos":
      return withOutcome(gradeGaps(question, fields), question.combined);
    case "multianswer":
      return gradeCloze(question, fields);
    case "essay": {
      const text = fields("answer");
      return nothing(text.trim() ? "needsgrading" : "notanswered", text);
    }
    case "ungradable": {
      const names = question.inputs.length > 0 ? question.inputs.map((n) => `in_${n}`) : ["answer"];
      const given = names
        .map((n) => [n.replace(/^in_/, ""), fields(n)] as const)
        .filter(([, v]) => v.trim() !== "");
      if (given.length === 0) return nothing("notanswered");
      const response =
        question.inputs.length > 0 ? given.map(([n, v]) => `${n}: ${v}`).join("; ") : given[0]![1];
      return nothing("needsgrading", response);
    }
    case "description":
      return nothing("info");
  }
}

/** `prefix` is "" for a question of its own, "sub<n>_" inside a cloze. */
function gradeMultichoice(question: MultichoiceQuestion, fields: Fields, prefix: string): Graded {
  const { answers } = question;
  if (question.single) {
    const i = indexField(fields(`${prefix}answer`), answers.length);
    if (i === null) return nothing("notanswered");
    const answer = answers[i]!;
    return graded(answer.fraction, plainText(answer.text.html), feedbackOf([answer]));
  }
  const chosen = answers.filter((_, i) => {
    const v = fields(`${prefix}choice${i}`);
    return v !== "" && v !== "0";
  });
  if (chosen.length === 0) return nothing("notanswered");
  // Sum of the chosen fractions, clamped to 0..1 (Moodle's multichoice_multi).
  const sum = chosen.reduce((s, a) => s + a.fraction, 0);
  const fraction = Math.min(Math.max(sum, 0), 1);
  return graded(fraction, chosen.map((a) => plainText(a.text.html)).join("; "), feedbackOf(chosen));
}

/** Moodle's compare_string_with_wildcard: `*` matches anything, `\*` a star; NFC; trimmed. */
export function wildcardMatches(response: string, pattern: string, caseSensitive: boolean): boolean {
  const bits = pattern.normalize("NFC").split(/(?<!\\)\*+/);
  const source = bits.map((b) => b.replace(/\\\*/g, "*").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*");
  return new RegExp(`^${source}$`, caseSensitive ? "u" : "iu").test(response.normalize("NFC").trim());
}

function gradeShortAnswer(question: ShortAnswerQuestion, value: string): Graded {
  const response = value.trim();
  if (response === "") return nothing("notanswered");
  const answer = question.answers.find((a) =>
    wildcardMatches(response, plainText(a.text.html), question.caseSensitive),
  );
  return answer ? graded(answer.fraction, response, feedbackOf([answer])) : graded(0, response, []);
}

function gradeNumerical(question: NumericalQuestion, value: string): Graded {
  const response = value.trim();
  if (response === "") return nothing("notanswered");
  const parsed = parseNumber(response, false);
  const matched = parsed ? matchNumber(question, parsed) : null;
  if (!matched) return graded(0, response, []);
  const fraction = unitPenalised(question, matched.answer.fraction, matched.unitIsRight);
  return graded(fraction, response, feedbackOf([matched.answer]));
}

function gradeMatch(question: MatchQuestion, fields: Fields): Graded {
  const chosen = question.stems.map((_, i) => indexField(fields(`sub${i}`), question.choices.length));
  if (chosen.every((c) => c === null)) return nothing("notanswered");
  const right = question.stems.filter((stem, i) => chosen[i] === stem.choice).length;
  const response = question.stems
    .map(
      (stem, i) =>
        `${plainText(stem.text.html)} -> ${chosen[i] === null ? "" : question.choices[chosen[i]!]}`,
    )
    .join("; ");
  return graded(right / question.stems.length, response, []);
}

function gradeGaps(question: GapQuestion, fields: Fields): Graded {
  const chosen = question.places.map((_, i) => indexField(fields(`p${i + 1}`), question.choices.length, 1));
  if (chosen.every((c) => c === null)) return nothing("notanswered");
  const parts = question.places.map((right, i) => {
    const c = chosen[i] ?? null;
    const text = c === null ? "" : question.choices[c]!.text;
    return c === null ? nothing("notanswered") : graded(c + 1 === right ? 1 : 0, text, []);
  });
  const right = parts.filter((p) => p.state === "correct").length;
  return graded(right / question.places.length, parts.map((p) => p.response).join("; "), [], parts);
}

function gradePart(part: ClozePart, fields: Fields, n: number): Graded {
  const prefix = `sub${n}_`;
  if (part.type === "multichoice") return gradeMultichoice(part, fields, prefix);
  if (part.type === "shortanswer") return gradeShortAnswer(part, fields(`${prefix}answer`));
  return gradeNumerical(part, fields(`${prefix}answer`));
}

/** Each sub-question graded on its own, weighted by its mark (Moodle's multianswer). */
function gradeCloze(question: MultianswerQuestion, fields: Fields): Graded {
  let sum = 0;
  let weight = 0;
  const parts = question.parts.map((part, i) => {
    if (!part) return nothing("unavailable");
    const result = gradePart(part, fields, i + 1);
    sum += part.defaultMark * (result.fraction ?? 0);
    weight += part.defaultMark;
    return result;
  });
  if (parts.every((p) => p.fraction === null)) return nothing("notanswered");
  const fraction = weight > 0 ? sum / weight : 0;
  return graded(
    fraction,
    parts.map((p, i) => `${i + 1}: ${p.response}`).join("; "),
    parts.flatMap((p) => p.feedback),
    parts,
  );
}

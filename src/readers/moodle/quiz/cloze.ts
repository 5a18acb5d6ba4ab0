// Moodle's cloze syntax, `{2:MULTICHOICE_V:=right#Yes~%50%half#Nearly~wrong}`, as a fallback
// when a backup's cloze sub-question record lacks its answer data: the record's question
// text still holds the code it was made from. Variants: SHORTANSWER (SA, MW), _C (case),
// NUMERICAL (NM, answers "value:tolerance"), MULTICHOICE (MC, dropdown), _V / _H (radios),
// MULTIRESPONSE (MR, checkboxes), _H, and _S (shuffled) of the choice types.
import { QuestionError } from "./errors.js";
import type { ClozePart, FileArea, NumericalAnswer } from "./model.js";
import { escapeHtml, plainRich } from "./text.js";

const CODE = /^\{(\d*):([A-Z_]+):(.*)\}$/s;

type Kind =
  | { type: "shortanswer"; caseSensitive: boolean }
  | { type: "numerical" }
  | {
      type: "multichoice";
      single: boolean;
      layout: number;
      shuffle: boolean;
    };

function kindOf(name: string): Kind | null {
  const short: Record<string, string> = {
    SA: "SHORTANSWER",
    MW: "SHORTANSWER",
    SAC: "SHORTANSWER_C",
    MWC: "SHORTANSWER_C",
    NM: "NUMERICAL",
    MC: "MULTICHOICE",
    MCV: "MULTICHOICE_V",
    MCH: "MULTICHOICE_H",
    MCS: "MULTICHOICE_S",
    MCVS: "MULTICHOICE_VS",
    MCHS: "MULTICHOICE_HS",
    MR: "MULTIRESPONSE",
    MRH: "MULTIRESPONSE_H",
    MRS: "MULTIRESPONSE_S",
    MRHS: "MULTIRESPONSE_HS",
  };
  const full = short[name] ?? name;
  if (full === "SHORTANSWER" || full === "SHORTANSWER_C")
    return { type: "shortanswer", caseSensitive: full.endsWith("_C") };
  if (full === "NUMERICAL") return { type: "numerical" };
  const m = /^(MULTICHOICE|MULTIRESPONSE)(?:_(V|H)?(S)?)?$/.exec(full);
  if (!m) return null;
  const single = m[1] === "MULTICHOICE";
  // Dropdown for MULTICHOICE, vertical for MULTIRESPONSE, unless _V or _H says otherwise.
  const layout = m[2] === "H" ? 2 : m[2] === "V" || !single ? 1 : 0;
  return { type: "multichoice", single, layout, shuffle: m[3] === "S" };
}

/** Split on a separator that is not escaped with a backslash. */
function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "\\" && i + 1 < text.length) {
      current += ch + text[i + 1];
      i++;
    } else if (ch === separator) {
      parts.push(current);
      current = "";
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

const unescapeCloze = (text: string) => text.replace(/\\([}~#\\/"])/g, "$1").trim();

function clozeAnswers(
  list: string,
  kind: Kind,
  id: string,
  area: (filearea: string) => FileArea,
): NumericalAnswer[] {
  return splitUnescaped(list, "~").map((raw, i) => {
    const [body = "", feedback = ""] = splitUnescaped(raw, "#");
    const weight = /^(=|%(-?\d+(?:\.\d+)?)%)?(.*)$/s.exec(body)!;
    const fraction = weight[1] === "=" ? 1 : weight[2] !== undefined ? Number(weight[2]) / 100 : 0;
    if (!(fraction >= -1 && fraction <= 1)) {
      throw new QuestionError("bad-fraction", id, `cloze answer ${i + 1} weighs ${weight[2]}%`);
    }
    let text = unescapeCloze(weight[3]!);
    let tolerance = 0;
    if (kind.type === "numerical" && text !== "*") {
      const [value = "", tol = "0"] = text.split(":");
      if (!Number.isFinite(Number(value)) || !Number.isFinite(Number(tol))) {
        throw new QuestionError("bad-number", id, `cloze answer "${text}" is not a number`);
      }
      [text, tolerance] = [value, Math.abs(Number(tol))];
    }
    const answerArea = area("answer");
    return {
      id: `${id}.${i + 1}`,
      text:
        kind.type === "multichoice"
          ? { html: escapeHtml(text), area: answerArea }
          : plainRich(text, answerArea),
      fraction,
      feedback: plainRich(unescapeCloze(feedback), area("answerfeedback")),
      tolerance,
    };
  });
}

/** Parse one cloze code into a sub-question of id `id` (a QuestionError if it is not one). */
export function parseClozeCode(code: string, id: string, categoryId: string): ClozePart {
  const m = CODE.exec(code.trim());
  const kind = m ? kindOf(m[2]!) : null;
  if (!m || !kind)
    throw new QuestionError("bad-structure", id, `"${code.slice(0, 40)}" is not a cloze sub-question`);
  const area = (filearea: string): FileArea => ({ component: "question", filearea, itemid: id });
  const answers = clozeAnswers(m[3]!, kind, id, area);
  const common = {
    id,
    bankEntryId: null,
    version: null,
    categoryId,
    name: "",
    text: plainRich("", area("questiontext")),
    generalFeedback: plainRich("", area("generalfeedback")),
    defaultMark: m[1] === "" ? 1 : Number(m[1]),
  };
  if (kind.type === "shortanswer") {
    return {
      ...common,
      qtype: "shortanswer",
      type: "shortanswer",
      caseSensitive: kind.caseSensitive,
      answers,
    };
  }
  if (kind.type === "numerical") {
    const units = { units: [], unitDisplay: 3, unitGrading: 0, unitPenalty: 0 };
    return { ...common, qtype: "numerical", type: "numerical", answers, ...units };
  }
  const { single, layout, shuffle } = kind;
  const combined = { correct: null, partial: null, incorrect: null };
  return { ...common, qtype: "multichoice", type: "multichoice", single, layout, shuffle, answers, combined };
}

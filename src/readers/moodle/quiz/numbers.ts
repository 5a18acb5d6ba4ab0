// Reading a learner's number the way Moodle's numerical answer processor does: a decimal
// (point, or a comma for learners whose language writes one), an optional exponent
// (1e3, 1x10^3, 1*10**3), and an optional unit after (or, if the question says, before) it.
import type { NumericalQuestion } from "./model.js";

const NUMBER = String.raw`([+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+))(?:\s*(?:[eE]|(?:[x×*]\s*10\s*(?:\^|\*\*)))\s*([+-]?\d+))?`;
const UNIT_AFTER = new RegExp(`^${NUMBER}\\s*(.*)$`);
const UNIT_BEFORE = new RegExp(`^(.*?)\\s*${NUMBER}$`);

export interface ParsedNumber {
  value: number;
  /** The unit as typed ("" when none). */
  unit: string;
}

/** Parse a response; null when it holds no number. Thousands separators are not accepted (as in Moodle). */
export function parseNumber(response: string, unitsLeft: boolean): ParsedNumber | null {
  const text = response.trim().replace(/\u2212/g, "-");
  const m = unitsLeft ? UNIT_BEFORE.exec(text) : UNIT_AFTER.exec(text);
  if (!m) return null;
  const [unit, mantissa, exponent] = unitsLeft ? [m[1]!, m[2]!, m[3]] : [m[3]!, m[1]!, m[2]];
  const value = Number(mantissa.replace(",", ".")) * 10 ** Number(exponent ?? 0);
  return Number.isFinite(value) ? { value, unit: unit.trim() } : null;
}

/** The answer a value matches (first in the question's order), and whether its unit was right. */
export function matchNumber(
  question: NumericalQuestion,
  parsed: ParsedNumber,
): { answer: NumericalQuestion["answers"][number]; unitIsRight: boolean } | null {
  const unit = question.units.find((u) => u.unit === parsed.unit);
  // With no unit (or an unknown one) the value is taken as it is, as Moodle does.
  const scaled = unit ? parsed.value / unit.multiplier : parsed.value;
  for (const answer of question.answers) {
    if (withinTolerance(answer.text.html, answer.tolerance, scaled))
      return { answer, unitIsRight: unit !== undefined };
    if (withinTolerance(answer.text.html, answer.tolerance, parsed.value))
      return { answer, unitIsRight: false };
  }
  return null;
}

/** Moodle's nominal tolerance with its tiny epsilon (MDL-3225): equal-looking values are equal. */
function withinTolerance(answerText: string, tolerance: number, value: number): boolean {
  if (answerText.trim() === "*") return true;
  const target = Number(answerText.trim());
  const epsilon = 1e-14;
  const width = tolerance + epsilon * Math.max(Math.abs(tolerance), Math.abs(target), epsilon);
  return target - width <= value && value <= target + width;
}

/** The unit penalty of a matched answer, when the question grades units. */
export function unitPenalised(question: NumericalQuestion, fraction: number, unitIsRight: boolean): number {
  // Units shown/graded only when they are typed in (showunits 0) and the question has units.
  if (unitIsRight || question.unitDisplay === 3 || question.units.length === 0) return fraction;
  if (question.unitGrading === 1) return Math.max(fraction - question.unitPenalty * fraction, 0);
  if (question.unitGrading === 2) return Math.max(fraction - question.unitPenalty, 0);
  return fraction;
}

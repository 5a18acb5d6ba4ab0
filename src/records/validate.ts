// Statements from a browser (H5P, SCORM) checked against xAPI 1.0.3 with the same validator
// the master's ingest uses (xapi.ts): a bad one is refused with what was wrong, by field.
import type { Statement } from "./statement.js";
import { validateStatement } from "./xapi.js";

export class InvalidStatementError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid xAPI statement: ${problems.join("; ")}`);
    this.name = "InvalidStatementError";
  }
}

/** The problems with `data` as an xAPI 1.0.3 statement with an id; none when it is one. */
export function statementProblems(data: unknown): string[] {
  return validateStatement(data);
}

/** `data` as a statement, or InvalidStatementError naming every problem. */
export function checkStatement(data: unknown): Statement {
  const problems = statementProblems(data);
  if (problems.length > 0) throw new InvalidStatementError(problems);
  return data as Statement;
}

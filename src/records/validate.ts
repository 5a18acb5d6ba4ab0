// Statements checked against xAPI 1.0.3 with Learning Locker's validation library, the one
// its LRS uses: a statement from a browser (H5P, SCORM) is refused with what was wrong, by
// path ("statement.result.score: raw more than max").
import xapiValidation from "@learninglocker/xapi-validation";
import type { Statement } from "./statement.js";

type Validate = (data: unknown) => Warning[];
// The package is CommonJS with an ES default: Node's ESM gives the module object, bundlers
// (vitest) the function itself.
const loaded = xapiValidation as unknown as Validate | { default: Validate };
const validateStatement: Validate = typeof loaded === "function" ? loaded : loaded.default;

interface Warning {
  path: string[];
  data: unknown;
  constructor: { name: string };
  typeName?: string;
  type?: { name?: string };
}

export class InvalidStatementError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid xAPI statement: ${problems.join("; ")}`);
    this.name = "InvalidStatementError";
  }
}

/** "RawMoreThanMaxWarning" → "raw more than max"; a type warning names the type expected. */
function describe(w: Warning): string {
  const where = w.path.join(".");
  const expected = w.typeName ?? w.type?.name;
  if (w.constructor.name === "TypeWarning" && expected) return `${where}: expected ${expected}`;
  if (w.constructor.name === "NoIfiWarning")
    return `${where}: no identifier (mbox, mbox_sha1sum, openid or account)`;
  const words = w.constructor.name
    .replace(/Warning$/, "")
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .toLowerCase();
  return `${where}: ${words}`;
}

/** The problems with `data` as an xAPI 1.0.3 statement; none when it is one. */
export function statementProblems(data: unknown): string[] {
  return validateStatement(data).map(describe);
}

/** `data` as a statement, or InvalidStatementError naming every problem. */
export function checkStatement(data: unknown): Statement {
  const problems = statementProblems(data);
  if (problems.length > 0) throw new InvalidStatementError(problems);
  return data as Statement;
}

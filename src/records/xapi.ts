/**
 * records/ — learner records as xAPI 1.0.3 statements. This file: their validation (the
 * statement's type is in statement.ts).
 *
 * Validation is Learning Locker's xAPI validator (@learninglocker/xapi-validation), the rule
 * set an LRS applies, so a statement accepted here is one an LRS accepts too. handcarry adds
 * one rule of its own: the `id` must be there, because storing each statement once depends on it.
 */
import xapiValidation from "@learninglocker/xapi-validation";

type Validate = (data: unknown) => XapiWarning[];
// The package is CommonJS with `exports.default`: Node's ESM hands over that exports object,
// loaders that honour `__esModule` (tsx, vitest) the function itself.
const validate: Validate =
  typeof xapiValidation === "function"
    ? (xapiValidation as unknown as Validate)
    : (xapiValidation as unknown as { default: Validate }).default;

interface XapiWarning {
  name: string;
  path: string[];
  typeName?: string;
  keys?: string[];
}

/** The validator's type names that say little on their own. */
const TYPE_WORDS: Record<string, string> = {
  Scaled: "scaled score (a number from -1 to 1)",
};

/** What a warning of the validator means, in words. */
function describe(w: XapiWarning): string {
  switch (w.name) {
    case "TypeWarning":
      return w.typeName ? `is not a valid ${TYPE_WORDS[w.typeName] ?? w.typeName}` : "has the wrong type";
    case "RequiredWarning":
      return "is required";
    case "RestrictedKeysWarning":
      return `has properties xAPI does not allow: ${(w.keys ?? []).join(", ")}`;
    case "NoIfiWarning":
      return "has no identifier (mbox, mbox_sha1sum, openid or account)";
    case "IfiCountWarning":
      return "has more than one identifier";
    default:
      // "RawMoreThanMaxWarning" → "raw more than max"
      return w.name
        .replace(/Warning$/, "")
        .replace(/([a-z])([A-Z])/g, "$1 $2")
        .toLowerCase();
  }
}

/**
 * The problems of one statement, each naming the field (`verb.id: is not a valid …`); an
 * empty list means the statement is valid xAPI 1.0.3 with an id.
 */
export function validateStatement(data: unknown): string[] {
  if (typeof data !== "object" || data === null || Array.isArray(data))
    return ["statement: is not an object"];
  const problems = validate(data).map((w) => {
    const field = w.path.slice(1).join(".") || "statement";
    return `${field}: ${describe(w)}`;
  });
  if ((data as { id?: unknown }).id === undefined)
    problems.unshift("id: is required (a UUID made where the statement was recorded)");
  return problems;
}

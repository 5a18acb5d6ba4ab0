/** One line naming every field a schema refused, for errors about input from outside. */
import type { z } from "zod";

/** "a.b: message; c: message" (the first five problems). */
export function describeIssues(error: z.ZodError, whole = "(answer)"): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length > 0 ? i.path.join(".") : whole}: ${i.message}`)
    .join("; ");
}

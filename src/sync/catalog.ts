/**
 * The catalog check, one round trip for every course: the agent sends which version of each
 * course it has (the first 8 bytes of each content hash, brotli-compressed JSON), the master
 * answers only the courses that differ. 200 unchanged courses cost about 3 KB up and a few
 * dozen bytes down. Both messages are checked defensively: they cross the network.
 */
import { brotliCompressSync, brotliDecompressSync, constants as zc } from "node:zlib";
import { z } from "zod";
import { COURSE_ID } from "./course.js";
import { CONTENT_HASH } from "./plan.js";

export class CatalogCheckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CatalogCheckError";
  }
}

/**
 * Hex digits of the content hash an agent sends per course: 64 bits. Telling two versions
 * apart by chance fails once in 2^64 checks; the full hash is checked again after every install.
 */
export const HAVE_DIGITS = 16;
/** Largest check the master reads (compressed), and what it may expand to. */
export const MAX_CHECK_BYTES = 1 << 20;
const MAX_CHECK_JSON = 16 << 20;
const MAX_COURSES = 100_000;

/** What an agent says it has. */
export interface CatalogCheck {
  /** Course id → the start of its installed content hash ("" when it has none yet). */
  have: Map<string, string>;
  /** Also report courses the agent did not list (false when it syncs only named courses). */
  all: boolean;
}

/** The start of a content hash, as the check carries it. */
export const haveDigits = (contentHash: string): string => contentHash.slice(4, 4 + HAVE_DIGITS);

export function encodeCatalogCheck(check: CatalogCheck): Buffer {
  const json = JSON.stringify({ all: check.all, have: Object.fromEntries(check.have) });
  return brotliCompressSync(json, { params: { [zc.BROTLI_PARAM_QUALITY]: 11 } });
}

const checkSchema = z.object({ all: z.boolean(), have: z.record(z.string(), z.string()) });
const DIGITS = new RegExp(`^(|[0-9a-f]{${HAVE_DIGITS}})$`);

export function decodeCatalogCheck(data: Buffer): CatalogCheck {
  let parsed: unknown;
  try {
    parsed = JSON.parse(brotliDecompressSync(data, { maxOutputLength: MAX_CHECK_JSON }).toString("utf8"));
  } catch (e) {
    throw new CatalogCheckError(`catalog check is not readable (${(e as Error).message})`);
  }
  const checked = checkSchema.safeParse(parsed);
  if (!checked.success) throw new CatalogCheckError("catalog check lacks all/have fields");
  const have = new Map(Object.entries(checked.data.have));
  if (have.size > MAX_COURSES)
    throw new CatalogCheckError(`catalog check lists more than ${MAX_COURSES} courses`);
  for (const [id, digits] of have) {
    if (!COURSE_ID.test(id))
      throw new CatalogCheckError(`catalog check: invalid course id ${JSON.stringify(id)}`);
    if (!DIGITS.test(digits))
      throw new CatalogCheckError(`catalog check: course ${id}: must be "" or ${HAVE_DIGITS} hex digits`);
  }
  return { have, all: checked.data.all };
}

/** The master's answer: only what differs from what the agent has. */
export interface CatalogChanges {
  /**
   * Courses whose newest version is not the agent's (or that it does not have). `unknownBase`:
   * the master keeps no version with the agent's hash, so the agent sends its entry summary
   * straight away instead of first being asked for it (one round trip less; older agents
   * ignore the field).
   */
  changed: Array<{ id: string; contentHash: string; unknownBase?: true }>;
  /** Listed courses the master does not have. */
  gone: string[];
}

export interface CatalogVersion {
  id: string;
  contentHash: string;
  /** Content hashes of every version the master keeps (the newest among them). */
  kept: readonly string[];
}

/** The master's side: compare the agent's list with the newest version of each course. */
export function catalogChanges(check: CatalogCheck, latest: Iterable<CatalogVersion>): CatalogChanges {
  const changed: CatalogChanges["changed"] = [];
  const known = new Set<string>();
  for (const c of latest) {
    known.add(c.id);
    const have = check.have.get(c.id);
    if (have === undefined ? check.all : have !== haveDigits(c.contentHash)) {
      const unknownBase = Boolean(have) && !c.kept.some((k) => haveDigits(k) === have);
      changed.push({
        id: c.id,
        contentHash: c.contentHash,
        ...(unknownBase && { unknownBase: true as const }),
      });
    }
  }
  return { changed, gone: [...check.have.keys()].filter((id) => !known.has(id)) };
}

const courseId = z.string().regex(COURSE_ID, "must be a course id");

export const catalogChangesSchema = z
  .object({
    changed: z
      .array(
        z.object({
          id: courseId,
          contentHash: z.string().regex(CONTENT_HASH, "must be hc1: and 64 hex digits"),
          unknownBase: z.literal(true).optional(),
        }),
      )
      .max(MAX_COURSES),
    gone: z.array(courseId).max(MAX_COURSES),
  })
  .describe("catalog check");

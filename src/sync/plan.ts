/**
 * The master's answers to an agent (catalog and sync plans): the message shapes both sides
 * of the protocol share, and the schemas the agent checks every answer against before it
 * stores or acts on any of it.
 */
import { z } from "zod";
import type { ArchiveFormat } from "../archive/index.js";
import { type BlobManifest, blobManifestSchema } from "../transfer/pieces.js";
import { COURSE_ID } from "./course.js";

export interface Plan {
  plan: "none" | "known-base" | "unknown-base" | "full";
  course: string;
  title: string;
  contentHash: string;
  format: ArchiveFormat;
  publishedAt: string;
  /** What to download: the course delta or, for "full", the archive. */
  blob?: BlobManifest;
  /** Unknown base, round 2: the upload session and which old entries to sign ([index, block, strong]). */
  session?: string;
  signatures?: Array<[number, number, number]>;
  pieceSize?: number;
}

export const CONTENT_HASH = /^hc1:[0-9a-f]{64}$/;

const courseId = z.string().regex(COURSE_ID, "must be a course id");
const count = z.number().int().min(0);

/** What an installed course keeps of a plan (also checked when read back from the database). */
export const courseInfoSchema = z.object({
  title: z.string().max(1000),
  contentHash: z.string().regex(CONTENT_HASH, "must be hc1: and 64 hex digits"),
  format: z.enum(["zip", "tar", "tar.gz"]),
  publishedAt: z.string().max(100),
});

/**
 * Every plan: "none", "full" and "known-base" describe the target version; "unknown-base"
 * asks for the entry summary (course only), then for signatures (session), then gives the blob.
 */
export const planSchema = z
  .object({
    plan: z.enum(["none", "known-base", "unknown-base", "full"]),
    course: courseId,
    ...courseInfoSchema.partial().shape,
    blob: blobManifestSchema.optional(),
    session: z
      .string()
      .regex(/^[0-9a-f]{24}$/, "must be 24 hex digits")
      .optional(),
    signatures: z.array(z.tuple([count, count.max(1 << 24), count.max(64)])).optional(),
    pieceSize: z
      .number()
      .int()
      .positive()
      .max(64 << 20)
      .optional(),
  })
  .superRefine((p, ctx) => {
    const askingForSummary = p.plan === "unknown-base" && !p.blob && !p.session;
    if (askingForSummary) return;
    for (const key of ["title", "contentHash", "format", "publishedAt"] as const)
      if (p[key] === undefined) ctx.addIssue({ code: "custom", path: [key], message: "is missing" });
    if ((p.plan === "full" || p.plan === "known-base") && !p.blob)
      ctx.addIssue({ code: "custom", path: ["blob"], message: `is missing from a ${p.plan} plan` });
    if (p.session && !p.signatures)
      ctx.addIssue({ code: "custom", path: ["signatures"], message: "is missing next to a session" });
  })
  .transform((p) => p as Plan)
  .describe("plan");

/** The catalog: only the ids are used (each is checked again before it names a directory). */
export const catalogSchema = z
  .array(z.object({ id: z.string().max(200) }))
  .max(100_000)
  .describe("catalog");

/**
 * Blobs and pieces: any file the master hands out (a course delta or a whole archive) is
 * a content-addressed blob, split into fixed-size pieces, each with its MD5, so an agent
 * can fetch pieces independently, resume, and re-fetch only a piece that arrived damaged.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { z } from "zod";
import { describeIssues } from "../util/issues.js";

/** Default piece size: small enough that a cut on a slow link loses little. */
export const DEFAULT_PIECE_SIZE = 256 * 1024;

export interface BlobManifest {
  /** sha256 (hex) of the whole blob: its name. */
  id: string;
  size: number;
  pieceSize: number;
  /** MD5 (hex) of each piece, in order. */
  md5: string[];
}

export function pieceCount(size: number, pieceSize: number): number {
  return Math.ceil(size / pieceSize);
}

export function pieceRange(
  m: Pick<BlobManifest, "size" | "pieceSize">,
  n: number,
): { start: number; end: number } {
  const start = n * m.pieceSize;
  return { start, end: Math.min(m.size, start + m.pieceSize) };
}

/** Hash a file once: sha256 of the whole and MD5 of each piece. */
export async function describeBlob(path: string, pieceSize = DEFAULT_PIECE_SIZE): Promise<BlobManifest> {
  const size = (await stat(path)).size;
  const whole = createHash("sha256");
  const md5: string[] = [];
  let piece = createHash("md5");
  let inPiece = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    whole.update(chunk);
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(pieceSize - inPiece, chunk.length - off);
      piece.update(chunk.subarray(off, off + n));
      inPiece += n;
      off += n;
      if (inPiece === pieceSize) {
        md5.push(piece.digest("hex"));
        piece = createHash("md5");
        inPiece = 0;
      }
    }
  }
  if (inPiece > 0) md5.push(piece.digest("hex"));
  return { id: whole.digest("hex"), size, pieceSize, md5 };
}

const HEX64 = /^[0-9a-f]{64}$/;
const HEX32 = /^[0-9a-f]{32}$/;

/** A blob manifest as it comes over the network: every field checked, the MD5 list complete. */
export const blobManifestSchema = z
  .object({
    id: z.string().regex(HEX64, "must be 64 hex digits"),
    size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    pieceSize: z
      .number()
      .int()
      .positive()
      .max(64 << 20),
    md5: z.array(z.string().regex(HEX32, "must be 32 hex digits")),
  })
  .refine((b) => b.md5.length === pieceCount(b.size, b.pieceSize), {
    path: ["md5"],
    message: "must list one MD5 per piece",
  });

/** Validate a manifest that came over the network. */
export function checkBlobManifest(m: unknown, what = "blob manifest"): BlobManifest {
  const r = blobManifestSchema.safeParse(m);
  if (!r.success) throw new Error(`${what} is malformed: ${describeIssues(r.error, "(manifest)")}`);
  return r.data;
}

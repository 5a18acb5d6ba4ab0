/** The master's answer to a sync request: the one message shape both sides of the protocol share. */
import type { ArchiveFormat } from "../archive/index.js";
import type { BlobManifest } from "../transfer/pieces.js";

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

// The master's answer to a request it refuses: a status, a message for the client and, when
// waiting helps, how long to wait. Also the client-facing text of archive errors.
import type { ArchiveError } from "../archive/index.js";

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Seconds after which the same request may succeed (sent as Retry-After). */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

/**
 * What a client is told about a refused archive: the entry and the reason, never the path
 * the master stored the upload at (its data directory is nobody else's business).
 */
export function archiveProblemText(e: ArchiveError): string {
  const where = e.entry === undefined ? "course archive" : `course archive: entry ${JSON.stringify(e.entry)}`;
  return `${where}: ${e.detail}`;
}

/** Remove every occurrence of `secret` (an absolute path) from a message. */
export function withoutPath(message: string, secret: string): string {
  return secret.length > 1 ? message.split(secret).join("<data>") : message;
}

/**
 * Typed errors for the delta engine. Each carries a librsync-compatible result code so the
 * CLI can exit exactly like `rdiff` does (100 I/O, 101 usage, 103 input ended, 104 bad
 * magic, 106 corrupt, 108 bad parameter).
 */
export type DeltaErrorCode = "BAD_MAGIC" | "TRUNCATED" | "CORRUPT" | "BAD_PARAM" | "IO";

const EXIT_CODES: Record<DeltaErrorCode, number> = {
  IO: 100,
  TRUNCATED: 103,
  BAD_MAGIC: 104,
  CORRUPT: 106,
  BAD_PARAM: 108,
};

export class DeltaError extends Error {
  readonly code: DeltaErrorCode;
  /** Exit status `rdiff` uses for the same failure. */
  readonly exitCode: number;
  /** What was being read or written: a file name, or "signature"/"delta" for streams. */
  readonly source: string | undefined;

  constructor(code: DeltaErrorCode, message: string, source?: string) {
    super(source ? `${source}: ${message}` : message);
    this.name = "DeltaError";
    this.code = code;
    this.exitCode = EXIT_CODES[code];
    this.source = source;
  }

  /** The same error, now naming the file it came from. */
  withSource(source: string): DeltaError {
    if (this.source) return this;
    const named = new DeltaError(this.code, this.message, source);
    named.stack = this.stack;
    return named;
  }
}

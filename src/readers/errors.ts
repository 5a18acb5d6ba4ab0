// One error type for everything a reader refuses: it names the file inside the course tree, so a
// log line says which part of which course was wrong.

export type ReaderErrorCode =
  | "missing-file"
  | "malformed-xml"
  | "too-large"
  | "unsafe-path"
  | "not-found"
  | "unsupported"
  | "invalid";

export class ReaderError extends Error {
  readonly code: ReaderErrorCode;
  /** Path inside the course tree ("" when the tree itself is wrong). */
  readonly file: string;

  constructor(code: ReaderErrorCode, file: string, detail: string, cause?: unknown) {
    super(file ? `${file}: ${detail}` : detail, cause === undefined ? undefined : { cause });
    this.name = "ReaderError";
    this.code = code;
    this.file = file;
  }
}

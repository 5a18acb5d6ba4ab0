/**
 * Streaming byte plumbing shared by the signature, delta and patch code: a reader that
 * hands out exact byte counts from an async chunk stream, and an output buffer that
 * batches small writes into large chunks.
 */
import { DeltaError } from "./errors.js";

export type ByteSource = AsyncIterable<Uint8Array>;

export class ByteReader {
  private readonly it: AsyncIterator<Uint8Array>;
  private chunk: Uint8Array = new Uint8Array(0);
  private off = 0;
  private done = false;
  /** Bytes consumed so far: error messages point at this offset. */
  position = 0;

  constructor(
    source: ByteSource,
    private readonly what: string,
  ) {
    this.it = source[Symbol.asyncIterator]();
  }

  get buffered(): number {
    return this.chunk.length - this.off;
  }

  /** Make at least n bytes readable from the current chunk; false at a clean end of input. */
  async fill(n: number): Promise<boolean> {
    if (this.buffered >= n) return true;
    const parts: Uint8Array[] = [this.chunk.subarray(this.off)];
    let have = this.buffered;
    while (have < n && !this.done) {
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        break;
      }
      if (r.value.length === 0) continue;
      parts.push(r.value);
      have += r.value.length;
    }
    this.chunk = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    this.off = 0;
    return have >= n;
  }

  /** Exactly n bytes, or a TRUNCATED error naming what was being read. */
  async read(n: number, what: string): Promise<Uint8Array> {
    if (!(await this.fill(n))) {
      throw new DeltaError(
        "TRUNCATED",
        `${this.what} ends after ${this.position + this.buffered} bytes, in the middle of ${what}`,
      );
    }
    const out = this.chunk.subarray(this.off, this.off + n);
    this.off += n;
    this.position += n;
    return out;
  }

  /** Up to max bytes (at least 1), or undefined at end of input. */
  async readSome(max: number): Promise<Uint8Array | undefined> {
    if (this.buffered === 0 && !(await this.fill(1))) return undefined;
    const n = Math.min(max, this.buffered);
    const out = this.chunk.subarray(this.off, this.off + n);
    this.off += n;
    this.position += n;
    return out;
  }

  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }
}

/** Collects output into chunks of about `size` bytes; `take()` hands them over. */
export class OutputBuffer {
  private buf: Uint8Array;
  private used = 0;
  private ready: Uint8Array[] = [];
  total = 0;

  constructor(private readonly size = 1 << 20) {
    this.buf = new Uint8Array(size);
  }

  /** Reserve n contiguous bytes and return the buffer and offset to write them at. */
  reserve(n: number): [Uint8Array, number] {
    if (this.used + n > this.buf.length) {
      this.seal();
      if (n > this.buf.length) this.buf = new Uint8Array(n);
    }
    const at = this.used;
    this.used += n;
    this.total += n;
    return [this.buf, at];
  }

  write(data: Uint8Array): void {
    if (data.length >= this.size) {
      this.seal();
      this.ready.push(data.slice());
      this.total += data.length;
      return;
    }
    const [buf, at] = this.reserve(data.length);
    buf.set(data, at);
  }

  private seal(): void {
    if (this.used === 0) return;
    this.ready.push(this.buf.subarray(0, this.used));
    this.buf = new Uint8Array(this.size);
    this.used = 0;
  }

  /** Chunks that are complete; with flush, also the partial one. */
  take(flush = false): Uint8Array[] {
    if (flush || this.used >= this.size / 2) this.seal();
    const out = this.ready;
    this.ready = [];
    return out;
  }
}

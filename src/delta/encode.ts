/**
 * librsync's delta encoding: the DeltaSink that writes rdiff-format commands, with the
 * same command choice as rdiff (inline literals up to 64 bytes, the smallest netint
 * widths), so identical matches give identical bytes.
 */
import { type ByteSource, OutputBuffer } from "./bytes.js";
import {
  DELTA_MAGIC,
  intLen,
  LEN_INDEX,
  OP_COPY_N1_N1,
  OP_END,
  OP_LITERAL_MAX_INLINE,
  OP_LITERAL_N1,
  putNetint,
} from "./format.js";
import { type DeltaSink, Matcher, SignatureIndex } from "./match.js";
import type { Signature } from "./signature.js";

export interface DeltaStats {
  copyCommands: number;
  copyBytes: number;
  literalCommands: number;
  literalBytes: number;
}

export class RdiffEncoder implements DeltaSink {
  readonly stats: DeltaStats = { copyCommands: 0, copyBytes: 0, literalCommands: 0, literalBytes: 0 };

  constructor(readonly out: OutputBuffer = new OutputBuffer()) {
    const [b, at] = out.reserve(4);
    putNetint(b, at, DELTA_MAGIC, 4);
  }

  copy(pos: number, len: number): void {
    const pw = intLen(pos);
    const lw = intLen(len);
    const [b, at] = this.out.reserve(1 + pw + lw);
    b[at] = OP_COPY_N1_N1 + 4 * LEN_INDEX[pw] + LEN_INDEX[lw];
    putNetint(b, at + 1, pos, pw);
    putNetint(b, at + 1 + pw, len, lw);
    this.stats.copyCommands++;
    this.stats.copyBytes += len;
  }

  literal(data: Uint8Array): void {
    const len = data.length;
    if (len === 0) return;
    if (len <= OP_LITERAL_MAX_INLINE) {
      const [b, at] = this.out.reserve(1 + len);
      b[at] = len;
      b.set(data, at + 1);
    } else {
      const lw = intLen(len);
      const [b, at] = this.out.reserve(1 + lw);
      b[at] = OP_LITERAL_N1 + LEN_INDEX[lw];
      putNetint(b, at + 1, len, lw);
      this.out.write(data);
    }
    this.stats.literalCommands++;
    this.stats.literalBytes += len;
  }

  end(): void {
    const [b, at] = this.out.reserve(1);
    b[at] = OP_END;
  }
}

/** Stream an rdiff-format delta that turns the signature's old file into `source`. */
export async function* generateDelta(
  sig: Signature,
  source: ByteSource,
  onStats?: (s: DeltaStats) => void,
): AsyncGenerator<Uint8Array> {
  const enc = new RdiffEncoder();
  const matcher = new Matcher(await SignatureIndex.create(sig), enc);
  for await (const chunk of source) {
    matcher.push(chunk);
    yield* enc.out.take();
  }
  matcher.finish();
  enc.end();
  yield* enc.out.take(true);
  onStats?.(enc.stats);
}

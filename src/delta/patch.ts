/**
 * Patch: apply an rdiff-format delta to the old file (random reads) and stream out the new
 * one. Every command is validated before it is applied: unknown opcodes, a COPY outside the
 * old file, lengths that overflow and a missing END are errors naming the delta offset.
 */
import { type FileHandle, open } from "node:fs/promises";
import { ByteReader, type ByteSource, OutputBuffer } from "./bytes.js";
import { DeltaError } from "./errors.js";
import {
  DELTA_MAGIC,
  getNetint,
  hex32,
  INDEX_LEN,
  OP_COPY_N1_N1,
  OP_COPY_N8_N8,
  OP_END,
  OP_LITERAL_MAX_INLINE,
  OP_LITERAL_N1,
} from "./format.js";

/** Random access to the old file. */
export interface Basis {
  readonly size: number;
  /** Fill `into` from `pos`; must read exactly into.length bytes. */
  readInto(pos: number, into: Uint8Array): Promise<void>;
}

export class FileBasis implements Basis {
  private constructor(
    private readonly fh: FileHandle,
    readonly size: number,
    private readonly path: string,
  ) {}

  static async open(path: string): Promise<FileBasis> {
    const fh = await open(path, "r");
    try {
      const st = await fh.stat();
      return new FileBasis(fh, st.size, path);
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  async readInto(pos: number, into: Uint8Array): Promise<void> {
    let done = 0;
    while (done < into.length) {
      const { bytesRead } = await this.fh.read(into, done, into.length - done, pos + done);
      if (bytesRead === 0) throw new DeltaError("IO", `${this.path} shrank while being read`);
      done += bytesRead;
    }
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

export class BufferBasis implements Basis {
  constructor(private readonly data: Uint8Array) {}
  get size(): number {
    return this.data.length;
  }
  async readInto(pos: number, into: Uint8Array): Promise<void> {
    into.set(this.data.subarray(pos, pos + into.length));
  }
}

const COPY_PIECE = 1 << 20;

/** Stream the new file: `basis` patched with `delta`. */
export async function* applyDelta(
  basis: Basis,
  delta: ByteSource,
  what = "delta",
): AsyncGenerator<Uint8Array> {
  const r = new ByteReader(delta, what);
  if (!(await r.fill(1))) throw new DeltaError("TRUNCATED", `${what} is empty (expected a librsync delta)`);
  const magic = getNetint(await r.read(4, "the delta magic"), 0, 4, "magic");
  if (magic !== DELTA_MAGIC) {
    throw new DeltaError(
      "BAD_MAGIC",
      `${what} has magic ${hex32(magic)}, not a librsync delta (${hex32(DELTA_MAGIC)})`,
    );
  }
  const out = new OutputBuffer();
  for (;;) {
    const at = r.position;
    if (!(await r.fill(1)))
      throw new DeltaError("TRUNCATED", `${what} ends at offset ${at} without an END command`);
    const op = (await r.read(1, "a command"))[0]!;
    if (op === OP_END) break;
    if (op <= OP_LITERAL_MAX_INLINE || op < OP_COPY_N1_N1) {
      const len =
        op <= OP_LITERAL_MAX_INLINE
          ? op
          : getNetint(
              await r.read(INDEX_LEN[op - OP_LITERAL_N1]!, "a literal length"),
              0,
              INDEX_LEN[op - OP_LITERAL_N1]!,
              `literal length at offset ${at}`,
            );
      let left = len;
      while (left > 0) {
        const part = await r.readSome(left);
        if (!part) {
          throw new DeltaError("TRUNCATED", `${what} ends inside the ${len}-byte literal at offset ${at}`);
        }
        out.write(part);
        left -= part.length;
      }
    } else if (op <= OP_COPY_N8_N8) {
      const pw = INDEX_LEN[(op - OP_COPY_N1_N1) >> 2]!;
      const lw = INDEX_LEN[(op - OP_COPY_N1_N1) & 3]!;
      const args = await r.read(pw + lw, "copy arguments");
      const pos = getNetint(args, 0, pw, `copy position at offset ${at}`);
      const len = getNetint(args, pw, lw, `copy length at offset ${at}`);
      if (pos + len > basis.size) {
        throw new DeltaError(
          "CORRUPT",
          `${what}: COPY at offset ${at} reads old bytes [${pos}, ${pos + len}) but the old file has only ${basis.size} bytes`,
        );
      }
      for (let done = 0; done < len; ) {
        const n = Math.min(COPY_PIECE, len - done);
        const [b, o] = out.reserve(n);
        await basis.readInto(pos + done, b.subarray(o, o + n));
        done += n;
      }
    } else {
      throw new DeltaError(
        "CORRUPT",
        `${what}: unknown command byte 0x${op.toString(16).padStart(2, "0")} at offset ${at}`,
      );
    }
    for (const c of out.take()) yield c;
  }
  if (!(await r.atEnd())) {
    throw new DeltaError("CORRUPT", `${what} has data after its END command (offset ${r.position})`);
  }
  yield* out.take(true);
}

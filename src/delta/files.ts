/**
 * File-level signature/delta/patch, the operations behind `handcarry delta …`: streaming
 * from and to files ("-" is stdin/stdout), output written atomically, errors naming the file.
 */
import { stat } from "node:fs/promises";
import { readChunks, readChunksReused, writeFileAtomic, writeStdout } from "../util/files.js";
import { minimumStrongLen, recommendedBlockLen } from "./blocksize.js";
import { type DeltaStats, generateDelta } from "./encode.js";
import { DeltaError } from "./errors.js";
import type { StrongKind, WeakKind } from "./format.js";
import { MAX_STRONG_LEN } from "./format.js";
import { applyDelta, FileBasis } from "./patch.js";
import { generateSignature, readSignature } from "./signature.js";

export interface OutputOptions {
  /** Replace an existing output file (rdiff's -f). */
  force?: boolean;
}

export interface SignatureFileOptions extends OutputOptions {
  /** 0 or undefined: rdiff's recommended size for the old file. */
  blockLen?: number;
  /** 0 or undefined: the hash's full length; -1: the minimum safe length. */
  strongLen?: number;
  hash?: StrongKind;
  rollsum?: WeakKind;
}

const input = (path: string): AsyncIterable<Uint8Array> =>
  path === "-" ? (process.stdin as AsyncIterable<Uint8Array>) : readChunks(path);

/** For consumers that are done with each chunk before asking for the next. */
const transientInput = (path: string): AsyncIterable<Uint8Array> =>
  path === "-" ? (process.stdin as AsyncIterable<Uint8Array>) : readChunksReused(path);

async function output(path: string, source: AsyncIterable<Uint8Array>, opts: OutputOptions): Promise<number> {
  if (path === "-") return writeStdout(source);
  if (!opts.force && (await exists(path))) {
    throw new DeltaError("IO", `output file exists; use --force to overwrite it`, path);
  }
  return writeFileAtomic(path, source);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Rename well-known I/O failures into DeltaErrors that name the file. */
function named(e: unknown, path: string): unknown {
  if (e instanceof DeltaError) return e.source ? e : e.withSource(path);
  const err = e as NodeJS.ErrnoException;
  if (err?.code === "ENOENT") return new DeltaError("IO", "no such file", err.path ?? path);
  if (err?.code === "EISDIR") return new DeltaError("IO", "is a directory, not a file", err.path ?? path);
  if (err?.code === "EACCES") return new DeltaError("IO", "permission denied", err.path ?? path);
  if (err?.code === "ENOSPC") return new DeltaError("IO", "no space left on device", err.path ?? path);
  return e;
}

export async function signatureFile(
  oldPath: string,
  sigPath: string,
  opts: SignatureFileOptions = {},
): Promise<number> {
  try {
    const hash = opts.hash ?? "blake2";
    const fileSize = oldPath === "-" ? undefined : (await stat(oldPath)).size;
    const blockLen = opts.blockLen
      ? opts.blockLen
      : fileSize === undefined
        ? undefined
        : recommendedBlockLen(fileSize);
    let strongLen = opts.strongLen ? opts.strongLen : MAX_STRONG_LEN[hash];
    if (opts.strongLen === -1) strongLen = minimumStrongLen(fileSize ?? 0, blockLen ?? 2048);
    const sig = generateSignature(transientInput(oldPath), {
      ...(blockLen !== undefined && { blockLen }),
      strongLen,
      strong: hash,
      weak: opts.rollsum ?? "rabinkarp",
      ...(fileSize !== undefined && { fileSize }),
    });
    return await output(sigPath, sig, opts);
  } catch (e) {
    throw named(e, oldPath);
  }
}

export async function deltaFile(
  sigPath: string,
  newPath: string,
  deltaPath: string,
  opts: OutputOptions & { onStats?: (s: DeltaStats) => void } = {},
): Promise<number> {
  let sig: Awaited<ReturnType<typeof readSignature>>;
  try {
    sig = await readSignature(input(sigPath), sigPath === "-" ? "signature" : sigPath);
  } catch (e) {
    throw named(e, sigPath);
  }
  try {
    return await output(deltaPath, generateDelta(sig, transientInput(newPath), opts.onStats), opts);
  } catch (e) {
    throw named(e, newPath);
  }
}

export async function patchFile(
  oldPath: string,
  deltaPath: string,
  outPath: string,
  opts: OutputOptions = {},
): Promise<number> {
  let basis: FileBasis;
  try {
    basis = await FileBasis.open(oldPath);
  } catch (e) {
    throw named(e, oldPath);
  }
  try {
    return await output(
      outPath,
      applyDelta(basis, input(deltaPath), deltaPath === "-" ? "delta" : deltaPath),
      opts,
    );
  } catch (e) {
    throw named(e, deltaPath);
  } finally {
    await basis.close();
  }
}

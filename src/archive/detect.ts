// Format detection by magic bytes, never by file name: zip, tar, tar.gz; bzip2/xz/zstd named and refused.
import { open } from "node:fs/promises";
import { gunzipSync, constants as zc } from "node:zlib";
import { CorruptArchiveError, UnknownFormatError, UnsupportedFormatError } from "./errors.js";
import type { ArchiveFormat } from "./types.js";

const HEAD_BYTES = 64 * 1024;

/** Detect the container format of the file at `path` from its first bytes. */
export async function detectFormat(path: string): Promise<ArchiveFormat> {
  const handle = await open(path, "r");
  try {
    const head = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(head, 0, HEAD_BYTES, 0);
    return detectFormatFromHead(path, head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

/** Same as detectFormat, on the first bytes (64 KiB is plenty) of an archive named `archive`. */
export function detectFormatFromHead(archive: string, head: Buffer): ArchiveFormat {
  if (head.length === 0) throw new UnknownFormatError(archive, "file is empty");
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06])) return "zip";
  if (startsWith(head, [0x50, 0x4b, 0x07, 0x08])) return "zip"; // spanned-archive marker before the first header
  if (startsWith(head, [0x1f, 0x8b])) {
    let inner: Buffer;
    try {
      inner = gunzipHead(head);
    } catch (err) {
      throw new CorruptArchiveError(archive, undefined, `bad gzip data: ${(err as Error).message}`, err);
    }
    if (isTarHeader(inner)) return "tar.gz";
    throw new UnsupportedFormatError(archive, "gzip file that does not hold a tar archive");
  }
  if (startsWith(head, [0x42, 0x5a, 0x68])) {
    throw new UnsupportedFormatError(
      archive,
      "bzip2-compressed file: not supported, re-export as zip or tar.gz",
    );
  }
  if (startsWith(head, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) {
    throw new UnsupportedFormatError(
      archive,
      "xz-compressed file: not supported, re-export as zip or tar.gz",
    );
  }
  if (startsWith(head, [0x28, 0xb5, 0x2f, 0xfd])) {
    throw new UnsupportedFormatError(
      archive,
      "zstd-compressed file: not supported, re-export as zip or tar.gz",
    );
  }
  if (startsWith(head, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) {
    throw new UnsupportedFormatError(archive, "7z archive: not supported, re-export as zip or tar.gz");
  }
  if (isTarHeader(head)) return "tar";
  const hex = head.subarray(0, 8).toString("hex").replace(/(..)/g, "$1 ").trim();
  throw new UnknownFormatError(archive, `unknown archive format (first bytes: ${hex})`);
}

/**
 * Inflate the first bytes of a gzip stream. Sync flush returns what the chunk holds without
 * needing the end of the stream; when the head is the whole file, a bad trailer CRC would
 * fail here, so we retry without the 8-byte trailer and leave that verdict to the reader,
 * which can name the entry.
 */
function gunzipHead(head: Buffer): Buffer {
  try {
    return gunzipSync(head, { finishFlush: zc.Z_SYNC_FLUSH });
  } catch (err) {
    if (head.length <= 18) throw err;
    try {
      return gunzipSync(head.subarray(0, head.length - 8), { finishFlush: zc.Z_SYNC_FLUSH });
    } catch {
      throw err;
    }
  }
}

/** A ustar/GNU header ("ustar" at offset 257), or the all-zero block an empty tar starts with. */
function isTarHeader(block: Buffer): boolean {
  if (block.length < 512) return false;
  if (block.subarray(257, 262).toString("latin1") === "ustar") return true;
  return block.subarray(0, 512).every((b) => b === 0) && block.length >= 1024;
}

function startsWith(buf: Buffer, magic: number[]): boolean {
  return buf.length >= magic.length && magic.every((b, i) => buf[i] === b);
}

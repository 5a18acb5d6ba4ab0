/**
 * Unknown base, agent → master: the agent's entry summary (path, type, size, content id)
 * and the signatures the master asks for. Both are compact binary/JSON under brotli, and
 * both are parsed defensively: they arrive from the network.
 */

import { join } from "node:path";
import { brotliCompressSync, brotliDecompressSync, constants as zc } from "node:zlib";
import { generateSignature, readSignature, type Signature } from "../delta/index.js";
import { readChunks } from "../util/files.js";
import type { SignatureRequest } from "./build.js";
import { ID_HEX, type OldEntry, type OldView } from "./course.js";

export class SummaryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SummaryError";
  }
}

const TYPES = { f: "file", d: "dir", l: "symlink" } as const;
const LETTER = { file: "f", dir: "d", symlink: "l" } as const;
const MAX_SUMMARY = 64 << 20;

export function encodeSummary(view: OldView): Buffer {
  const json = JSON.stringify({
    h: view.contentHash,
    e: view.entries.map((e) => [e.path, LETTER[e.type], e.size, e.id]),
  });
  return brotliCompressSync(json, { params: { [zc.BROTLI_PARAM_QUALITY]: 11 } });
}

export function decodeSummary(data: Buffer): OldView {
  let parsed: unknown;
  try {
    parsed = JSON.parse(brotliDecompressSync(data, { maxOutputLength: MAX_SUMMARY }).toString("utf8"));
  } catch (e) {
    throw new SummaryError(`entry summary is not readable (${(e as Error).message})`);
  }
  const p = parsed as { h?: unknown; e?: unknown };
  if (typeof p?.h !== "string" || !Array.isArray(p.e))
    throw new SummaryError("entry summary lacks h/e fields");
  const entries: OldEntry[] = p.e.map((row: unknown, i: number) => {
    const r = row as unknown[];
    const [path, t, size, id] = Array.isArray(r) ? r : [];
    if (
      typeof path !== "string" ||
      !(typeof t === "string" && t in TYPES) ||
      !Number.isSafeInteger(size) ||
      (size as number) < 0 ||
      typeof id !== "string" ||
      !new RegExp(`^[0-9a-f]{${ID_HEX}}$`).test(id)
    ) {
      throw new SummaryError(`entry summary row ${i} is malformed`);
    }
    return { path, type: TYPES[t as keyof typeof TYPES], size: size as number, id };
  });
  for (let i = 1; i < entries.length; i++) {
    if (Buffer.compare(Buffer.from(entries[i - 1]!.path), Buffer.from(entries[i]!.path)) >= 0) {
      throw new SummaryError(`entry summary is not in canonical order at row ${i}`);
    }
  }
  return { contentHash: p.h, entries };
}

/** Agent: sign the requested old entries. Layout per entry: u32 index, u32 length, rdiff signature. */
export async function signEntries(
  root: string,
  view: OldView,
  requests: SignatureRequest[],
): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const r of requests) {
    const e = view.entries[r.index];
    if (e?.type !== "file")
      throw new SummaryError(`signature requested for entry ${r.index}, which is not a file`);
    const sig: Uint8Array[] = [];
    for await (const c of generateSignature(readChunks(join(root, e.path)), {
      blockLen: r.blockLen,
      strongLen: r.strongLen,
    }))
      sig.push(c);
    const body = Buffer.concat(sig);
    const head = Buffer.alloc(8);
    head.writeUInt32BE(r.index, 0);
    head.writeUInt32BE(body.length, 4);
    parts.push(head, body);
  }
  return Buffer.concat(parts);
}

/** Master: parse the signatures, accepting only those it asked for. */
export async function parseSignatures(
  data: Buffer,
  requests: SignatureRequest[],
): Promise<Map<number, Signature>> {
  const asked = new Map(requests.map((r) => [r.index, r]));
  const out = new Map<number, Signature>();
  let at = 0;
  while (at < data.length) {
    if (at + 8 > data.length) throw new SummaryError(`signature upload is truncated at byte ${at}`);
    const index = data.readUInt32BE(at);
    const len = data.readUInt32BE(at + 4);
    at += 8;
    if (at + len > data.length) throw new SummaryError(`signature for entry ${index} is truncated`);
    const req = asked.get(index);
    if (!req) throw new SummaryError(`signature for entry ${index}, which was not requested`);
    const sig = await readSignature(
      (async function* () {
        yield data.subarray(at, at + len);
      })(),
      `signature of entry ${index}`,
    );
    if (sig.blockLen !== req.blockLen || sig.strongLen !== req.strongLen) {
      throw new SummaryError(
        `signature for entry ${index} uses block ${sig.blockLen}/${sig.strongLen}, not the requested ${req.blockLen}/${req.strongLen}`,
      );
    }
    out.set(index, sig);
    at += len;
  }
  return out;
}

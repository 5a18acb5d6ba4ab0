// Helpers for the archive tests: temp sandboxes, crafting (malicious) zips and tars, oracles.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import * as tar from "tar-stream";
import yazl from "yazl";

export function sandbox(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "hc-archive-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ZipItem {
  name: string;
  data?: Buffer;
  mode?: number;
  dir?: boolean;
  compress?: boolean;
  mtime?: Date;
}

/** Build a zip in memory with yazl. */
export async function makeZip(items: ZipItem[], level = 6): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const item of items) {
    const mtime = item.mtime ?? new Date("2024-01-02T03:04:05Z");
    if (item.dir) zip.addEmptyDirectory(item.name, { mtime, mode: item.mode ?? 0o40755 });
    else {
      const compress = item.compress ?? level > 0;
      zip.addBuffer(item.data ?? Buffer.alloc(0), item.name, {
        mtime,
        mode: item.mode ?? 0o100644,
        compress,
        ...(compress ? { compressionLevel: level } : {}),
      });
    }
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Replace every occurrence of `from` by `to` (same byte length): names yazl refuses to write. */
export function patchBytes(buf: Buffer, from: string, to: string): Buffer {
  const a = Buffer.from(from);
  const b = Buffer.from(to);
  if (a.length !== b.length) throw new Error("patchBytes needs equal lengths");
  const out = Buffer.from(buf);
  let found = 0;
  for (let i = out.indexOf(a); i >= 0; i = out.indexOf(a, i + 1)) {
    b.copy(out, i);
    found++;
  }
  if (found === 0) throw new Error(`patchBytes: ${from} not found`);
  return out;
}

export interface TarItem {
  name: string;
  type?: "file" | "directory" | "symlink" | "link";
  data?: Buffer;
  linkname?: string;
  mode?: number;
  mtime?: Date;
}

/** Build a tar in memory with tar-stream (which writes whatever names it is given). */
export async function makeTar(items: TarItem[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of pack as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
  })();
  for (const item of items) {
    const type = item.type ?? "file";
    const header = {
      name: item.name,
      type,
      mode: item.mode ?? (type === "directory" ? 0o755 : 0o644),
      mtime: item.mtime ?? new Date("2024-01-02T03:04:05Z"),
      ...(item.linkname !== undefined ? { linkname: item.linkname } : {}),
    };
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (type === "file") pack.entry(header, item.data ?? Buffer.alloc(0), cb);
      else pack.entry(header, cb).end(undefined as never);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export async function makeTarGz(items: TarItem[]): Promise<Buffer> {
  return gzipSync(await makeTar(items));
}

export function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Every regular file under `root`, as relative path → sha256 (an oracle independent of our reader). */
export function treeHashes(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      const st = lstatSync(full, { throwIfNoEntry: false });
      if (st?.isDirectory()) walk(full);
      else if (st?.isFile()) out.set(relative(root, full), sha256(readFileSync(full)));
    }
  };
  walk(root);
  return out;
}

/** Run a real binary; returns stdout, throws with stderr on failure. */
export function run(cmd: string, args: string[], cwd?: string): string {
  return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Everything under `dir`, recursively, for "nothing else was written" checks. */
export function listAll(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      out.push(relative(dir, full));
      const st = lstatSync(full, { throwIfNoEntry: false });
      if (st?.isDirectory()) walk(full);
    }
  };
  walk(dir);
  return out.sort();
}

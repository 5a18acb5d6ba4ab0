// The entries of an extracted tree as they are on disk, each file hashed from its bytes:
// to check an installed course against its content hash without trusting any manifest.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import { EMPTY_SHA256, type HashableEntry } from "./hash.js";

/** Every entry under `root` (paths relative, `/`-separated), files and symlink targets hashed. */
export async function hashTree(root: string, under = ""): Promise<HashableEntry[]> {
  const out: HashableEntry[] = [];
  for (const d of await readdir(join(root, under), { withFileTypes: true })) {
    const path = under ? `${under}/${d.name}` : d.name;
    const full = join(root, path);
    if (d.isDirectory()) {
      out.push({ path, type: "dir", size: 0, sha256: EMPTY_SHA256 }, ...(await hashTree(root, path)));
    } else if (d.isSymbolicLink()) {
      const target = Buffer.from(await readlink(full));
      out.push({ path, type: "symlink", size: target.length, sha256: sha256Hex(target) });
    } else if (d.isFile()) {
      const hash = createHash("sha256");
      let size = 0;
      for await (const chunk of createReadStream(full)) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
      out.push({ path, type: "file", size, sha256: hash.digest("hex") });
    }
  }
  return out;
}

const sha256Hex = (b: Buffer) => createHash("sha256").update(b).digest("hex");

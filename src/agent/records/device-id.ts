// This Pi's device id: random, made once and kept in the data dir, so every statement says
// which Pi it came from without naming its serial number or MAC address.
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

const FILE = "device-id";
const SHAPE = /^[a-z0-9]{16}$/;

/** The id in DIR/device-id, made (and written durably) on first use. */
export async function deviceId(dataDir: string): Promise<string> {
  const path = join(dataDir, FILE);
  const kept = await readFile(path, "utf8").catch(() => "");
  if (SHAPE.test(kept.trim())) return kept.trim();
  // base36 of 80 random bits, 16 characters: short in every statement, no collision in practice.
  const id = BigInt(`0x${randomBytes(10).toString("hex")}`)
    .toString(36)
    .padStart(16, "0")
    .slice(-16);
  await writeFile(path, `${id}\n`, { mode: 0o600, flush: true });
  return id;
}

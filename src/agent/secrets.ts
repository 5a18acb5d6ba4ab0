// Secrets the agent must keep but not in clear (saved Wi-Fi passwords, a master's read token):
// sealed with AES-256-GCM under a random key in DIR/secret.key (0600, made on first start).
// A copy of the LevelDB files alone (a backup, a card read elsewhere) gives none of them.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const PREFIX = "v1.";

export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  /** The box of a data directory: its key file is read, or made 0600 if there is none. */
  static async open(dataDir: string): Promise<SecretBox> {
    const file = join(dataDir, "secret.key");
    const existing = await readFile(file).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return null;
      throw err;
    });
    if (existing) {
      if (existing.length !== KEY_BYTES)
        throw new Error(`${file} is ${existing.length} bytes, not a ${KEY_BYTES}-byte key`);
      return new SecretBox(existing);
    }
    const key = randomBytes(KEY_BYTES);
    await writeFile(file, key, { mode: 0o600, flag: "wx" });
    await chmod(file, 0o600); // whatever the umask
    return new SecretBox(key);
  }

  seal(text: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    const body = Buffer.concat([cipher.update(text, "utf8"), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
  }

  /** The clear text; throws if the value was not sealed with this key or was altered. */
  unseal(sealed: string): string {
    if (!sealed.startsWith(PREFIX)) throw new Error("not a sealed value");
    const raw = Buffer.from(sealed.slice(PREFIX.length), "base64url");
    if (raw.length < IV_BYTES + TAG_BYTES) throw new Error("sealed value too short");
    const decipher = createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
      "utf8",
    );
  }
}

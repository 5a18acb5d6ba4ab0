// Admin password and sessions. The password comes from config/env, or is generated on
// first start (scrypt hash kept in the agent's database, the clear text written once to
// DIR/admin-password.txt, mode 0600, for the person setting the box up, and removed once
// someone has logged in with it). Comparisons are
// constant-time; sessions are HMAC-signed cookies with an expiry, keyed per process, and
// remembered until logout so that logging out revokes them.
import { createHash, createHmac, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { chmod, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Table } from "../store/index.js";

interface StoredPassword {
  salt: string;
  hash: string;
}

const SESSION_MS = 12 * 3600_000;
const PASSWORD_FILE = "admin-password.txt";

function scryptHash(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, 32, { N: 16384, r: 8, p: 1 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

function equalDigests(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Sessions open at once; logging in again beyond this ends the oldest. */
const MAX_SESSIONS = 32;

export class AdminAuth {
  private readonly key = randomBytes(32);
  /** Nonces of the sessions not logged out (a signed cookie alone could not be revoked). */
  private readonly live = new Set<string>();

  private constructor(
    private readonly configured: Buffer | null,
    private readonly stored: StoredPassword | null,
    /** Set when this start generated the password (to log where it was written). */
    readonly generatedFile: string | null,
    /** Where a generated password may still lie in clear, until someone has logged in with it. */
    private readonly clearFile: string | null = generatedFile,
  ) {}

  /**
   * @param password from config/env; wins over a stored one.
   * @param table where a generated password's hash lives.
   */
  static async create(o: {
    password?: string;
    table: Table<StoredPassword>;
    dataDir: string;
  }): Promise<AdminAuth> {
    if (o.password) return new AdminAuth(createHash("sha256").update(o.password).digest(), null, null);
    const existing = await o.table.get("password");
    if (existing) return new AdminAuth(null, existing, null, join(o.dataDir, PASSWORD_FILE));
    const password = randomBytes(9).toString("base64url"); // 12 characters
    const salt = randomBytes(16);
    const stored = { salt: salt.toString("hex"), hash: (await scryptHash(password, salt)).toString("hex") };
    const file = join(o.dataDir, PASSWORD_FILE);
    await writeFile(file, `${password}\n`, { mode: 0o600 });
    await chmod(file, 0o600); // whatever the umask
    await o.table.put("password", stored, true);
    return new AdminAuth(null, stored, file);
  }

  /** The password was just used to log in: its clear copy has served its purpose and is removed. */
  async passwordSeen(): Promise<void> {
    if (this.clearFile) await rm(this.clearFile, { force: true });
  }

  async check(password: string): Promise<boolean> {
    if (this.configured) return equalDigests(createHash("sha256").update(password).digest(), this.configured);
    if (!this.stored) return false;
    const got = await scryptHash(password, Buffer.from(this.stored.salt, "hex"));
    return equalDigests(got, Buffer.from(this.stored.hash, "hex"));
  }

  private sign(payload: string): string {
    return createHmac("sha256", this.key).update(payload).digest("base64url");
  }

  /** A cookie value: "<expiry ms>.<random>.<hmac>". */
  issueSession(now = Date.now()): string {
    const nonce = randomBytes(9).toString("base64url");
    const payload = `${now + SESSION_MS}.${nonce}`;
    this.live.add(nonce);
    if (this.live.size > MAX_SESSIONS) this.live.delete(this.live.values().next().value as string);
    return `${payload}.${this.sign(payload)}`;
  }

  /** Log out: the cookie stops working even if someone kept a copy. */
  endSession(value: string | undefined): void {
    if (value && this.verifySession(value)) this.live.delete(value.split(".")[1]!);
  }

  verifySession(value: string | undefined, now = Date.now()): boolean {
    if (!value) return false;
    const cut = value.lastIndexOf(".");
    if (cut < 0) return false;
    const payload = value.slice(0, cut);
    const mac = Buffer.from(value.slice(cut + 1));
    const want = Buffer.from(this.sign(payload));
    if (!equalDigests(mac, want)) return false;
    const [expiryText, nonce] = payload.split(".");
    const expiry = Number(expiryText);
    return Number.isFinite(expiry) && expiry > now && this.live.has(nonce ?? "");
  }

  /** Per-session token for admin forms: pages served here embed course HTML, so forms need more than the cookie. */
  csrfFor(session: string): string {
    return this.sign(`csrf:${session}`);
  }

  checkCsrf(session: string, token: unknown): boolean {
    return typeof token === "string" && equalDigests(Buffer.from(token), Buffer.from(this.csrfFor(session)));
  }
}

/**
 * Slows password guessing from the hotspot: after `maxFailures` wrong passwords from one
 * client address within `windowMs`, that address is refused for `lockMs` (even with the
 * right password). Bounded memory: the oldest addresses are forgotten first.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; first: number; lockedUntil: number }>();

  constructor(
    private readonly maxFailures = 10,
    private readonly windowMs = 10 * 60_000,
    private readonly lockMs = 60_000,
    private readonly maxClients = 1000,
  ) {}

  /** ms until this client may try again; 0 when it may try now. */
  retryAfterMs(client: string, now = Date.now()): number {
    const f = this.failures.get(client);
    return f && f.lockedUntil > now ? f.lockedUntil - now : 0;
  }

  failed(client: string, now = Date.now()): void {
    let f = this.failures.get(client);
    if (!f || now - f.first > this.windowMs) f = { count: 0, first: now, lockedUntil: 0 };
    f.count++;
    if (f.count >= this.maxFailures) {
      f.lockedUntil = now + this.lockMs;
      f.count = 0;
      f.first = now;
    }
    this.failures.delete(client);
    this.failures.set(client, f);
    if (this.failures.size > this.maxClients)
      this.failures.delete(this.failures.keys().next().value as string);
  }

  succeeded(client: string): void {
    this.failures.delete(client);
  }
}

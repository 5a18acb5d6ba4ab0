/**
 * Configuration shared by the commands: a JSON file (--config), then environment
 * variables, then flags, each later source overriding the earlier; validated with zod so a
 * bad value is a clear error naming the key and where it came from.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export function readConfigFile(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError(
      `config file ${path}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "not found" : (e as Error).message}`,
    );
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== "object" || v === null || Array.isArray(v))
      throw new Error("top level must be an object");
    return v as Record<string, unknown>;
  } catch (e) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Drop undefined values so they do not override earlier sources. */
function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

export function resolveConfig<S extends z.ZodType>(
  schema: S,
  sources: { file?: string; env: Record<string, unknown>; flags: Record<string, unknown> },
): z.infer<S> {
  const merged = { ...readConfigFile(sources.file), ...defined(sources.env), ...defined(sources.flags) };
  const r = schema.safeParse(merged);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join(".") || "(config)"}: ${i.message}`).join("; ");
    throw new ConfigError(`invalid configuration: ${issues}`);
  }
  return r.data;
}

export const masterConfigSchema = z.object({
  dataDir: z.string().min(1, "a data directory is required (--data)"),
  host: z.string().default("127.0.0.1"),
  port: z.coerce.number().int().min(0).max(65535).default(8870),
  publishToken: z
    .string()
    .min(8, "publish token must be at least 8 characters (--publish-token or HANDCARRY_PUBLISH_TOKEN)"),
  readToken: z.string().min(8, "read token must be at least 8 characters").optional(),
  /** Reads learner records (export, results page); without it they are closed. */
  recordsToken: z.string().min(16, "records token must be at least 16 characters").optional(),
  /** An xAPI LRS to forward statements to, and its basic-auth credentials. */
  lrsUrl: z.url({ protocol: /^https?$/, error: "LRS URL must be an http(s) URL (--lrs-url)" }).optional(),
  lrsUsername: z.string().optional(),
  lrsPassword: z.string().optional(),
  keepVersions: z.coerce.number().int().min(1).max(100).default(5),
  pieceSize: z.coerce
    .number()
    .int()
    .min(4096)
    .max(64 << 20)
    .default(256 * 1024),
  maxArchiveBytes: z.coerce.number().int().min(1).optional(),
  /** Unknown-base upload sessions: seconds to live, how many at once, bytes they may hold. */
  sessionTtl: z.coerce.number().min(0.1).max(86_400).default(900),
  maxSessions: z.coerce.number().int().min(1).default(64),
  maxSessionBytes: z.coerce
    .number()
    .int()
    .min(1024)
    .default(256 << 20),
  /** Seconds a sync request may wait for a delta being built before "retry after" (503). */
  answerWithin: z.coerce.number().min(0).max(600).default(5),
  /** Bytes of cached unknown-base deltas. */
  unknownCacheBytes: z.coerce
    .number()
    .int()
    .min(0)
    .default(1024 ** 3),
  tlsCert: z.string().optional(),
  tlsKey: z.string().optional(),
});
export type MasterConfig = z.infer<typeof masterConfigSchema>;

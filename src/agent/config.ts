// The agent's one validated config: defaults < config file (--config, JSON) < environment
// (HANDCARRY_*) < command-line flags. Every error names the bad key and where it came from.
import { readFile } from "node:fs/promises";
import { z } from "zod";
import type { DeviceConfig } from "../device/index.js";
import { DeviceConfigError, parseDeviceConfig } from "../device/index.js";

/** What can be wrong with a master URL, by name: the admin page says it in its own language. */
export type MasterUrlIssue = "not-a-url" | "not-http" | "has-credentials";

const MASTER_URL_PROBLEMS: Readonly<Record<MasterUrlIssue, string>> = {
  "not-a-url": "not a URL",
  "not-http": "must be an http:// or https:// URL",
  // A password in the URL would be shown and logged wherever the URL is.
  "has-credentials":
    "must not contain a user name or password (give the master's read token as the token instead)",
};

/** What is wrong with a master URL (config or admin page), or null. */
export function masterUrlIssue(url: string): MasterUrlIssue | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return "not-a-url";
  }
  if (!/^https?:$/.test(u.protocol)) return "not-http";
  if (u.username || u.password) return "has-credentials";
  return null;
}

/** The same, in English words for the config's errors. */
export function masterUrlProblem(url: string): string | null {
  const issue = masterUrlIssue(url);
  return issue ? MASTER_URL_PROBLEMS[issue] : null;
}

const httpUrl = z
  .string()
  .superRefine((u, ctx) => {
    const problem = masterUrlProblem(u);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .transform((u) => u.replace(/\/+$/, ""));

const knownNetwork = z
  .object({
    ssid: z.string().min(1).max(32),
    /** WPA passphrase; absent for an open network. */
    password: z.string().min(8).max(63).optional(),
  })
  .strict();
export type KnownNetwork = z.infer<typeof knownNetwork>;

export const agentConfigSchema = z
  .object({
    /** Where the agent keeps everything (courses, state); required. */
    dataDir: z.string().min(1),
    /**
     * The master to sync from. Optional: without one the agent still serves its courses
     * (a fresh image must come up as a hotspot); the admin page can set it later.
     */
    masterUrl: httpUrl.optional(),
    /** Bearer token for the master's read API, if it has one; sent only to masterUrl's origin. */
    token: z.string().min(1).optional(),
    /**
     * Address(es) to listen on, comma-separated. The image: the hotspot's and loopback
     * ("10.42.0.1,127.0.0.1"), so nothing on an uplink network reaches the agent; 127.0.0.1
     * for the demo and tests; 0.0.0.0 (every address) by default.
     */
    host: z.string().min(1).default("0.0.0.0"),
    /** 80: phones open http://<pi>/ (the unit grants CAP_NET_BIND_SERVICE); use --port 8080 on a laptop. */
    port: z.number().int().min(0).max(65535).default(80),
    /**
     * The content origin's port (the same addresses): course packages (H5P, SCORM) run there, an
     * origin apart from the hotspot's pages. Absent: the port after `port` (0, any free port,
     * when `port` is 0). The image: 8080. Keep it fixed: phones cache packages under it.
     */
    contentPort: z.number().int().min(0).max(65535).optional(),
    /** Admin password; if absent, one is generated on first start and written to DIR/admin-password.txt. */
    adminPassword: z.string().min(8, "must be at least 8 characters").optional(),
    /** Courses to sync (ids); absent = every course the master lists. */
    courses: z.array(z.string().min(1)).optional(),
    sync: z
      .object({
        /** Sync this often while online. */
        intervalHours: z
          .number()
          .positive()
          .max(24 * 30)
          .default(6),
        /** Backoff after a failure: first retry after retryMinSec, doubling up to retryMaxSec. */
        retryMinSec: z.number().int().min(1).default(30),
        retryMaxSec: z.number().int().min(1).default(1800),
        /** Master reachability probe timeout. */
        reachTimeoutMs: z.number().int().min(100).max(60_000).default(3000),
        /** Give up one request (answer and body) not finished after this long: a trickling link. */
        requestDeadlineSec: z.number().int().min(1).max(3600).default(300),
        /** Give up one course's download after this long; the next cycle resumes it. */
        downloadBudgetMin: z
          .number()
          .positive()
          .max(24 * 60)
          .default(10),
        /** Disk space kept free for the state database (a reserve file in the data dir). */
        reserveMiB: z.number().int().min(0).max(1024).default(8),
      })
      .strict()
      .prefault({}),
    /** Learners' statements waiting on the Pi to go up to the master. */
    records: z
      .object({
        /** Statements kept at most, in total; past it, answering says it could not save. */
        maxPending: z.number().int().min(1).max(10_000_000).default(50_000),
        /** Statements one learner may add in one day (UTC) while they wait. */
        maxPerLearnerPerDay: z.number().int().min(1).max(1_000_000).default(2_000),
        /** Statements sent in one request (the master takes at most 200 and 1 MiB). */
        batchSize: z.number().int().min(1).max(200).default(200),
      })
      .strict()
      .prefault({}),
    connectivity: z
      .object({
        /** How often the route/carrier files are read (cheap: two small file reads). */
        pollMs: z.number().int().min(100).max(600_000).default(5000),
        /** Consecutive identical observations before a link change counts (debounces flapping). */
        debounce: z.number().int().min(1).max(20).default(2),
        /** The hotspot's own interface: never counted as an uplink. */
        hotspotIface: z
          .string()
          .regex(/^[\w.@:-]{1,15}$/, "must be an interface name")
          .optional(),
        /** While offline with known networks configured, scan for them this often. */
        wifiScanSec: z.number().int().min(5).max(3600).default(60),
        /**
         * "concurrent": the hotspot has its own interface, the client radio scans and joins
         * freely. "switch": one radio — the hotspot is taken down to look for a known network
         * and sync, then brought back (set at boot in /run/handcarry-wifi.env).
         */
        wifiMode: z.enum(["concurrent", "switch"]).default("concurrent"),
        /** NetworkManager profile of the hotspot (switch mode). */
        hotspotProfile: z.string().min(1).default("handcarry-hotspot"),
        /** Switch mode: with no phone on the hotspot, look for a known network this often. */
        switchEveryMin: z
          .number()
          .int()
          .min(1)
          .max(24 * 60)
          .default(60),
        /** Switch mode: how long to wait for a route after joining a network. */
        joinWaitSec: z.number().int().min(1).max(300).default(30),
      })
      .strict()
      .prefault({}),
    knownNetworks: z.array(knownNetwork).default([]),
    /** LEDs, button, probes, Wi-Fi: validated by the device layer (see its README section). */
    device: z.unknown().optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.sync.retryMaxSec < c.sync.retryMinSec)
      ctx.addIssue({ code: "custom", path: ["sync", "retryMaxSec"], message: "must be ≥ sync.retryMinSec" });
  });

export type AgentConfig = Omit<z.output<typeof agentConfigSchema>, "device"> & { device: DeviceConfig };
/** What callers may pass: everything optional that has a default. */
export type AgentConfigInput = z.input<typeof agentConfigSchema>;

export class AgentConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`bad agent config:\n  ${issues.join("\n  ")}`);
    this.name = "AgentConfigError";
  }
}

/** The environment variables the agent reads, and the key each one sets. */
export const ENV_KEYS = {
  HANDCARRY_DATA: "dataDir",
  /** The Pi image's /etc/handcarry/agent.env name; HANDCARRY_MASTER_URL wins if both are set. */
  HANDCARRY_MASTER: "masterUrl",
  HANDCARRY_MASTER_URL: "masterUrl",
  HANDCARRY_TOKEN: "token",
  HANDCARRY_HOST: "host",
  HANDCARRY_PORT: "port",
  HANDCARRY_CONTENT_PORT: "contentPort",
  HANDCARRY_ADMIN_PASSWORD: "adminPassword",
} as const;

const FLAG_NAMES: Record<string, string> = {
  dataDir: "--data",
  masterUrl: "--master",
  adminPassword: "--admin-password",
  contentPort: "--content-port",
};

export interface ConfigSources {
  /** Path of a JSON config file (--config; else env HANDCARRY_CONFIG). */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** From the command line; undefined values are ignored. */
  flags?: Partial<
    Record<
      "dataDir" | "masterUrl" | "host" | "port" | "contentPort" | "token" | "adminPassword",
      string | number
    >
  >;
}

function describe(issues: readonly z.core.$ZodIssue[], origin: Map<string, string>): string[] {
  return issues.map((issue) => {
    const key = issue.path.length > 0 ? issue.path.map(String).join(".") : "(top level)";
    const from = origin.get(String(issue.path[0] ?? "")) ?? "";
    return `${key}: ${issue.message}${from ? ` (from ${from})` : ""}`;
  });
}

/** Validate an already merged object (tests, the demo). Throws AgentConfigError. */
export function parseAgentConfig(input: unknown, origin = new Map<string, string>()): AgentConfig {
  const result = agentConfigSchema.safeParse(input);
  if (!result.success) throw new AgentConfigError(describe(result.error.issues, origin));
  let device: DeviceConfig;
  try {
    device = parseDeviceConfig(result.data.device ?? {});
  } catch (err) {
    if (err instanceof DeviceConfigError) throw new AgentConfigError(err.issues.map((i) => `device.${i}`));
    throw err;
  }
  const { port, contentPort } = result.data;
  if (contentPort !== undefined && contentPort !== 0 && contentPort === port)
    throw new AgentConfigError([
      `contentPort (${origin.get("contentPort") ?? "config"}): must differ from port, both are ${port}`,
    ]);
  return { ...result.data, device };
}

/** The content origin's port: as set, else the one after the main port (any free one with port 0). */
export function contentPortOf(config: Pick<AgentConfig, "port" | "contentPort">): number {
  if (config.contentPort !== undefined) return config.contentPort;
  return config.port === 0 || config.port === 65535 ? 0 : config.port + 1;
}

/** Merge file, environment and flags, then validate. Throws AgentConfigError naming the bad key. */
export async function loadAgentConfig(sources: ConfigSources): Promise<AgentConfig> {
  const merged: Record<string, unknown> = {};
  const origin = new Map<string, string>();
  // The service always sets HANDCARRY_CONFIG; the file is optional there (not with --config).
  const fromEnv = !sources.file && !!sources.env?.HANDCARRY_CONFIG;
  if (fromEnv) sources = { ...sources, file: sources.env!.HANDCARRY_CONFIG };
  let text: string | undefined;
  if (sources.file) {
    try {
      text = await readFile(sources.file, "utf8");
    } catch (err) {
      if (!(fromEnv && (err as NodeJS.ErrnoException).code === "ENOENT"))
        throw new AgentConfigError([`config file ${sources.file}: ${(err as Error).message}`]);
    }
  }
  if (sources.file && text !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new AgentConfigError([
        `config file ${sources.file} is not valid JSON: ${(err as Error).message}`,
      ]);
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
      throw new AgentConfigError([`config file ${sources.file}: must be a JSON object`]);
    for (const [k, v] of Object.entries(parsed)) {
      merged[k] = v;
      origin.set(k, `config file ${sources.file}`);
    }
  }
  const env = sources.env ?? {};
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value === undefined || value === "") continue;
    merged[key] = key === "port" || key === "contentPort" ? toPort(value) : value;
    origin.set(key, `env ${name}`);
  }
  // Written at boot by handcarry-wifi-interfaces (/run/handcarry-wifi.env): the hotspot's
  // interface and the radio mode. The config file, when it sets them, wins.
  for (const [name, key] of [
    ["HANDCARRY_HOTSPOT_INTERFACE", "hotspotIface"],
    ["HANDCARRY_WIFI_MODE", "wifiMode"],
  ] as const) {
    const value = env[name];
    if (!value) continue;
    const connectivity = (merged.connectivity ?? {}) as Record<string, unknown>;
    if (connectivity !== null && typeof connectivity === "object" && connectivity[key] === undefined) {
      merged.connectivity = { ...connectivity, [key]: value };
      origin.set("connectivity", `env ${name}`);
    }
  }
  for (const [key, value] of Object.entries(sources.flags ?? {})) {
    if (value === undefined) continue;
    merged[key] = key === "port" || key === "contentPort" ? toPort(value) : value;
    origin.set(key, FLAG_NAMES[key] ?? `--${key}`);
  }
  if (merged.dataDir === undefined) origin.set("dataDir", "--data or HANDCARRY_DATA");
  return parseAgentConfig(merged, origin);
}

/** A number when it looks like one, else the raw string so zod reports "expected number". */
function toPort(value: string | number): number | string {
  if (typeof value === "number") return value;
  return /^\d+$/.test(value.trim()) ? Number(value) : value;
}

/** `handcarry master` and `handcarry publish`. */
import type { Command } from "commander";

export function registerMasterCommands(program: Command): void {
  program
    .command("master")
    .description("run the master: publish courses, answer sync requests, serve pieces")
    .option("--data <dir>", "data directory (courses, deltas, state)")
    .option("--host <host>", "address to listen on (default 127.0.0.1)")
    .option("--port <port>", "port (default 8870)")
    .option("--publish-token <token>", "token required to publish (env HANDCARRY_PUBLISH_TOKEN)")
    .option("--read-token <token>", "token required to read/sync; open if unset (env HANDCARRY_READ_TOKEN)")
    .option(
      "--records-token <token>",
      "token required to read learner records; closed if unset (env HANDCARRY_RECORDS_TOKEN)",
    )
    .option("--lrs-url <url>", "forward statements to this xAPI LRS (env HANDCARRY_LRS_URL)")
    .option("--lrs-username <name>", "LRS basic-auth user (env HANDCARRY_LRS_USERNAME)")
    .option("--lrs-password <password>", "LRS basic-auth password (env HANDCARRY_LRS_PASSWORD)")
    .option("--keep-versions <n>", "versions kept per course for known-base deltas (default 5)")
    .option("--piece-size <bytes>", "piece size (default 262144)")
    .option("--answer-within <seconds>", "longest a sync request waits for a delta being built (default 5)")
    .option("--session-ttl <seconds>", "how long an unknown-base upload session lives (default 900)")
    .option("--max-sessions <n>", "unknown-base upload sessions open at once (default 64)")
    .option("--max-session-bytes <bytes>", "bytes all open upload sessions may hold (default 256 MiB)")
    .option("--unknown-cache-bytes <bytes>", "bytes of cached unknown-base deltas (default 1 GiB)")
    .option("--tls-cert <file>", "serve HTTPS with this certificate")
    .option("--tls-key <file>", "and this key")
    .option("--config <file>", "JSON config file (keys as the long options in camelCase)")
    .action(async (o) => {
      const { resolveConfig, masterConfigSchema } = await import("../config.js");
      const cfg = resolveConfig(masterConfigSchema, {
        file: o.config,
        env: {
          dataDir: process.env.HANDCARRY_DATA,
          publishToken: process.env.HANDCARRY_PUBLISH_TOKEN,
          readToken: process.env.HANDCARRY_READ_TOKEN,
          recordsToken: process.env.HANDCARRY_RECORDS_TOKEN,
          lrsUrl: process.env.HANDCARRY_LRS_URL,
          lrsUsername: process.env.HANDCARRY_LRS_USERNAME,
          lrsPassword: process.env.HANDCARRY_LRS_PASSWORD,
        },
        flags: {
          dataDir: o.data,
          host: o.host,
          port: o.port,
          publishToken: o.publishToken,
          readToken: o.readToken,
          recordsToken: o.recordsToken,
          lrsUrl: o.lrsUrl,
          lrsUsername: o.lrsUsername,
          lrsPassword: o.lrsPassword,
          keepVersions: o.keepVersions,
          pieceSize: o.pieceSize,
          answerWithin: o.answerWithin,
          sessionTtl: o.sessionTtl,
          maxSessions: o.maxSessions,
          maxSessionBytes: o.maxSessionBytes,
          unknownCacheBytes: o.unknownCacheBytes,
          tlsCert: o.tlsCert,
          tlsKey: o.tlsKey,
        },
      });
      const { startMaster } = await import("./server.js");
      const m = await startMaster({
        ...cfg,
        answerWithinMs: cfg.answerWithin * 1000,
        sessions: {
          ttlMs: cfg.sessionTtl * 1000,
          maxSessions: cfg.maxSessions,
          maxBytes: cfg.maxSessionBytes,
        },
        ...(cfg.tlsCert && cfg.tlsKey && { tls: { cert: cfg.tlsCert, key: cfg.tlsKey } }),
        ...(cfg.lrsUrl && { lrs: { url: cfg.lrsUrl, username: cfg.lrsUsername, password: cfg.lrsPassword } }),
      });
      process.stdout.write(`handcarry master listening on ${m.url} (data ${cfg.dataDir})\n`);
      const stop = () => {
        m.close().then(() => process.exit(0));
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });

  program
    .command("publish")
    .description("publish FILE as the newest version of a course")
    .argument("<file>", "course archive (.mbz, .zip, .imscc, .h5p, .tar, .tar.gz)")
    .requiredOption("--master <url>", "master URL")
    .requiredOption("--course <id>", "course id (letters, digits, . _ -)")
    .option("--token <token>", "publish token (env HANDCARRY_PUBLISH_TOKEN)")
    .option("--title <title>", "course title")
    .action(async (file: string, o) => {
      const token = o.token ?? process.env.HANDCARRY_PUBLISH_TOKEN;
      if (!token) throw new Error("a publish token is required (--token or HANDCARRY_PUBLISH_TOKEN)");
      const { publishCourse } = await import("./server.js");
      const r = await publishCourse({ masterUrl: o.master, token, course: o.course, file, title: o.title });
      process.stdout.write(
        r.unchanged
          ? `${r.course}: unchanged (${r.contentHash})\n`
          : `${r.course}: published ${r.contentHash} (${r.format}, ${r.size} bytes)\n`,
      );
    });
}

#!/usr/bin/env node
// handcarry — one entry point for every role: master, agent, sync, publish, delta, demo, provision.
import { Command } from "commander";
import { registerAgentCommands } from "./agent/cli.js";
import { registerSyncCommands } from "./agent/sync-cli.js";
import { registerDeltaCommands } from "./delta/cli.js";
import { registerDemoCommand } from "./demo/cli.js";
import { registerMasterCommands } from "./master/cli.js";
import { registerProvisionCommand } from "./provision/cli.js";
import { packageVersion } from "./version.js";

/** Token flags per command, and the environment variable that keeps the token off the command line. */
const SECRET_FLAGS: Record<string, Record<string, string>> = {
  sync: { "--token": "HANDCARRY_TOKEN" },
  publish: { "--token": "HANDCARRY_PUBLISH_TOKEN" },
  master: {
    "--read-token": "HANDCARRY_READ_TOKEN",
    "--publish-token": "HANDCARRY_PUBLISH_TOKEN",
    "--records-token": "HANDCARRY_RECORDS_TOKEN",
    "--lrs-password": "HANDCARRY_LRS_PASSWORD",
  },
};

/** A token on argv is visible to every user of the machine (ps, /proc) and kept in shell history. */
function warnSecretsOnArgv(args: string[]): void {
  const flags = SECRET_FLAGS[args[0] ?? ""] ?? {};
  for (const [flag, env] of Object.entries(flags))
    if (args.some((a) => a === flag || a.startsWith(`${flag}=`)))
      process.stderr.write(
        `handcarry: warning: ${flag} on the command line is visible to other users (ps) and kept in shell history; set ${env} instead\n`,
      );
}

const program = new Command();
program
  .name("handcarry")
  .description("Hand-carry course server: offline hotspot serving and minimal-delta sync with a master")
  .version(packageVersion(), "-V, --version")
  .showHelpAfterError();

registerMasterCommands(program);
registerSyncCommands(program);
registerAgentCommands(program);
registerDemoCommand(program);
registerDeltaCommands(program);
registerProvisionCommand(program);

warnSecretsOnArgv(process.argv.slice(2));
program.parseAsync(process.argv).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`handcarry: ${message}\n`);
  process.exitCode =
    typeof (err as { exitCode?: unknown })?.exitCode === "number"
      ? (err as { exitCode: number }).exitCode
      : 1;
});

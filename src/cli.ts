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

program.parseAsync(process.argv).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`handcarry: ${message}\n`);
  process.exitCode =
    typeof (err as { exitCode?: unknown })?.exitCode === "number"
      ? (err as { exitCode: number }).exitCode
      : 1;
});

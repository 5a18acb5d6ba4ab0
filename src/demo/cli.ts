/** `handcarry demo`: master + agent + sample courses on loopback, no Pi and no network needed. */
import { type Command, InvalidArgumentError } from "commander";

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError("port must be an integer 0-65535");
  return n;
}

export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description(
      "run a master and an agent on this machine with sample courses, sync a revision, serve the hotspot page",
    )
    .option("--port <port>", "hotspot page port (default 8080, 0 = any free port)", port)
    .option("--data <dir>", "keep everything here (default: a new temp dir)")
    .option("--once", "exit after the syncs instead of serving until Ctrl-C", false)
    .action(async (o: { port?: number; data?: string; once: boolean }) => {
      const { runDemo } = await import("./demo.js");
      const say = (line: string) => process.stdout.write(`${line}\n`);
      const demo = await runDemo({ port: o.port, dataDir: o.data, print: say });
      say("");
      say(`hotspot page:  ${demo.hotspotUrl}/`);
      say(`status:        ${demo.hotspotUrl}/status  (JSON: ${demo.hotspotUrl}/api/status)`);
      say(`admin:         ${demo.hotspotUrl}/admin   password: ${demo.adminPassword}`);
      if (o.once) {
        await demo.close();
        return;
      }
      say("serving; press Ctrl-C to stop");
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          demo.close().then(resolve, resolve);
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
    });
}

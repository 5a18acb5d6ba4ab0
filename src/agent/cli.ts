/** `handcarry agent`: the long-running Pi process (sync on connectivity, hotspot server, LEDs, button). */
import { type Command, InvalidArgumentError } from "commander";
import type { Device } from "../device/index.js";
import type { AgentLogger } from "./log.js";

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError("port must be an integer 0-65535");
  return n;
}

/** KEY=VALUE lines of /run/handcarry-wifi.env (the hotspot interface chosen at boot), if present. */
async function bootWifiEnv(): Promise<Record<string, string>> {
  const { readFile } = await import("node:fs/promises");
  const text = await readFile("/run/handcarry-wifi.env", "utf8").catch(() => "");
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^(HANDCARRY_[A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.replace(/^(["'])(.*)\1$/, "$2");
  }
  return out;
}

/**
 * Off the Pi the button is a simulated twin: SIGUSR1 gives it a short press ("sync now"),
 * so a simulated device (a virtual machine, a laptop) is driven like a real one. Returns
 * the function that stops listening.
 */
function pressTwinOnSignal(device: Device, log: AgentLogger): () => void {
  const twin = device.sim?.button;
  if (!twin) return () => {};
  const press = () => {
    log.info({}, "simulated button: pressed");
    twin.press(TWIN_PRESS_MS);
  };
  process.on("SIGUSR1", press);
  return () => process.off("SIGUSR1", press);
}

/** Longer than the debounce, shorter than a long press. */
const TWIN_PRESS_MS = 200;

interface AgentFlags {
  data?: string;
  master?: string;
  port?: number;
  contentPort?: number;
  host?: string;
  config?: string;
}

export function registerAgentCommands(program: Command): void {
  program
    .command("agent")
    .description("serve courses to hotspot clients and sync them from the master whenever a network appears")
    .option("--data <dir>", "agent data directory (env HANDCARRY_DATA)")
    .option("--master <url>", "master URL (env HANDCARRY_MASTER)")
    .option("--port <port>", "HTTP port for hotspot clients (default 80; env HANDCARRY_PORT)", port)
    .option(
      "--content-port <port>",
      "HTTP port where course packages run (default: --port + 1; the image: 8080; env HANDCARRY_CONTENT_PORT)",
      port,
    )
    .option(
      "--host <addresses>",
      "address(es) to listen on, comma-separated (default 0.0.0.0; the image: 10.42.0.1,127.0.0.1; env HANDCARRY_HOST)",
    )
    .option("--config <file>", "JSON config file, see the README for its keys (env HANDCARRY_CONFIG)")
    .action(async (o: AgentFlags) => {
      // Everything the agent writes (state, secrets, courses) is its user's alone, whatever the umask.
      process.umask(0o077);
      // Heavy modules (Koa, level, the sync client) load only when the agent actually starts.
      const { loadAgentConfig } = await import("./config.js");
      const { startAgent } = await import("./agent.js");
      const { pino } = await import("pino");
      const config = await loadAgentConfig({
        file: o.config,
        env: { ...(await bootWifiEnv()), ...process.env },
        flags: {
          dataDir: o.data,
          masterUrl: o.master,
          port: o.port,
          contentPort: o.contentPort,
          host: o.host,
        },
      });
      const log = pino({ name: "handcarry-agent" }, pino.destination(2));
      const agent = await startAgent({ config, logger: log });
      // url is where this machine reaches it; listen says which addresses it answers on.
      const { listenAddresses } = await import("../http/listen.js");
      const addresses = listenAddresses(config.host);
      const port = new URL(agent.url).port || 80;
      const everywhere = addresses.some((a) => a === "0.0.0.0" || a === "::");
      const listen = `${addresses.map((a) => `${a}:${port}`).join(", ")}${everywhere ? " (all addresses)" : ""}`;
      log.info(
        { listen, url: agent.url, content: agent.contentUrl, data: config.dataDir, master: config.masterUrl },
        "agent serving",
      );
      const stopTwinButton = pressTwinOnSignal(agent.device, log);
      // Each new state in the journal, with what the LEDs show: the carrier's view, in words.
      agent.machine.on("change", (next, previous) => {
        if (next.name !== previous.name)
          log.info({ state: next.name, leds: agent.device.leds.state }, "state");
      });
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          stopTwinButton();
          log.info({}, "stopping");
          agent.close().then(resolve, resolve);
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
    });
}

// Child process of `npm run bench -- idle`: one real agent (hotspot server listening,
// connectivity timer every 5 s, LEDs on the simulated twin, state in LevelDB) whose CPU the
// parent measures. The link is a fake /proc + /sys tree so "offline" is truly offline even
// on a machine with a network. Talks to the parent over IPC: ready → start → stop.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startAgent } from "../src/agent/agent.js";
import { parseAgentConfig } from "../src/agent/config.js";
import { createDevice } from "../src/device/index.js";

interface ChildArgs {
  dataDir: string;
  masterUrl: string;
  online: boolean;
}

const args = JSON.parse(process.env.HANDCARRY_IDLE_ARGS ?? "{}") as ChildArgs;
const HEADER = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";
const link = join(args.dataDir, "link");
mkdirSync(join(link, "proc/net"), { recursive: true });
mkdirSync(join(link, "sys/class/net/eth0"), { recursive: true });
writeFileSync(join(link, "sys/class/net/eth0/carrier"), "1\n");
writeFileSync(
  join(link, "proc/net/route"),
  HEADER + (args.online ? "eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n" : ""),
);

const device = await createDevice({
  mode: "simulated",
  probes: { roots: { proc: join(link, "proc"), sys: join(link, "sys") }, dataPath: args.dataDir },
});
const agent = await startAgent({
  config: parseAgentConfig({
    dataDir: join(args.dataDir, "agent"),
    masterUrl: args.masterUrl,
    host: "127.0.0.1",
    port: 0,
    adminPassword: "bench-password",
  }),
  device,
});

// Settle: offline → serving; online → the first sync ends (updated).
const want = args.online ? "updated" : "serving";
while (agent.machine.name !== want || agent.isSyncing()) await new Promise((r) => setTimeout(r, 100));
await agent.idle();

let ledEventsAtStart = 0;
let observationsAtStart = 0;
process.on("message", async (m: string) => {
  if (m === "start") {
    ledEventsAtStart = device.sim!.leds.timeline.length;
    observationsAtStart = agent.connectivity.observations;
    process.send!({ type: "start", cpu: process.cpuUsage(), at: process.hrtime.bigint().toString() });
  } else if (m === "stop") {
    process.send!({
      type: "stop",
      cpu: process.cpuUsage(),
      at: process.hrtime.bigint().toString(),
      state: agent.machine.name,
      ledEvents: device.sim!.leds.timeline.length - ledEventsAtStart,
      observations: agent.connectivity.observations - observationsAtStart,
      rssMB: process.memoryUsage().rss / (1 << 20),
    });
  } else if (m === "exit") {
    await agent.close();
    device.close();
    process.exit(0);
  }
});
process.send!({ type: "ready", state: agent.machine.name });

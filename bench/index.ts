// npm run bench -- <suite> [options]: benchmarks that measure speed, memory and bytes on
// the wire against peers in the same run. Results land in bench/out/.
import { benchDelta } from "./delta.js";
import { benchIdle } from "./idle.js";
import { benchPi } from "./pi.js";
import { benchRecords } from "./records.js";
import { benchServe } from "./serve.js";
import { benchTransfer } from "./transfer.js";

const suites: Record<string, (args: string[]) => Promise<void>> = {
  delta: benchDelta,
  transfer: benchTransfer,
  serve: benchServe,
  idle: benchIdle,
  pi: benchPi,
  records: benchRecords,
};

const [name = "delta", ...rest] = process.argv.slice(2);
const suite = suites[name];
if (!suite) {
  console.error(`unknown bench suite "${name}"; choose one of: ${Object.keys(suites).join(", ")}`);
  process.exit(2);
}
await suite(rest);

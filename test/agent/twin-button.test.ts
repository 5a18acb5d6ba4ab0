// `handcarry agent` off the Pi, as a real process: SIGUSR1 presses its simulated twin
// button (a short press: sync now), and the agent's log names each new state with what
// its LEDs show. The boot test drives the agent in a virtual machine the same way.
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fullCourse, generateCourse, writeCourse } from "../../src/demo/sample-course.js";
import { spawnAgentCli } from "../support/cli.js";
import { waitFor } from "../support/wait.js";
import { type TestMaster, tempDir, testMaster } from "./helpers.js";

let dir: Awaited<ReturnType<typeof tempDir>>;
let master: TestMaster;
let agent: ChildProcess;
/** The agent's log lines (pino JSON on stderr), parsed. */
const lines: { msg: string; state?: string; leds?: string }[] = [];

beforeAll(async () => {
  dir = await tempDir("hc-twin-button-");
  master = await testMaster(join(dir.path, "master"));
  const course = join(dir.path, "course.mbz");
  await writeCourse(generateCourse(fullCourse({ seed: 3, scale: 0.05 })), "zip", course);
  await master.publish("health", course, "Community health");
  agent = spawnAgentCli({ dataDir: join(dir.path, "agent"), masterUrl: master.url, port: 0 }, [
    "ignore",
    "ignore",
    "pipe",
  ]);
  let rest = "";
  agent.stderr!.on("data", (chunk: Buffer) => {
    const text = rest + chunk.toString();
    const complete = text.split("\n");
    rest = complete.pop() ?? "";
    for (const line of complete) {
      try {
        lines.push(JSON.parse(line));
      } catch {
        // not a log line
      }
    }
  });
});

afterAll(async () => {
  if (agent?.exitCode === null) agent.kill("SIGKILL");
  await master?.close();
  await dir?.remove();
});

const messagesFrom = (start: number) => lines.slice(start).map((l) => l.msg);
const syncEndedAfter = (start: number) =>
  messagesFrom(start).some((m) => m === "sync done" || m === "sync failed");

describe("the simulated button of a running agent", () => {
  it("SIGUSR1 is a short press: a sync, its states and LED patterns in the log", async () => {
    await waitFor(() => messagesFrom(0).includes("agent serving"), "the agent to serve");
    // The first press (or the agent's own start on a network) brings the course.
    agent.kill("SIGUSR1");
    await waitFor(
      () => lines.some((l) => l.msg === "state" && l.state === "updated"),
      () => `the course installed (log: ${messagesFrom(0).join(" | ")})`,
      { timeoutMs: 5 * 60_000 },
    );
    await waitFor(() => syncEndedAfter(0), "the first sync to end");

    const start = lines.length;
    agent.kill("SIGUSR1");
    await waitFor(() => syncEndedAfter(start), "the pressed sync to end");
    expect(messagesFrom(start).filter((m) => m !== "state")).toEqual([
      "simulated button: pressed",
      "button: sync now",
      "sync cycle",
      "sync done",
    ]);
    // Nothing new on the master: checking (green blinks once a second), then serving.
    expect(
      lines
        .slice(start)
        .filter((l) => l.msg === "state")
        .map(({ state, leds }) => ({ state, leds })),
    ).toEqual([
      { state: "checking", leds: "checking" },
      { state: "serving", leds: "serving" },
    ]);
  });
});

// Scenario archives for sync tests: written once per test file into a temp dir.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ScenarioFiles, scenarios, writeScenario } from "../../src/demo/sample-course.js";

/** All seven research scenarios in one format, small (scale 0.02 ≈ 0.2 MB of media) so tests stay fast. */
export async function scenarioFiles(
  format: "zip" | "tar.gz",
  scale = 0.02,
): Promise<{ dir: string; files: ScenarioFiles[] }> {
  const dir = await mkdtemp(join(tmpdir(), `hc-scen-${format.replace(".", "")}-`));
  const files: ScenarioFiles[] = [];
  for (const s of scenarios({ scale, seed: 7 }))
    files.push(await writeScenario(s, join(dir, s.name), format));
  return { dir, files };
}

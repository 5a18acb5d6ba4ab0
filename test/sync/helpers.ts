// Scenario archives for sync tests: written once per test file into a temp dir.
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Manifest } from "../../src/archive/index.js";
import { type ScenarioFiles, scenarios, writeScenario } from "../../src/demo/sample-course.js";
import { stageCourseDelta } from "../../src/sync/apply.js";
import type { OldView } from "../../src/sync/course.js";
import { applyTreeChanges } from "../../src/sync/tree-changes.js";

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

/**
 * Apply a course delta the agent's way onto a copy of the old tree at `outRoot`: stage the
 * changed files, then make the tree changes on the copy. On a refused delta nothing is left.
 */
export async function applyToCopy(o: {
  deltaPath: string;
  old: OldView;
  outRoot: string;
}): Promise<Manifest> {
  const stagingDir = `${o.outRoot}.staged`;
  const staged = await stageCourseDelta({ deltaPath: o.deltaPath, old: o.old, stagingDir });
  await cp(o.old.root!, o.outRoot, { recursive: true });
  await applyTreeChanges(o.outRoot, stagingDir, staged.changes);
  await rm(stagingDir, { recursive: true, force: true });
  return staged.manifest;
}

// The boot test's root, cached: a root with stage-handcarry and the boot packages (kernel,
// probe tools) installed is kept as a tarball per architecture and package-lock.json, since
// building it is the slow part (an arm64 root under qemu-user takes most of an hour: the
// agent's native modules are compiled there). A later run unpacks it and runs the stage on
// it again, as pi-gen's CONTINUE=1 does, so the agent's code, units and settings are the
// current ones; only debootstrap and `npm ci` are skipped. A new lockfile builds a new root
// and deletes that architecture's older tarballs.
import { existsSync } from "node:fs";
import { readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { imageCache, imageEnv, imageTestDir, installStage, repo, sha256, step } from "../support.js";

/** Bump to drop every cached root, e.g. when what --packages-only installs changes. */
const CACHE_VERSION = "v1";

/** Where a root for this architecture and lockfile is kept. */
export async function cachedRootPath(arch: string): Promise<string> {
  const lock = (await sha256(join(repo, "package-lock.json"))).slice(0, 16);
  return join(imageCache(), `boot-root-${CACHE_VERSION}-${arch}-${lock}.tar`);
}

/** A stage root ready for prepare-boot-root.sh, from the cache when it has one. */
export async function bootRoot(tmp: string, log: string, configLines: string, arch: string): Promise<string> {
  const cached = await cachedRootPath(arch);
  const hit = existsSync(cached);
  console.log(`boot test: ${arch} root ${hit ? `from the cache (${cached})` : "built (no cached one)"}`);
  const { root } = await installStage(tmp, log, configLines, { arch, seedRoot: hit ? cached : undefined });
  const env = imageEnv(imageCache(), arch);
  const prepare = join(imageTestDir, "boot/prepare-boot-root.sh");
  await step("boot packages", prepare, ["--packages-only", root, arch], env, log);
  if (!hit) await keep(root, cached, arch, log);
  return root;
}

async function keep(root: string, cached: string, arch: string, log: string) {
  const partial = `${cached}.partial-${process.pid}`;
  // The apt archives are the cache's own bind mount, empty in the tree once it is unmounted.
  await step("cache the root", "tar", ["-C", root, "--numeric-owner", "-cf", partial, "."], process.env, log);
  for (const name of await readdir(imageCache())) {
    if (name.startsWith(`boot-root-`) && name.includes(`-${arch}-`) && join(imageCache(), name) !== cached) {
      await rm(join(imageCache(), name), { force: true });
    }
  }
  await rename(partial, cached);
}

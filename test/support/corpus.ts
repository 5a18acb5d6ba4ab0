// Where the shared course corpus lives: HANDCARRY_CORPUS, else ../shared/corpus beside
// the checkout (how CI lays it out), else /work/shared/corpus. Read in place, never copied.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

function findCorpus(): string {
  const candidates = [
    process.env.HANDCARRY_CORPUS,
    join(repoRoot, "..", "shared", "corpus"),
    "/work/shared/corpus",
  ].filter((p): p is string => Boolean(p));
  return candidates.find((p) => existsSync(p)) ?? candidates[0]!;
}

/** The corpus folder (it may not exist: tests skip with a message then). */
export const CORPUS_DIR = findCorpus();
/** The real Moodle 5.1 backups of one course at several revisions. */
export const MOODLE51_DIR = join(CORPUS_DIR, "moodle51");
/** True when the corpus is present on this machine. */
export const corpusPresent = existsSync(CORPUS_DIR);

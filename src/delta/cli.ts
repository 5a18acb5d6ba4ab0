/** `handcarry delta signature|delta|patch`: a drop-in for rdiff's three verbs. */
import { type Command, InvalidArgumentError, Option } from "commander";

// The engine (and hash-wasm's WebAssembly) loads only when a delta command runs, so
// `handcarry --help` and the other roles start fast on a Pi.
const engine = () => import("./files.js");

/** rdiff exits 101 on a usage error. */
const USAGE_EXIT = 101;

function intArg(name: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min)
      throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}`);
    return n;
  };
}

export function registerDeltaCommands(program: Command): void {
  const delta = program
    .command("delta")
    .description("rsync deltas in librsync's format, interchangeable with rdiff's files")
    .exitOverride((err) => {
      if (err.exitCode === 0) process.exit(0);
      process.exit(USAGE_EXIT);
    });

  delta
    .command("signature")
    .description('write the block signature of OLD ("-" = stdin) to SIG (default stdout)')
    .argument("<old>", "old file")
    .argument("[sig]", "signature file to write", "-")
    .option(
      "-b, --block-size <bytes>",
      "block size, 0 = rdiff's recommended size",
      intArg("block size", 0),
      0,
    )
    .option(
      "-S, --sum-size <bytes>",
      "strong sum bytes per block, 0 = full, -1 = minimum safe",
      intArg("sum size", -1),
      0,
    )
    .addOption(new Option("-H, --hash <alg>", "strong hash").choices(["blake2", "md4"]).default("blake2"))
    .addOption(
      new Option("-R, --rollsum <alg>", "rolling checksum")
        .choices(["rabinkarp", "rollsum"])
        .default("rabinkarp"),
    )
    .option("-f, --force", "overwrite an existing output file", false)
    .action(async (old: string, sig: string, o) => {
      await (await engine()).signatureFile(old, sig, {
        blockLen: o.blockSize,
        strongLen: o.sumSize,
        hash: o.hash,
        rollsum: o.rollsum,
        force: o.force,
      });
    });

  delta
    .command("delta")
    .description(
      'write the delta that turns SIG\'s old file into NEW ("-" = stdin) to DELTA (default stdout)',
    )
    .argument("<sig>", "signature of the old file")
    .argument("[new]", "new file", "-")
    .argument("[delta]", "delta file to write", "-")
    .option("-f, --force", "overwrite an existing output file", false)
    .option("-s, --statistics", "print match statistics to stderr", false)
    .action(async (sig: string, neu: string, out: string, o) => {
      await (await engine()).deltaFile(sig, neu, out, {
        force: o.force,
        onStats: (s) => {
          if (o.statistics) {
            process.stderr.write(
              `handcarry delta: ${s.copyCommands} copies (${s.copyBytes} bytes), ` +
                `${s.literalCommands} literals (${s.literalBytes} bytes)\n`,
            );
          }
        },
      });
    });

  delta
    .command("patch")
    .description('apply DELTA ("-" = stdin) to OLD and write the new file to OUT (default stdout)')
    .argument("<old>", "old file (read at random offsets)")
    .argument("[delta]", "delta file", "-")
    .argument("[out]", "new file to write", "-")
    .option("-f, --force", "overwrite an existing output file", false)
    .action(async (old: string, d: string, out: string, o) => {
      await (await engine()).patchFile(old, d, out, { force: o.force });
    });
}

// npm run test:boot: the image booted under qemu (test/image/boot). Slow (tens of minutes
// on a loaded 2-core machine) and root-only, so it is not part of `npm test`.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/image/boot/**/*.boot.ts"],
    testTimeout: 60 * 60_000,
    hookTimeout: 60 * 60_000,
    maxWorkers: 1,
  },
});

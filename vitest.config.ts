import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Generous ceilings: every wait inside a test ends on an event or a condition (see
    // test/support/wait.ts), so these only decide how long a real hang takes to report. On a
    // loaded 2-core machine a test that takes 20 s alone has taken several minutes.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    // Two cores in CI: run files in parallel, but not more workers than cores.
    maxWorkers: 2,
  },
});

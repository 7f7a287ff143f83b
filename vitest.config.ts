import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    maxWorkers: 2,
    // A ceiling, not a pace: tests wait on events, and a loaded 2-core machine can take minutes to open PGlite in a child.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});

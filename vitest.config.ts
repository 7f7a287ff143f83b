import { BaseSequencer } from "vitest/node";
import type { TestSpecification } from "vitest/node";
import { defineConfig } from "vitest/config";

/**
 * The files that take longest (12 s and more in a whole run on the loaded 2-core CI machine), longest first.
 * Started first, they end while the two workers share the many short files; started last (vitest orders an
 * unknown file by its size), one of them runs alone at the end. Vitest's own record of the last run's
 * durations (node_modules/.vite) orders the rest, and replaces this list once every file has one.
 */
const SLOW_FIRST = [
  "test/store/backup.test.ts",
  "test/collect/pacing.test.ts",
  "test/daemon/daemon.test.ts",
  "test/faults/split-sigkill.test.ts",
  "test/faults/split-refusing-gateway.test.ts",
  "test/collect/split.test.ts",
  "test/faults/pacing-storm.test.ts",
  "test/faults/disk-full.test.ts",
  "test/dashboard/dashboard-api.test.ts",
  "test/store/chain-views.test.ts",
  "test/export/export.test.ts",
  "test/collect/market-data.test.ts",
  "test/store/data-dir-lock.test.ts",
  "test/faults/db-outage.test.ts",
  "test/faults/daemon-sigkill.test.ts",
  "test/faults/gateway-outage.test.ts",
  "test/faults/collect-sigkill-pglite.test.ts",
  "test/collect/spool.test.ts",
  "test/acceptance/never-silent.test.ts",
  "test/faults/daemon-gateway.test.ts",
  "test/store/pglite-wal.test.ts",
  "test/faults/silent-gateway.test.ts",
  "test/cli/db.test.ts",
  "test/faults/collect-sigterm.test.ts",
  "test/faults/force-replace.test.ts",
  "test/daemon/signals.test.ts",
  "test/faults/run-owner.test.ts",
  "test/dashboard/storage-timescale.test.ts",
  "test/export/export-served.test.ts",
  "test/collect/index-options.test.ts",
  "test/dashboard/browser.test.ts",
];

class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    if (files.every((spec) => this.ctx.cache.getTestSpecificationResult(spec))) return sorted;
    const rank = (spec: TestSpecification) => {
      const index = SLOW_FIRST.findIndex((file) => spec.moduleId.endsWith(`/${file}`));
      return index < 0 ? SLOW_FIRST.length : index;
    };
    // A stable sort: the files not in the list keep vitest's order.
    return sorted.toSorted((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    // Three on two cores: most of a file's time is spent waiting on paced gateways, heartbeats and child processes,
    // not computing (a whole run uses about 1.3 cores with two workers); the third fills that idle time.
    maxWorkers: 3,
    sequence: { sequencer: SlowFirstSequencer },
    // A ceiling, not a pace: tests wait on events, and a loaded 2-core machine can take minutes to open PGlite in a child.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});

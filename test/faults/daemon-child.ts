/**
 * `chainvault daemon` in a process of its own, with one difference: its clock starts at
 * CHAINVAULT_TEST_CLOCK_START (ISO 8601) at the wall-clock instant CHAINVAULT_TEST_CLOCK_BASE (ms) and then
 * runs in real time, so that every daemon a test starts agrees on when the slot under test is due.
 * Run with `node --import tsx test/faults/daemon-child.ts --config chainvault.yaml`.
 */
import { runDaemon } from "../../src/cli/daemon.ts";
import type { Clock } from "../../src/core/clock.ts";
import { systemClock } from "../../src/core/clock.ts";

const start = Date.parse(process.env.CHAINVAULT_TEST_CLOCK_START ?? "");
const base = Number(process.env.CHAINVAULT_TEST_CLOCK_BASE);
if (Number.isNaN(start) || Number.isNaN(base)) throw new Error("set CHAINVAULT_TEST_CLOCK_START and _BASE");
const clock: Clock = { now: () => new Date(start + Date.now() - base), sleep: systemClock.sleep };

const configIndex = process.argv.indexOf("--config");
const stopRequested = new Promise<NodeJS.Signals>((resolve) => {
  process.once("SIGTERM", resolve);
  process.once("SIGINT", resolve);
});
const { outcome } = await runDaemon(
  { config: configIndex > 0 ? process.argv[configIndex + 1] : undefined, jsonLogs: true },
  stopRequested,
  clock,
);
process.exit(outcome === "stopped" ? 0 : 1);

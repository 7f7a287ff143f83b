import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { etInstant } from "../../src/calendar/index.ts";
import { jobIdFor } from "../../src/daemon/queue.ts";
import type { Database } from "../../src/store/database.ts";
import { statusOf, storedQuotes } from "./checks.ts";
import { startFaultSetup, startProcess, waitFor } from "./fixture.ts";
import type { FaultSetup, RunningProcess } from "./fixture.ts";

const DATE = "2026-03-09";
const SLOT = `eod:SPY:${DATE}`;
const HEARTBEAT_SECONDS = Number(process.env.CHAINVAULT_FAULT_HEARTBEAT_SECONDS ?? 10); // pg-boss's minimum
const RETRY_DELAY_SECONDS = Number(process.env.CHAINVAULT_FAULT_RETRY_DELAY_SECONDS ?? 1);
const CHILD = fileURLToPath(new URL("./daemon-child.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

interface SlotRun {
  daemonId: string;
  outcome: string | null;
  startedAt: Date;
}

async function slotRuns(db: Database): Promise<SlotRun[]> {
  const result = await db.query<{ daemon_id: string; outcome: string | null; started_at: Date }>(
    "SELECT daemon_id, outcome, started_at FROM daemon_slot_runs WHERE slot_key = $1 ORDER BY id",
    [SLOT],
  );
  return result.rows.map((row) => ({
    daemonId: row.daemon_id,
    outcome: row.outcome,
    startedAt: row.started_at,
  }));
}

/** The pg-boss state of the slot's job (active while claimed, retry once handed back). */
async function jobState(db: Database): Promise<string | null> {
  const result = await db.query<{ state: string }>(
    "SELECT state::text AS state FROM pgboss.job WHERE id = $1",
    [jobIdFor(SLOT)],
  );
  return result.rows[0]?.state ?? null;
}

/**
 * `kill -9` of the daemon in the middle of a collection slot. Nothing in the dead process can hand the job
 * back: it stays `active` in pg-boss until its heartbeat is `heartbeat_seconds` old, which the next daemon's
 * supervisor (every half heartbeat) notices; the job then waits its retry delay and that daemon runs it,
 * resuming from the rows stored. The test measures kill → hand-back → re-run with a 10 s heartbeat and a 1 s
 * retry delay; the defaults (30 s, 60 s) were measured by hand with CHAINVAULT_FAULT_HEARTBEAT_SECONDS=30
 * CHAINVAULT_FAULT_RETRY_DELAY_SECONDS=60 (see docs/daemon.md).
 */
describe("SIGKILL of the daemon mid-slot", () => {
  let setup: FaultSetup;
  let db: Database;
  const daemons: RunningProcess[] = [];

  beforeAll(async () => {
    setup = await startFaultSetup({
      engine: "postgres",
      date: DATE,
      sim: { snapshotLatencyMs: 50 },
      config: {
        symbols: ["SPY"],
        ib: { max_market_data_lines: 2 },
        collect: { write_batch_rows: 10, connect_attempts: 2 },
        selection: { max_days_to_expiry: 1 },
        schedule: { timezone: "Asia/Jerusalem" },
        daemon: {
          heartbeat_seconds: HEARTBEAT_SECONDS,
          retry_delay_seconds: RETRY_DELAY_SECONDS,
          retry_delay_max_seconds: 2 * RETRY_DELAY_SECONDS,
          tick_seconds: 1,
          // The EOD slot, due at 16:45 ET, is a few seconds old when the first daemon starts.
          first_start_lookback_hours: 0.05,
          shutdown_grace_seconds: 10,
        },
        // Several daemons on one machine: each its own free port for the endpoints.
        http: { port: 0 },
      },
    });
    db = setup.db!;
  });
  afterAll(async () => {
    for (const daemon of daemons) daemon.child.kill("SIGKILL");
    await setup?.close();
  });

  it(
    "a new daemon re-runs the slot after the heartbeat expires and its backoff, resuming it",
    { timeout: (HEARTBEAT_SECONDS * 3 + RETRY_DELAY_SECONDS * 3 + 180) * 1000 },
    async () => {
      const clockEnv = {
        ...setup.env,
        CHAINVAULT_TEST_CLOCK_START: etInstant(DATE, "16:45").toISOString(),
        CHAINVAULT_TEST_CLOCK_BASE: String(Date.now() - 2_000),
      };
      const start = () => {
        // From the repository, where `--import tsx` resolves; the configuration is named by its full path.
        const daemon = startProcess(["--config", setup.config], {
          env: clockEnv,
          cwd: ROOT,
          script: CHILD,
          execArgv: ["--import", "tsx"],
        });
        daemons.push(daemon);
        return daemon;
      };
      const first = start();
      await waitFor(
        "the slot's first rows",
        async () => (await storedQuotes(db, { date: DATE })).rows >= 20,
        {
          timeoutMs: 120_000,
          process: first,
        },
      );
      first.child.kill("SIGKILL");
      const killedAt = Date.now();
      expect((await first.exited).signal).toBe("SIGKILL");
      const [killedRun] = await slotRuns(db);
      const killed = await storedQuotes(db, { date: DATE });
      expect((await statusOf(db, "SPY", DATE))?.status).toBe("running");

      // Restarted at once, as systemd or launchd would (after their restart delay).
      const second = start();
      await waitFor("the job to be handed back", async () => (await jobState(db)) === "retry", {
        timeoutMs: (HEARTBEAT_SECONDS * 3 + 30) * 1000,
        process: second,
      });
      const handedBackSeconds = (Date.now() - killedAt) / 1000;
      await waitFor("the slot to run again", async () => (await slotRuns(db)).length >= 2, {
        timeoutMs: (RETRY_DELAY_SECONDS * 3 + 30) * 1000,
        process: second,
      });
      const recoverySeconds = (Date.now() - killedAt) / 1000;
      console.log(
        `job handed back ${handedBackSeconds.toFixed(1)} s and the slot re-run ${recoverySeconds.toFixed(1)} s ` +
          `after the kill (heartbeat ${HEARTBEAT_SECONDS} s, checked every ${HEARTBEAT_SECONDS / 2} s, ` +
          `retry delay ${RETRY_DELAY_SECONDS} s)`,
      );
      // Handed back once the killed worker's heartbeat is stale (0.5-1 heartbeat after the kill, as it was
      // refreshed every half heartbeat) and the next check runs (every half heartbeat); then the backoff
      // (1-2 retry delays) and a poll (2 s).
      expect(handedBackSeconds).toBeGreaterThanOrEqual(HEARTBEAT_SECONDS / 2);
      expect(handedBackSeconds).toBeLessThan(HEARTBEAT_SECONDS * 1.5 + 5);
      expect(recoverySeconds - handedBackSeconds).toBeGreaterThanOrEqual(RETRY_DELAY_SECONDS - 0.5);
      expect(recoverySeconds).toBeLessThan(HEARTBEAT_SECONDS * 1.5 + 2 * RETRY_DELAY_SECONDS + 2 + 10);

      await waitFor("the re-run to complete", async () => (await slotRuns(db))[1]?.outcome === "completed", {
        timeoutMs: 90_000,
        process: second,
      });
      const runs = await slotRuns(db);
      expect(runs).toHaveLength(2);
      expect(runs[0]).toEqual({ ...killedRun, outcome: null }); // the killed attempt never finished
      expect(runs[1]!.daemonId).not.toBe(killedRun!.daemonId);
      expect(runs[1]!.outcome).toBe("completed");
      const done = await storedQuotes(db, { date: DATE });
      expect((await statusOf(db, "SPY", DATE))?.records_collected).toBe(done.rows);
      expect(done.distinctContracts).toBe(done.rows);
      expect(done.rows).toBeGreaterThan(killed.rows);
      expect([...killed.keys].filter((key) => !done.keys.has(key))).toEqual([]);

      second.child.kill("SIGTERM");
      expect((await second.exited).code, second.stderr()).toBe(0);
    },
  );
});

import { symbolNames } from "../../src/config/symbols.ts";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attachAlerter } from "../../src/alerts/attach.ts";
import type { AttachedAlerter } from "../../src/alerts/attach.ts";
import { etInstant } from "../../src/calendar/index.ts";
import { loadConfig } from "../../src/config/load.ts";
import type { Config } from "../../src/config/schema.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { EventBus } from "../../src/core/events.ts";
import type { ChainvaultEvent } from "../../src/core/events.ts";
import type { Daemon } from "../../src/daemon/daemon-process.ts";
import { planFromSchedule } from "../../src/daemon/daemon-process.ts";
import { openDaemonDatabase } from "../../src/daemon/engine.ts";
import type { DaemonDatabase } from "../../src/daemon/engine.ts";
import { createDaemonMonitor } from "../../src/http/monitor.ts";
import type { DaemonMonitor } from "../../src/http/monitor.ts";
import { startSimulator } from "../../src/sim/server.ts";
import type { Simulator } from "../../src/sim/server.ts";
import { migrate } from "../../src/store/migrate.ts";
import { startSmtpReceiver, startWebhookReceiver } from "../helpers/alert-receivers.ts";
import type { SmtpReceiver, WebhookReceiver } from "../helpers/alert-receivers.ts";
import { runMain } from "../helpers/cli.ts";
import { createServerDatabase } from "../helpers/db.ts";
import { waitUntil } from "../helpers/wait.ts";
import { Scrape } from "../http/scrape.ts";
import { CollectorProbe, logger, settle, slotInstants, startDaemon } from "../daemon/harness.ts";

/**
 * Issue 10's acceptance test: two simulated weeks of a daemon (SPY, EOD only) on PostgreSQL against the
 * simulated gateway, with three nights going wrong, and every way chainvault reports them checked at once:
 * `status`, the alerts on a webhook and by e-mail, /metrics and `quality`.
 */

const DATES = {
  missed: "2026-03-11", // Wednesday: the daemon is down from Tuesday's EOD to Thursday's.
  deadLettered: "2026-03-16", // Monday: a competing live session, every market-data request refused (10197).
  partial: "2026-03-20", // Friday: a fifth of the contracts never answer.
} as const;
const FROM = "2026-03-09";
const TO = "2026-03-20";
const SMTP_USER = "chainvault-e2e";
const SMTP_PASSWORD = "e2e-smtp-pa$$word";
const HOOK_ENV = "CHAINVAULT_E2E_HOOK_URL";
const SMTP_ENV = "CHAINVAULT_E2E_SMTP_PASSWORD";
/** Attempts of a slot before it is dead-lettered: the first and two retries. */
const RETRY_LIMIT = 2;

interface StatusSlot {
  date: string;
  symbol: string;
  type: string;
  manual: boolean;
  outcome: string;
  run_id: string | null;
  selected: number | null;
  stored: number | null;
  coverage: number | null;
  error: string | null;
}
interface StatusReport {
  counts: Record<string, number>;
  failed: boolean;
  slots: StatusSlot[];
}
interface QualityReport {
  issues: { collection_date: string; symbol: string; rule: string; severity: string; run_id: string }[];
}

const seconds = (date: Date) => date.getTime() / 1000;

describe("never silent: two weeks of the daemon with a dead-lettered, a missed and a partial night", () => {
  let server: Awaited<ReturnType<typeof createServerDatabase>>;
  let sim: Simulator;
  let webhook: WebhookReceiver;
  let smtp: SmtpReceiver;
  let dir: string;
  let configFile: string;
  let config: Config;
  const opened: DaemonDatabase[] = [];
  const saved = {
    DATABASE_URL: process.env.DATABASE_URL,
    [HOOK_ENV]: process.env[HOOK_ENV],
    [SMTP_ENV]: process.env[SMTP_ENV],
  };

  const cli = (...argv: string[]) => runMain([...argv, "--config", configFile]);
  const status = async () => {
    const result = await cli("status", "--from", FROM, "--to", TO, "--json");
    return { code: result.code, report: JSON.parse(result.stdout) as StatusReport };
  };
  /** What the webhook received, one "kind state date symbol" per alert, sorted. */
  const hookAlerts = () =>
    webhook
      .accepted()
      .map(
        (alert) =>
          `${String(alert.kind)} ${String(alert.state)} ${String(alert.date)} ${String(alert.symbol)}`,
      )
      .sort();
  const mailSubjects = () => smtp.mails.map((mail) => mail.subject).sort();

  beforeAll(async () => {
    server = await createServerDatabase();
    sim = await startSimulator({
      port: 0,
      start: { date: "2026-03-08", timeEt: "12:00" },
      rate: Infinity,
      lines: Infinity,
      snapshotLatencyMs: 0,
    });
    webhook = await startWebhookReceiver();
    smtp = await startSmtpReceiver(SMTP_USER, SMTP_PASSWORD);
    process.env.DATABASE_URL = server.url;
    process.env[HOOK_ENV] = webhook.url("/hooks/chainvault-e2e");
    process.env[SMTP_ENV] = SMTP_PASSWORD;
    dir = await mkdtemp(path.join(tmpdir(), "chainvault-never-silent-"));
    configFile = path.join(dir, "chainvault.yaml");
    // One file for the daemon and the CLI, as on a user's machine. EOD only: every other slot is off.
    const off = [
      "pre_market",
      "analytics",
      "weekly_discovery",
      "pre_expiry",
      "settlement",
      "monthly_discovery",
      "expiry_processing",
      "post_expiry",
      "gap_check",
      "weekend_review",
      "weekend_prep",
      "backup",
      "archive",
    ];
    await writeFile(
      configFile,
      [
        "symbols: [SPY]",
        "ib:",
        `  host: ${sim.host}`,
        `  port: ${sim.port}`,
        "  client_id: 41",
        "  max_messages_per_second: 1000",
        "selection:",
        "  max_days_to_expiry: 1",
        "  tiers:",
        "    low_iv: { range: 0.02, min_strikes: 3 }",
        "    normal_iv: { range: 0.02, min_strikes: 3 }",
        "    high_iv: { range: 0.02, min_strikes: 3 }",
        "collect:",
        "  include_vix: false",
        "  snapshot_timeout_ms: 500",
        "  max_attempts: 1",
        "  connect_attempts: 2",
        "schedule:",
        "  timezone: Asia/Jerusalem",
        ...off.map((slot) => `  ${slot}: { enabled: false }`),
        "alerts:",
        "  retry_delay_seconds: 0.01",
        "  channels:",
        "    - type: webhook",
        "      name: team-hook",
        `      url_env: ${HOOK_ENV}`,
        "    - type: email",
        "      name: quant-mail",
        `      smtp: { host: 127.0.0.1, port: ${smtp.port}, user: ${SMTP_USER}, password_env: ${SMTP_ENV} }`,
        "      from: chainvault@127.0.0.1",
        "      to: [quant@127.0.0.1]",
        "log:",
        "  level: error",
        "",
      ].join("\n"),
    );
    config = loadConfig({ file: configFile }).config;
  });

  afterAll(async () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    for (const handle of opened) await handle.db.close().catch(() => undefined);
    await sim?.close();
    await webhook?.close();
    await smtp?.close();
    await server?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(
    "status shows exactly the three nights and exits 3; each failure alerts once on both channels; metrics and quality agree",
    { timeout: 300_000 },
    async () => {
      const open = async () => {
        const handle = await openDaemonDatabase({ url: server.url, dataDir: "unused", poolSize: 4 });
        opened.push(handle);
        return handle;
      };
      const first = await open();
      await migrate(first.db);
      const plan = planFromSchedule({ symbols: symbolNames(config.symbols), schedule: config.schedule });
      const from = etInstant("2026-03-08", "12:00");
      const instants = slotInstants(plan, from, etInstant("2026-03-21", "12:00"));
      expect(instants).toHaveLength(10);
      const at = (date: string) =>
        instants.find((instant) => instant.getTime() === etInstant(date, "16:45").getTime())!;

      const clock = new ManualClock(from);
      sim.clock.set(from);
      // One process's observers: the alerter and the metrics the daemon serves on 127.0.0.1.
      const bus = new EventBus(logger);
      const seen: ChainvaultEvent[] = [];
      bus.on((event) => void seen.push(event));
      const alerts: AttachedAlerter = attachAlerter(bus, first.db, config, logger, { clock, resend: true });
      const monitor: DaemonMonitor = await createDaemonMonitor({
        http: { host: "127.0.0.1", port: 0, token_env: "CHAINVAULT_HTTP_TOKEN" },
        token: undefined,
        db: first.db,
        gateway: { host: sim.host, port: sim.port },
        events: bus,
        clock,
        tickMs: 60_000,
        logger,
      });
      const probe = new CollectorProbe();
      const start = (handle: DaemonDatabase, id: string) =>
        startDaemon({
          ...handle,
          clock,
          plan,
          collect: probe.collectFor(handle.db, config, bus),
          daemonId: id,
          retryLimit: RETRY_LIMIT,
          events: bus,
        });

      let daemon: Daemon = await start(first, "never-silent-1");
      let served: Awaited<ReturnType<DaemonMonitor["serve"]>> | null = null;
      try {
        // The first look at the plan records where planning begins (and chainvault's install instant).
        await daemon.scheduler.tick();
        for (const instant of instants) {
          const date = instant.toISOString().slice(0, 10);
          if (date === DATES.missed) continue; // the daemon is down: nothing looks at the plan tonight.
          if (date === "2026-03-12") {
            // Back on Thursday evening, past Wednesday's window (Thursday's open): a new process on the same database.
            const handle = await open();
            clock.set(instant);
            daemon = await start(handle, "never-silent-2");
            served = await monitor.serve(daemon);
          }
          clock.set(instant);
          sim.clock.set(instant);
          sim.faults.set({
            competingSession: date === DATES.deadLettered ? true : undefined,
            silentContractEvery: date === DATES.partial ? 5 : undefined,
          });
          await daemon.scheduler.tick();
          await settle([daemon], 120_000);
          if (date === DATES.deadLettered)
            await waitUntil(
              () => seen.some((event) => event.kind === "slot_finished" && event.outcome === "dead_lettered"),
              { what: "the dead letter of Monday's EOD", timeoutMs: 60_000 },
            );
          if (date === "2026-03-10") {
            // Stopped after Tuesday's EOD, gracefully (the laptop is shut).
            await daemon.stop(1_000);
          }
        }
        sim.faults.set({ competingSession: undefined, silentContractEvery: undefined });
        await bus.settled();
        await alerts.alerter.idle();

        // status: every planned EOD of the two weeks, exactly the three nights gone wrong.
        const { code, report } = await status();
        expect(code).toBe(3);
        expect(report.failed).toBe(true);
        expect(
          report.slots.every((slot) => slot.type === "eod" && slot.symbol === "SPY" && !slot.manual),
        ).toBe(true);
        const outcomes = Object.fromEntries(report.slots.map((slot) => [slot.date, slot.outcome]));
        expect(outcomes).toEqual(
          Object.fromEntries(
            instants.map((instant) => {
              const date = instant.toISOString().slice(0, 10);
              const wrong = {
                [DATES.missed]: "missed",
                [DATES.deadLettered]: "dead_lettered",
                [DATES.partial]: "partial",
              }[date];
              return [date, wrong ?? "completed"];
            }),
          ),
        );
        expect(report.counts).toMatchObject({ completed: 7, missed: 1, dead_lettered: 1, partial: 1 });
        const row = (date: string) => report.slots.find((slot) => slot.date === date)!;
        expect(row(DATES.missed).error).toMatch(/not run by 2026-03-12T13:30:00.000Z/);
        expect(row(DATES.deadLettered).error).toMatch(/^retries exhausted: /);
        expect(row(DATES.deadLettered).error).toMatch(/10197|competing live session/);
        const partial = row(DATES.partial);
        expect(partial.selected).toBeGreaterThanOrEqual(10);
        // A fifth of the contracts never answered: about 80 % coverage.
        expect(partial.coverage).toBe(Math.round((partial.stored! / partial.selected!) * 10_000) / 10_000);
        expect(partial.coverage!).toBeGreaterThan(0.65);
        expect(partial.coverage!).toBeLessThan(0.9);
        for (const date of [DATES.deadLettered, DATES.partial])
          expect(row(date).run_id).toMatch(/^[0-9a-f-]{36}$/);
        // The two failures went through the daemon's retries: three attempts on Monday, none on Wednesday.
        const attempts = seen.filter(
          (event) => event.kind === "slot_finished" && event.date === DATES.deadLettered,
        );
        expect(attempts.map((event) => (event.kind === "slot_finished" ? event.outcome : ""))).toEqual([
          ...Array<string>(RETRY_LIMIT + 1).fill("failed"),
          "dead_lettered",
        ]);

        // Alerts: one per failure on each channel, nothing else (no storm from the retries, no quality noise).
        const expected = [
          `coverage_low firing ${DATES.partial} SPY`,
          `slot_failed firing ${DATES.deadLettered} SPY`,
          `slot_failed firing ${DATES.missed} SPY`,
        ].sort();
        await waitUntil(() => webhook.requests.length >= 3 && smtp.mails.length >= 3, {
          what: "three alerts on each channel",
        });
        expect(hookAlerts()).toEqual(expected);
        expect(webhook.requests.every((request) => request.path === "/hooks/chainvault-e2e")).toBe(true);
        expect(mailSubjects()).toEqual(
          [
            `[chainvault] FIRING coverage_low SPY ${DATES.partial}`,
            `[chainvault] FIRING slot_failed SPY ${DATES.deadLettered}`,
            `[chainvault] FIRING slot_failed SPY ${DATES.missed}`,
          ].sort(),
        );
        const hook = (kind: string, date: string) =>
          webhook.accepted().find((body) => body.kind === kind && body.date === date)!;
        expect(hook("coverage_low", DATES.partial).run_id).toBe(partial.run_id);
        expect(hook("slot_failed", DATES.deadLettered).run_id).toBe(row(DATES.deadLettered).run_id);
        expect(String(hook("slot_failed", DATES.missed).message)).toMatch(/was missed/);
        expect(String(hook("slot_failed", DATES.deadLettered).message)).toMatch(/dead-lettered/);

        // /metrics, scraped over HTTP from the restarted daemon's server and parsed as Prometheus text.
        const scrape = await Scrape.of(served!.url);
        const runs = (outcome: string) =>
          scrape.value("chainvault_slot_runs_total", { type: "eod", outcome });
        expect(runs("dead_lettered")).toBe(1);
        expect(runs("missed")).toBe(1);
        expect(runs("failed")).toBe(RETRY_LIMIT + 1);
        expect(runs("completed")).toBe(7);
        expect(runs("partial")).toBe(1);
        // The last success is Thursday's EOD, at the daemon's (virtual) time it completed; Friday's was partial.
        expect(
          scrape.value("chainvault_collection_last_success_timestamp_seconds", {
            symbol: "SPY",
            type: "eod",
          }),
        ).toBe(seconds(at("2026-03-19")));
        expect(
          scrape.value("chainvault_collection_coverage_ratio", { symbol: "SPY", type: "eod" }),
        ).toBeCloseTo(partial.coverage!, 4);
        // Every run is checked: Friday's, and each of Monday's three attempts that stored nothing.
        expect(
          scrape.value("chainvault_quality_issues_total", { rule: "coverage_low", severity: "error" }),
        ).toBe(RETRY_LIMIT + 2);

        // quality: Friday's coverage issue, carrying the run id status shows for that night.
        const quality = await cli("quality", "--date", DATES.partial, "--symbols", "SPY", "--json");
        expect(quality.code).toBe(3);
        const issues = (JSON.parse(quality.stdout) as QualityReport).issues;
        // The only error is the coverage; the stored count falling with it (a warning) comes from the same run.
        expect(
          issues.filter((issue) => issue.severity === "error").map((issue) => [issue.rule, issue.run_id]),
        ).toEqual([["coverage_low", partial.run_id]]);
        expect(
          issues.every((issue) => issue.run_id === partial.run_id && issue.collection_date === DATES.partial),
        ).toBe(true);

        // The quant reads the e-mail and, before Monday's open, takes Friday's collection again by hand.
        await daemon.stop(1_000);
        const evening = etInstant(DATES.partial, "17:30");
        sim.clock.set(evening);
        const rerun = await cli(
          "collect",
          "--date",
          DATES.partial,
          "--symbols",
          "SPY",
          "--type",
          "eod",
          "--force",
        );
        expect(rerun.code, rerun.stderr).toBe(0);
        // The rerun's own process sends the resolution (its collect flushes alerts before it exits).
        expect(hookAlerts()).toEqual([...expected, `coverage_low resolved ${DATES.partial} SPY`].sort());
        expect(mailSubjects()).toEqual(
          [
            `[chainvault] FIRING coverage_low SPY ${DATES.partial}`,
            `[chainvault] RESOLVED coverage_low SPY ${DATES.partial}`,
            `[chainvault] FIRING slot_failed SPY ${DATES.deadLettered}`,
            `[chainvault] FIRING slot_failed SPY ${DATES.missed}`,
          ].sort(),
        );
        const after = await status();
        expect(after.code).toBe(3);
        const friday = after.report.slots.find((slot) => slot.date === DATES.partial)!;
        expect(friday).toMatchObject({ outcome: "completed", coverage: 1 });
        expect(friday.run_id).not.toBe(partial.run_id);
        const resolved = webhook.accepted().find((body) => body.state === "resolved")!;
        expect(resolved).toMatchObject({ kind: "coverage_low", run_id: friday.run_id, items: [] });
        expect(after.report.counts).toMatchObject({ completed: 8, missed: 1, dead_lettered: 1 });
        expect(after.report.counts.partial ?? 0).toBe(0);
      } finally {
        await daemon.stop(1_000);
        await monitor.close();
        await alerts.flush();
      }
    },
  );
});

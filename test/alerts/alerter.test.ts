import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Alerter } from "../../src/alerts/alerter.ts";
import { createChannels } from "../../src/alerts/channels.ts";
import { redactConfig } from "../../src/config/load.ts";
import { createLogger } from "../../src/logger.ts";
import type { Logger } from "../../src/logger.ts";
import { configSchema } from "../../src/config/schema.ts";
import { EventBus } from "../../src/core/events.ts";
import type { ChainvaultEvent } from "../../src/core/events.ts";
import { CHAINVAULT_VERSION } from "../../src/core/version.ts";
import { listAlerts } from "../../src/store/repositories/alerts.ts";
import { capturedLog } from "../helpers/captured-log.ts";
import { TEST_ENGINES, openTestDatabase } from "../helpers/db.ts";
import type { TestDatabase } from "../helpers/db.ts";
import { commandReceiver, startSmtpReceiver, startWebhookReceiver } from "../helpers/alert-receivers.ts";
import type { CommandReceiver, SmtpReceiver, WebhookReceiver } from "../helpers/alert-receivers.ts";

const HOOK_PATH = "/services/T000/B000/secret-hook-token";
const SMTP_USER = "alerts@example.test";
const SMTP_PASSWORD = "smtp-pa$$word-7731";

const SYMBOLS = ["SPY", "PLTR", "TSLA"];
const TYPES = ["pre_market", "analytics", "eod", "settlement"];

function slotFailed(
  date: string,
  symbol: string,
  type: string,
  outcome: "dead_lettered" | "missed",
): ChainvaultEvent {
  return {
    kind: "slot_finished",
    runId: `run-${type}-${symbol}`,
    slotKey: `${type}:${symbol}:${date}`,
    date,
    symbol,
    type,
    outcome,
    error: "retries exhausted: no security definition has been found (200)",
  };
}

function finished(date: string, symbol: string, stored: number, selected = 100): ChainvaultEvent {
  return {
    kind: "collection_finished",
    runId: `run-eod-${symbol}-${stored}`,
    date,
    symbol,
    type: "eod",
    status: stored === selected ? "completed" : "partial",
    listed: selected * 2,
    selected,
    stored,
    coverage: stored / selected,
    durationSeconds: 12,
  };
}

/** One embedded database for the file (opening PGlite is the slow part); each test uses dates of its own. */
let embedded: Promise<TestDatabase> | undefined;
function openDatabase(engine: (typeof TEST_ENGINES)[number]): Promise<TestDatabase> {
  if (engine === "postgres") return openTestDatabase("postgres");
  embedded ??= openTestDatabase("pglite");
  return embedded;
}
afterAll(async () => {
  await (await embedded)?.drop();
});

describe.each(TEST_ENGINES)("alerts on %s", (engine) => {
  let database: TestDatabase;
  let webhook: WebhookReceiver;
  let slack: WebhookReceiver;
  let smtp: SmtpReceiver;
  let command: CommandReceiver;
  const log = capturedLog("debug");
  // A node process per message is the slow part on a loaded machine; the engine changes nothing about channels.
  const withCommand = engine === "pglite";

  beforeAll(async () => {
    database = await openDatabase(engine);
    webhook = await startWebhookReceiver();
    slack = await startWebhookReceiver();
    smtp = await startSmtpReceiver(SMTP_USER, SMTP_PASSWORD);
    command = commandReceiver();
  });
  afterAll(async () => {
    await webhook?.close();
    await slack?.close();
    await smtp?.close();
    command?.remove();
    if (engine === "postgres") await database?.drop();
  });

  function alerter(): Alerter {
    const config = configSchema.parse({
      alerts: {
        channels: [
          { type: "webhook", name: "hook", url_env: "HOOK_URL" },
          { type: "webhook", name: "slack", url_env: "SLACK_URL", format: "slack" },
          {
            type: "email",
            name: "mail",
            smtp: { host: "127.0.0.1", port: smtp.port, user: SMTP_USER, password_env: "SMTP_PASSWORD" },
            from: SMTP_USER,
            to: ["quant@example.test"],
          },
          ...(withCommand ? [{ type: "command", name: "script", command: command.command }] : []),
        ],
        retry_delay_seconds: 0.01,
      },
    });
    return Alerter.fromConfig(database.db, config, log.logger, {
      env: { HOOK_URL: webhook.url(HOOK_PATH), SLACK_URL: slack.url("/slack"), SMTP_PASSWORD },
    });
  }

  /**
   * What every channel got, as "kind state symbol date" per message: the same on each channel. Within one
   * batch of events alerts of different keys go out concurrently, so each batch is compared sorted.
   */
  function delivered(): string[] {
    const line = (body: Record<string, unknown>) => [body.kind, body.state, body.symbol, body.date].join(" ");
    const seen = webhook.accepted().map(line);
    expect(slack.accepted()).toHaveLength(seen.length);
    if (withCommand) expect(command.received().map(line).sort()).toEqual([...seen].sort());
    expect(smtp.mails.map((mail) => mail.subject).sort()).toEqual(
      seen
        .map((entry) => {
          const [kind, state, symbol, date] = entry.split(" ");
          return `[chainvault] ${state!.toUpperCase()} ${kind} ${symbol === "*" ? "" : `${symbol} `}${date}`;
        })
        .sort(),
    );
    return seen;
  }

  /** The messages from the n-th on, sorted. */
  function deliveredFrom(n: number): string[] {
    return delivered().slice(n).sort();
  }

  it(
    "sends one alert per (kind, date, symbol) to every channel, a resolved one after recovery, nothing twice after a restart",
    { timeout: 60_000 },
    async () => {
      const first = alerter();
      const bus = new EventBus(log.logger);
      first.subscribe(bus);
      await first.start();

      // The gateway is gone all evening: 12 collection slots and 2 run-wide slots fail at once.
      const storm = [
        ...SYMBOLS.flatMap((symbol) =>
          TYPES.map((type) => slotFailed("2026-03-09", symbol, type, "dead_lettered")),
        ),
        slotFailed("2026-03-09", "*", "weekly_discovery", "dead_lettered"),
        slotFailed("2026-03-09", "*", "expiry_processing", "missed"),
      ];
      for (const event of storm) bus.emit(event);
      await bus.settled();
      expect(deliveredFrom(0)).toEqual(
        [
          "slot_failed firing SPY 2026-03-09",
          "slot_failed firing PLTR 2026-03-09",
          "slot_failed firing TSLA 2026-03-09",
          "slot_failed firing * 2026-03-09",
        ].sort(),
      );
      // The first of SPY's four failures to be recorded speaks for all of them.
      const spy = webhook.accepted().find((body) => body.symbol === "SPY")!;
      const type = String(spy.type);
      expect(TYPES).toContain(type);
      expect(spy).toMatchObject({
        kind: "slot_failed",
        state: "firing",
        date: "2026-03-09",
        run_id: `run-${type}-SPY`,
        chainvault_version: CHAINVAULT_VERSION,
        items: [type],
      });
      expect(typeof spy.host).toBe("string");
      expect(spy.message).toContain(
        `slot ${type}:SPY:2026-03-09 was dead-lettered: its retries ran out: retries exhausted`,
      );
      expect(spy.text).toBe(
        `[chainvault ${String(spy.host)}] FIRING slot_failed SPY 2026-03-09 ${type}: ${String(spy.message)}`,
      );
      expect(slack.requests.map((request) => JSON.parse(request.body) as unknown)).toContainEqual({
        text: spy.text,
      });
      const mail = smtp.mails.find((candidate) => candidate.subject.includes(" SPY "))!;
      expect(mail).toMatchObject({ from: SMTP_USER, to: ["quant@example.test"] });
      expect(mail.text).toContain(spy.text as string);

      // pg-boss retries and the morning gap check report the same slots again: nothing new is sent.
      for (const event of storm) bus.emit(event);
      bus.emit({
        kind: "gap_found",
        date: "2026-03-09",
        symbol: "PLTR",
        type: "eod",
        recoverable: false,
        status: "failed",
        detail: "eod:PLTR:2026-03-09 is failed and its window closed",
      });
      await bus.settled();
      expect(delivered()).toHaveLength(4);
      const rows = await listAlerts(database.db, { from: "2026-03-09", to: "2026-03-09" });
      const spyRow = rows.find((row) => row.symbol === "SPY")!;
      expect(spyRow).toMatchObject({ state: "firing", repeatsSuppressed: 4, undelivered: [], timesFired: 1 });
      expect([...spyRow.openItems].sort()).toEqual([...TYPES].sort());
      expect(rows.find((row) => row.symbol === "PLTR")!.repeatsSuppressed).toBe(5);
      expect([...rows.find((row) => row.symbol === "*")!.openItems].sort()).toEqual([
        "expiry_processing",
        "weekly_discovery",
      ]);

      // SPY is recovered by hand, one type at a time: resolved once the last of them has run.
      for (const type of ["pre_market", "analytics", "settlement"])
        bus.emit({
          kind: "slot_finished",
          runId: `re-${type}`,
          slotKey: `${type}:SPY:2026-03-09`,
          date: "2026-03-09",
          symbol: "SPY",
          type,
          outcome: "completed",
        });
      await bus.settled();
      expect(delivered()).toHaveLength(4);
      bus.emit(finished("2026-03-09", "SPY", 100));
      await bus.settled();
      expect(deliveredFrom(4)).toEqual(["slot_failed resolved SPY 2026-03-09"]);
      expect(webhook.accepted()[4]).toMatchObject({ items: [], run_id: "run-eod-SPY-100", type: "eod" });
      expect(webhook.accepted()[4]!.message).toMatch(/eod:SPY:2026-03-09 has now run \(completed/);

      // A restarted daemon: a new alerter on the same database re-sends nothing and stays quiet on repeats.
      first.close();
      const second = alerter();
      const bus2 = new EventBus(log.logger);
      second.subscribe(bus2);
      await second.start();
      for (const event of storm.filter((event) => event.kind === "slot_finished" && event.symbol !== "SPY"))
        bus2.emit(event);
      await bus2.settled();
      expect(delivered()).toHaveLength(5);

      // Coverage, quality, the gateway and a lost night found by the gap check, each once.
      bus2.emit(finished("2026-03-10", "SPY", 80));
      bus2.emit({
        kind: "quality_checked",
        score: 1,
        contracts: 100,
        runId: "run-eod-SPY-80",
        date: "2026-03-10",
        symbol: "SPY",
        type: "eod",
        issues: [
          { rule: "chain_coverage", severity: "error", count: 1, message: "80 % of the listed chain" },
          { rule: "crossed_market", severity: "error", count: 4, message: "bid above ask" },
          { rule: "stale_quote", severity: "warning", count: 2, message: "same as yesterday" },
        ],
      });
      for (const symbol of SYMBOLS)
        bus2.emit({
          kind: "gateway_unreachable",
          date: "2026-03-10",
          symbol,
          type: "pre_market",
          runId: `gw-${symbol}`,
          error: "connect ECONNREFUSED 127.0.0.1:7497",
        });
      bus2.emit({
        kind: "gap_found",
        date: "2026-03-06",
        symbol: "TSLA",
        type: "eod",
        recoverable: false,
        status: "missing",
        detail: "eod:TSLA:2026-03-06 is missing",
      });
      bus2.emit({
        kind: "gap_found",
        date: "2026-03-06",
        symbol: "PLTR",
        type: "eod",
        recoverable: true,
        status: "missing",
        detail: "re-queued",
      });
      await bus2.settled();
      expect(deliveredFrom(5)).toEqual(
        [
          "coverage_low firing SPY 2026-03-10",
          "quality_error firing SPY 2026-03-10",
          "gateway_unreachable firing * 2026-03-10",
          "slot_failed firing TSLA 2026-03-06",
        ].sort(),
      );
      const coverage = webhook.accepted().find((body) => body.kind === "coverage_low")!;
      expect(coverage.message).toMatch(/stored 80 of 100 selected contracts \(80\.0 %, below 99\.0 %\)/);

      // The rerun covers everything, the gateway answers again: three resolved messages.
      bus2.emit(finished("2026-03-10", "SPY", 100));
      bus2.emit({
        kind: "quality_checked",
        score: 1,
        contracts: 100,
        runId: "rerun",
        date: "2026-03-10",
        symbol: "SPY",
        type: "eod",
        issues: [],
      });
      bus2.emit({ kind: "gateway_reachable" });
      await bus2.settled();
      expect(deliveredFrom(9)).toEqual(
        [
          "coverage_low resolved SPY 2026-03-10",
          "quality_error resolved SPY 2026-03-10",
          "gateway_unreachable resolved * 2026-03-10",
        ].sort(),
      );
      // Broken again after its resolution: that is news, and it is sent.
      bus2.emit(slotFailed("2026-03-09", "SPY", "eod", "dead_lettered"));
      await bus2.settled();
      expect(deliveredFrom(12)).toEqual(["slot_failed firing SPY 2026-03-09"]);
      const again = (await listAlerts(database.db, { from: "2026-03-09", to: "2026-03-09" })).find(
        (row) => row.symbol === "SPY",
      )!;
      expect(again).toMatchObject({ state: "firing", timesFired: 2, revision: 3, undelivered: [] });
      second.close();
      expect(log.matching(/alert not delivered/)).toEqual([]);
    },
  );
});

describe("alert delivery", () => {
  let database: TestDatabase;
  const receivers: { close(): Promise<void> }[] = [];
  beforeAll(async () => {
    database = await openDatabase("pglite");
  });
  afterAll(async () => {
    for (const receiver of receivers) await receiver.close();
  });

  const rules = {
    coverageThreshold: 0.99,
    enabled: { slot_failed: true, coverage_low: true, quality_error: true, gateway_unreachable: true },
  };

  function webhookAlerter(url: string, logger: Logger, attempts: number): Alerter {
    const settings = configSchema.parse({
      alerts: { channels: [{ type: "webhook", name: "ops-hook", url_env: "HOOK_URL" }] },
    }).alerts;
    return new Alerter({
      db: database.db,
      channels: createChannels(settings, { HOOK_URL: url }),
      rules,
      logger,
      deliveryAttempts: attempts,
      retryDelayMs: 10,
    });
  }

  it("retries a webhook that fails first, then succeeds", async () => {
    const hook = await startWebhookReceiver((n) => (n === 1 ? 503 : 200));
    receivers.push(hook);
    const log = capturedLog("debug");
    const alerter = webhookAlerter(hook.url(HOOK_PATH), log.logger, 3);
    await alerter.handle(slotFailed("2026-04-01", "SPY", "eod", "missed"));
    expect(hook.requests).toHaveLength(2);
    expect(hook.requests[0]!.body).toBe(hook.requests[1]!.body);
    expect(hook.accepted()).toMatchObject([{ kind: "slot_failed", state: "firing", symbol: "SPY" }]);
    expect(log.matching(/retrying/)).toMatchObject([
      { channel: "ops-hook", tries: 1, err: "webhook answered HTTP 503: no such hook ***" },
    ]);
    expect(log.matching(/alert delivered/)).toMatchObject([{ channel: "ops-hook", tries: 2 }]);
    const [row] = await listAlerts(database.db, { from: "2026-04-01", to: "2026-04-01" });
    expect(row).toMatchObject({ undelivered: [], deliveryAttempts: 0 });
    expect(row!.deliveredAt).toBeInstanceOf(Date);
  });

  it("keeps an alert no channel took, and the next start sends it exactly once", async () => {
    const down = await startWebhookReceiver(() => 500);
    receivers.push(down);
    const log = capturedLog("debug");
    const first = webhookAlerter(down.url(HOOK_PATH), log.logger, 2);
    const bus = new EventBus(log.logger);
    first.subscribe(bus);
    bus.emit(slotFailed("2026-04-02", "TSLA", "eod", "dead_lettered"));
    await bus.settled();
    expect(down.requests).toHaveLength(2);
    expect(log.matching(/alert not delivered to ops-hook after 2 tries/)).toHaveLength(1);
    const [kept] = await listAlerts(database.db, { from: "2026-04-02", to: "2026-04-02" });
    expect(kept).toMatchObject({
      state: "firing",
      undelivered: ["ops-hook"],
      deliveryAttempts: 2,
      deliveredAt: null,
    });
    expect(kept!.lastDeliveryError).toBe("webhook answered HTTP 500: no such hook ***");

    const up = await startWebhookReceiver();
    receivers.push(up);
    const second = webhookAlerter(up.url(HOOK_PATH), log.logger, 2);
    await second.start();
    expect(up.accepted()).toMatchObject([
      { kind: "slot_failed", state: "firing", symbol: "TSLA", date: "2026-04-02" },
    ]);
    const third = webhookAlerter(up.url(HOOK_PATH), log.logger, 2);
    await third.start();
    expect(up.requests).toHaveLength(1);
    const [sent] = await listAlerts(database.db, { from: "2026-04-02", to: "2026-04-02" });
    expect(sent!.undelivered).toEqual([]);
  });

  it("never logs or stores the SMTP password or the webhook URL", async () => {
    const password = "wr0ng-but-secret-Pa55";
    const token = "/hooks/T9Z/B7Y/xoxb-secret-token-42";
    const smtp = await startSmtpReceiver(SMTP_USER, "the-right-password");
    const hook = await startWebhookReceiver(() => 404);
    receivers.push(smtp, hook);
    const lines: string[] = [];
    const logger = createLogger({
      level: "trace",
      destination: { write: (line: string) => void lines.push(line) },
    });
    const settings = configSchema.parse({
      alerts: {
        channels: [
          { type: "webhook", name: "ops-hook", url_env: "HOOK_URL" },
          {
            type: "email",
            name: "ops-mail",
            smtp: { host: "127.0.0.1", port: smtp.port, user: SMTP_USER, password_env: "SMTP_PASSWORD" },
            from: SMTP_USER,
            to: ["quant@example.test"],
          },
        ],
      },
    }).alerts;
    const env = { HOOK_URL: hook.url(token), SMTP_PASSWORD: password };
    const alerter = new Alerter({
      db: database.db,
      channels: createChannels(settings, env),
      rules,
      logger,
      deliveryAttempts: 2,
      retryDelayMs: 10,
    });
    // An error text that quotes a secret (a driver echoing its connection string) is scrubbed from the alert too.
    await alerter.handle({
      ...slotFailed("2026-04-03", "PLTR", "eod", "dead_lettered"),
      error: `cannot connect to postgres://cv:${password}@db/options; last hook ${env.HOOK_URL}`,
    } as ChainvaultEvent);
    alerter.close();
    expect(smtp.refusedLogins).toBe(2);
    expect(hook.requests.map((request) => request.path)).toEqual([token, token]);
    // A careless log line with a channel's settings in it is redacted by path too.
    logger.info(
      { channel: { url: env.HOOK_URL, smtp: { pass: password } }, url: env.HOOK_URL },
      "channel settings",
    );

    const text = lines.join("");
    expect(text).toMatch(/alert not delivered to ops-hook after 2 tries/);
    expect(text).toMatch(/alert not delivered to ops-mail after 2 tries/);
    expect(text).toMatch(/Invalid login/);
    const [row] = await listAlerts(database.db, { from: "2026-04-03", to: "2026-04-03" });
    expect(row!.undelivered.sort()).toEqual(["ops-hook", "ops-mail"]);
    const stored = JSON.stringify(row);
    const sent = hook.requests.map((request) => request.body).join("");
    expect(sent).toContain("cannot connect to postgres://cv:***@db/options; last hook ***");
    for (const secret of [password, token, env.HOOK_URL, "xoxb-secret"]) {
      expect(text).not.toContain(secret);
      expect(stored).not.toContain(secret);
      expect(sent).not.toContain(secret);
    }
    // And `config --show` prints an inline webhook URL as ***.
    const inline = configSchema.parse({ alerts: { channels: [{ type: "webhook", url: env.HOOK_URL }] } });
    expect(JSON.stringify(redactConfig(inline))).not.toContain("xoxb-secret");
  });
});

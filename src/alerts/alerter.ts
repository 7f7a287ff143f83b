import os from "node:os";
import { ExponentialBackoff, handleAll, retry } from "cockatiel";
import type { Config } from "../config/schema.ts";
import { systemClock } from "../core/clock.ts";
import type { Clock } from "../core/clock.ts";
import { errorMessage } from "../core/errors.ts";
import type { ChainvaultEvent, EventBus } from "../core/events.ts";
import { CHAINVAULT_VERSION } from "../core/version.ts";
import type { Logger } from "../logger.ts";
import type { Database } from "../store/database.ts";
import {
  applyAlertEdit,
  firingWithItem,
  markDelivered,
  recordDeliveryFailure,
  undeliveredAlerts,
} from "../store/repositories/alerts.ts";
import type { AlertEdit, AlertRow } from "../store/repositories/alerts.ts";
import { createChannels, scrubSecrets } from "./channels.ts";
import type { AlertChannel } from "./channels.ts";
import { alertMessage } from "./message.ts";
import type { AlertMessage } from "./message.ts";
import { ALERT_KINDS, alertChanges } from "./rules.ts";
import type { AlertChange, AlertRules } from "./rules.ts";

/** Unsent messages older than this are not sent on start any more: news that old helps nobody. */
const RESEND_WINDOW_MS = 7 * 24 * 3_600_000;
const MAX_RETRY_DELAY_MS = 60_000;

export interface AlerterOptions {
  db: Database;
  channels: readonly AlertChannel[];
  rules: AlertRules;
  logger: Logger;
  clock?: Clock;
  /** Tries per channel and message (the first included). */
  deliveryAttempts: number;
  /** Pause before the second try; doubles (jittered) per try, up to a minute. */
  retryDelayMs: number;
  host?: string;
  /** Other secret values (the database URL) that must not reach an alert or a log line even inside an error text. */
  secrets?: readonly string[];
}

/**
 * Turns events into alerts: records each change in the alerts table (the dedupe, across restarts and
 * daemons) and sends the messages it owes to every channel, retrying with backoff. Nothing here throws at a
 * producer: a channel or database failure is logged, the alert stays undelivered and the next start sends it.
 */
export class Alerter {
  readonly channels: readonly AlertChannel[];
  readonly #options: AlerterOptions;
  readonly #secrets: string[];
  /** The delivery in flight per alert: a resolved message never overtakes its firing one. */
  readonly #chains = new Map<number, Promise<void>>();
  readonly #deliveries = new Set<Promise<void>>();

  constructor(options: AlerterOptions) {
    this.#options = options;
    this.channels = options.channels;
    this.#secrets = [...options.channels.flatMap((channel) => channel.secrets), ...(options.secrets ?? [])];
  }

  /** An alerter for the configuration's `alerts` section, secrets read from `env`. */
  static fromConfig(
    db: Database,
    config: Config,
    logger: Logger,
    options: { clock?: Clock; env?: NodeJS.ProcessEnv } = {},
  ): Alerter {
    const settings = config.alerts;
    return new Alerter({
      db,
      channels: createChannels(settings, options.env),
      rules: {
        coverageThreshold: settings.coverage_threshold,
        enabled: Object.fromEntries(
          ALERT_KINDS.map((kind) => [kind, settings.kinds[kind]]),
        ) as AlertRules["enabled"],
      },
      logger,
      clock: options.clock,
      deliveryAttempts: settings.delivery_attempts,
      retryDelayMs: settings.retry_delay_seconds * 1000,
      secrets: config.database.url === undefined ? [] : [config.database.url],
    });
  }

  /** Observes `bus`; returns the unsubscribe function. */
  subscribe(bus: EventBus): () => void {
    return bus.on((event) => this.handle(event));
  }

  /**
   * Records what `event` means for the alerts and delivers the messages it makes owed. Resolves once they
   * are delivered or given up (EventBus.settled() waits for it); never rejects.
   */
  async handle(event: ChainvaultEvent): Promise<void> {
    const changes = alertChanges(event, this.#options.rules);
    for (const change of changes) {
      try {
        for (const row of await this.#apply(change)) await this.#deliver(row);
      } catch (error) {
        // The database is away (or refused): the alert cannot be deduplicated, so it is at least in the log.
        this.#options.logger.error(
          { alert: change.kind, err: this.#scrub(errorMessage(error)), message: this.#scrub(change.message) },
          "could not record an alert; it is not sent",
        );
      }
    }
  }

  /**
   * Sends what earlier runs left undelivered (a channel was down, the process stopped) to the channels still
   * configured. Call once at start; resolves when done or given up.
   */
  async start(): Promise<void> {
    const names = new Set(this.channels.map((channel) => channel.name));
    if (names.size === 0) return;
    const since = new Date(this.#now().getTime() - RESEND_WINDOW_MS);
    let rows: AlertRow[];
    try {
      rows = await undeliveredAlerts(this.#options.db, since);
    } catch (error) {
      this.#options.logger.error(
        { err: errorMessage(error) },
        "could not read undelivered alerts; they wait",
      );
      return;
    }
    const owed = rows.filter((row) => row.undelivered.some((name) => names.has(name)));
    if (owed.length > 0)
      this.#options.logger.info({ alerts: owed.length }, "sending alerts left undelivered");
    await Promise.all(owed.map((row) => this.#deliver(row)));
  }

  /** Resolves when every delivery started so far has finished or been given up. */
  async idle(): Promise<void> {
    while (this.#deliveries.size > 0) await Promise.all([...this.#deliveries]);
  }

  close(): void {
    for (const channel of this.channels) channel.close();
  }

  #now(): Date {
    return (this.#options.clock ?? systemClock).now();
  }

  #scrub(text: string): string {
    return scrubSecrets(text, this.#secrets);
  }

  /** Applies one change to the table; returns the rows whose state changed (each owes a message). */
  async #apply(change: AlertChange): Promise<AlertRow[]> {
    const { db } = this.#options;
    const at = this.#now();
    const channels = this.channels.map((channel) => channel.name);
    // Messages quote error texts from the collector: a secret inside one stops here, before the table and the log.
    const message = this.#scrub(change.message);
    const edits: AlertEdit[] =
      change.scope === "key"
        ? [{ ...change, message, at }]
        : (await firingWithItem(db, change.kind, change.remove)).map((key) => ({
            ...key,
            add: [],
            remove: [change.remove],
            type: null,
            runId: null,
            message,
            at,
          }));
    const changed: AlertRow[] = [];
    for (const edit of edits) {
      const result = await applyAlertEdit(db, edit, channels);
      if (!result?.changed) continue;
      const { row } = result;
      const fields = {
        alert: row.kind,
        state: row.state,
        date: row.date,
        symbol: row.symbol,
        type: row.type,
        runId: row.runId,
        items: row.openItems,
      };
      if (row.state === "firing") this.#options.logger.warn(fields, `alert firing: ${row.message}`);
      else this.#options.logger.info(fields, `alert resolved: ${row.message}`);
      changed.push(row);
    }
    return changed;
  }

  #message(row: AlertRow): AlertMessage {
    return alertMessage({
      kind: row.kind,
      state: row.state,
      date: row.date,
      symbol: row.symbol,
      type: row.type,
      run_id: row.runId,
      message: row.message,
      items: row.openItems,
      at: row.changedAt.toISOString(),
      host: this.#options.host ?? os.hostname(),
      chainvault_version: CHAINVAULT_VERSION,
    });
  }

  /** Queues the row's message behind any earlier one of the same alert; resolves when it is done. */
  #deliver(row: AlertRow): Promise<void> {
    const previous = this.#chains.get(row.id) ?? Promise.resolve();
    const delivery = previous.then(() => this.#send(row));
    this.#chains.set(row.id, delivery);
    this.#deliveries.add(delivery);
    void delivery.finally(() => {
      this.#deliveries.delete(delivery);
      if (this.#chains.get(row.id) === delivery) this.#chains.delete(row.id);
    });
    return delivery;
  }

  async #send(row: AlertRow): Promise<void> {
    const message = this.#message(row);
    const owed = this.channels.filter((channel) => row.undelivered.includes(channel.name));
    await Promise.all(owed.map((channel) => this.#sendTo(channel, row, message)));
  }

  async #sendTo(channel: AlertChannel, row: AlertRow, message: AlertMessage): Promise<void> {
    const { db, logger, deliveryAttempts, retryDelayMs } = this.#options;
    const label = {
      alert: row.kind,
      state: row.state,
      date: row.date,
      symbol: row.symbol,
      channel: channel.name,
    };
    let tries = 0;
    const policy = retry(handleAll, {
      maxAttempts: deliveryAttempts - 1,
      backoff: new ExponentialBackoff({
        initialDelay: retryDelayMs,
        maxDelay: Math.max(retryDelayMs, MAX_RETRY_DELAY_MS),
      }),
    });
    policy.onRetry(({ delay, ...rest }) => {
      const reason = "error" in rest ? this.#scrub(errorMessage(rest.error)) : "no answer";
      logger.warn(
        { ...label, tries, retryInMs: Math.round(delay), err: reason },
        "alert not delivered yet; retrying",
      );
    });
    try {
      await policy.execute(async () => {
        tries += 1;
        await channel.send(message);
      });
    } catch (error) {
      const reason = this.#scrub(errorMessage(error));
      logger.error(
        { ...label, tries, err: reason },
        `alert not delivered to ${channel.name} after ${tries} tries; it stays in the alerts table and is sent again on the next start`,
      );
      await recordDeliveryFailure(db, row.id, row.revision, reason, tries).catch(() => undefined);
      return;
    }
    logger.info({ ...label, tries }, "alert delivered");
    await markDelivered(db, row.id, row.revision, channel.name, this.#now()).catch((error: unknown) =>
      logger.warn({ ...label, err: errorMessage(error) }, "alert delivered but not recorded as delivered"),
    );
  }
}

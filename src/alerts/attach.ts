import type { Config } from "../config/schema.ts";
import type { Clock } from "../core/clock.ts";
import type { EventBus } from "../core/events.ts";
import type { Logger } from "../logger.ts";
import type { Database } from "../store/database.ts";
import { Alerter } from "./alerter.ts";

/** How long a process that is exiting waits for alerts still being delivered; the rest go on the next start. */
export const ALERT_FLUSH_MS = 10_000;

export interface AttachedAlerter {
  alerter: Alerter;
  /**
   * Waits (at most `ms`) for the events already emitted to be recorded and their alerts delivered, then
   * closes the channels. Resolves false when something was still under way.
   */
  flush(ms?: number): Promise<boolean>;
}

/**
 * Subscribes an alerter for `config.alerts` to `bus`. With `resend`, messages earlier runs left undelivered go
 * out now (the daemon; a one-off `collect` leaves them to it, so two processes never send them twice).
 */
export function attachAlerter(
  bus: EventBus,
  db: Database,
  config: Config,
  logger: Logger,
  options: { clock?: Clock; env?: NodeJS.ProcessEnv; resend?: boolean } = {},
): AttachedAlerter {
  const alerter = Alerter.fromConfig(db, config, logger, options);
  const unsubscribe = alerter.subscribe(bus);
  const resent = options.resend ? alerter.start() : Promise.resolve();
  return {
    alerter,
    async flush(ms = ALERT_FLUSH_MS) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
      });
      const done = (async () => {
        await resent;
        await bus.settled();
        await alerter.idle();
        return true;
      })();
      try {
        const flushed = await Promise.race([done, timeout]);
        if (!flushed)
          logger.warn(
            { waitedMs: ms },
            "alerts still being delivered at exit; they stay in the alerts table and go out on the next start",
          );
        return flushed;
      } finally {
        clearTimeout(timer);
        unsubscribe();
        alerter.close();
      }
    },
  };
}

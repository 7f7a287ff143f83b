import type { IsoDate } from "../calendar/index.ts";
import { runCollection } from "../collect/run.ts";
import type { RunControl } from "../collect/run.ts";
import type { CollectionSummary } from "../collect/summary.ts";
import type { Config } from "../config/schema.ts";
import type { CollectionRequest } from "../core/collection.ts";
import { clientOptionsFromConfig, IbClient } from "../ib/client.ts";
import type { Logger } from "../logger.ts";
import type { Database } from "../store/database.ts";
import type { DatabaseOutage } from "../store/outage.ts";

/**
 * The collection slots: one collector run per slot. Each run gets its own gateway connection,
 * because the gateway restarts nightly and a long-lived connection would go stale.
 *
 * A gateway outage is waited out inside the run for up to collect.max_gateway_outage_seconds, and never
 * past `deadline` (the slot's window). A run that gave up on the gateway before its window closed throws
 * after recording what it stored, so pg-boss runs the slot again with backoff and the run resumes.
 * A database outage is waited out the same way (quotes are spooled meanwhile), on the daemon's `outage`.
 */
export function collectWithGateway(
  db: Database,
  config: Config,
  logger: Logger,
  outage?: DatabaseOutage,
): (
  request: CollectionRequest & { date: IsoDate; deadline?: Date },
  control?: RunControl,
) => Promise<CollectionSummary> {
  return async ({ deadline, ...request }, control = {}) => {
    const ib = await IbClient.connect({
      ...clientOptionsFromConfig(config, logger),
      ...(deadline ? { deadline } : {}),
    });
    try {
      const summary = await runCollection(request, { db, ib, config, logger, outage }, control);
      const unavailable = ib.unavailable;
      if (unavailable && (!deadline || Date.now() < deadline.getTime()))
        throw new Error(
          `${unavailable.message}; the slot runs again later and resumes with the contracts not yet stored`,
        );
      // No disk space: pg-boss retries with backoff, so the slot resumes once space is freed.
      if (summary.stopped !== undefined)
        throw new Error(
          `the run stopped taking contracts: ${summary.stopped}; the slot runs again later and resumes`,
        );
      return summary;
    } finally {
      await ib.close();
    }
  };
}

import type { IsoDate } from "../calendar/index.ts";
import { runCollection } from "../collect/run.ts";
import type { CollectionSummary } from "../collect/summary.ts";
import type { Config } from "../config/schema.ts";
import type { CollectionRequest } from "../core/collection.ts";
import { clientOptionsFromConfig, IbClient } from "../ib/client.ts";
import type { Logger } from "../logger.ts";
import type { Database } from "../store/database.ts";

/**
 * The collection slots: one collector run per slot. Each run gets its own gateway connection,
 * because the gateway restarts nightly and a long-lived connection would go stale.
 */
export function collectWithGateway(
  db: Database,
  config: Config,
  logger: Logger,
): (request: CollectionRequest & { date: IsoDate }) => Promise<CollectionSummary> {
  return async (request) => {
    const ib = await IbClient.connect(clientOptionsFromConfig(config, logger));
    try {
      return await runCollection(request, { db, ib, config, logger });
    } finally {
      await ib.close();
    }
  };
}

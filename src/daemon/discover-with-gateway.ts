import { specOf } from "../config/symbols.ts";
import type { IsoDate } from "../calendar/index.ts";
import { discoverChain, discoverUnderlying } from "../collect/discovery.ts";
import { withinMaxDaysToExpiry } from "../collect/selection.ts";
import type { Config } from "../config/schema.ts";
import type { EventSink } from "../core/events.ts";
import { clientOptionsFromConfig, IbClient } from "../ib/client.ts";
import type { Logger } from "../logger.ts";
import type { Database } from "../store/database.ts";
import type { Discover } from "./handlers.ts";

/**
 * The discovery slots: the collector's chain discovery alone (no quotes), so new listings are in
 * option_chains and the lifecycle before the next snapshot. Expiries as far out as the collections
 * take them (selection.max_days_to_expiry); one gateway connection per slot.
 */
export function discoverWithGateway(
  db: Database,
  config: Config,
  logger: Logger,
  events?: EventSink,
): Discover {
  return async ({ date, symbols }) => {
    const ib = await IbClient.connect(clientOptionsFromConfig(config, logger, events));
    const maxDays = config.selection.max_days_to_expiry;
    let contracts = 0;
    try {
      for (const symbol of symbols) {
        const underlying = await discoverUnderlying(db, ib, symbol);
        const discovery = await discoverChain(db, ib, underlying, {
          date,
          includeExpiry: (expiry: IsoDate) => withinMaxDaysToExpiry(date, expiry, maxDays),
          concurrency: config.collect.discovery_concurrency,
          logger,
          spec: specOf(config.symbols, symbol),
        });
        contracts += discovery.contracts.length;
        logger.info(
          { symbol, contracts: discovery.contracts.length, newListings: discovery.newListings },
          "chain discovered",
        );
      }
    } finally {
      await ib.close();
    }
    return { contracts };
  };
}

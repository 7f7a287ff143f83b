import type { Config } from "../config/schema.ts";
import { selectGateway } from "../core/gateways.ts";
import { openHistoricalSession } from "../ib/historical-session.ts";
import type { HistoricalSession } from "../ib/historical-session.ts";
import type { Logger } from "../logger.ts";

/**
 * The gap check's daily bars for missed days: a session on a connection of its own
 * (ib.historical_client_id) to the daemon's gateway (the first configured), its requests spaced by
 * ib.historical_request_spacing_ms to stay inside IB's historical-data pacing.
 */
export function historicalWithGateway(config: Config, logger: Logger): () => Promise<HistoricalSession> {
  const gateway = selectGateway(config);
  return () =>
    openHistoricalSession({
      host: gateway.host,
      port: gateway.port,
      clientId: config.ib.historical_client_id,
      logger,
      spacingMs: config.ib.historical_request_spacing_ms,
    });
}

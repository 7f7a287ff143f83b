import type { IsoDate } from "../calendar/index.ts";
import { runCollection } from "../collect/run.ts";
import { runSplitCollection } from "../collect/split.ts";
import type { PartQueue } from "../collect/split.ts";
import type { CollectionDeps } from "../collect/prepare-symbol.ts";
import type { RunControl } from "../collect/run.ts";
import type { CollectionSummary } from "../collect/summary.ts";
import type { Config } from "../config/schema.ts";
import type { CollectionRequest } from "../core/collection.ts";
import { errorMessage } from "../core/errors.ts";
import { discardEvents } from "../core/events.ts";
import type { EventSink } from "../core/events.ts";
import { newRunId } from "../core/run-id.ts";
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
 * `events` hears of every message sent to the gateway and every IB error (the daemon's metrics) and what each run found (quality_checked).
 * A run that could not reach the gateway, or lost it for good, reports `gateway_unreachable`; one that
 * reached it `gateway_reachable`, which resolves the alert.
 */
export function collectWithGateway(
  db: Database,
  config: Config,
  logger: Logger,
  outage?: DatabaseOutage,
  events: EventSink = discardEvents,
  /** The queue split collections go to (config collect.split); without one, each slot is collected whole. */
  partQueue?: () => PartQueue | undefined,
): (
  request: CollectionRequest & { date: IsoDate; deadline?: Date },
  control?: RunControl,
) => Promise<CollectionSummary> {
  return async ({ deadline, ...request }, control = {}) => {
    // The slot attempt's id, so the gateway client's lines, the collection's rows and the slot's agree.
    const runId = control.runId ?? newRunId();
    // The due collection could not use the gateway: one event per symbol it was for (alerts make one of them).
    const unreachable = (error: string) => {
      logger.warn(
        { runId, type: request.type, symbols: request.symbols, err: error },
        "the gateway is unreachable",
      );
      for (const symbol of request.symbols)
        events.emit({
          kind: "gateway_unreachable",
          date: request.date,
          symbol,
          type: request.type,
          runId,
          error,
        });
    };
    let ib: IbClient;
    try {
      ib = await IbClient.connect({
        ...clientOptionsFromConfig(config, logger.child({ runId }), events),
        ...(deadline ? { deadline } : {}),
      });
    } catch (error) {
      unreachable(errorMessage(error));
      throw error;
    }
    try {
      const queue = config.collect.split ? partQueue?.() : undefined;
      const collect = queue
        ? (given: CollectionRequest, deps: CollectionDeps, options: RunControl) =>
            runSplitCollection(given, { ...deps, queue }, options)
        : runCollection;
      const summary = await collect(
        request,
        {
          db,
          ib,
          config,
          logger,
          outage,
          events,
          // For the dashboard's live view: how far the run is and how many lines it holds.
          onProgress: (progress) =>
            events.emit({
              kind: "collection_progress",
              runId,
              date: request.date,
              type: request.type,
              ...progress,
              linesInUse: ib.marketDataLinesInUse,
              lines: ib.marketDataLines,
            }),
        },
        { ...control, runId },
      );
      const unavailable = ib.unavailable;
      if (unavailable) unreachable(unavailable.message);
      else events.emit({ kind: "gateway_reachable" });
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

import { errorMessage } from "../core/errors.ts";
import { getGatewayPacing, setGatewayPacing } from "../store/repositories/gateway-pacing.ts";
import type { CollectionDeps } from "./prepare-symbol.ts";

/**
 * A gateway slower than ib.max_messages_per_second answers error 100 until the pacer has halved its way down
 * (a second's pause each time). Remembering where it ended up lets the next run start there and climb back,
 * so a slow gateway costs that discovery once rather than every run.
 */

/** Starts the run's pacer at the rate this gateway allowed last time, if that is below the ceiling. */
export async function resumeRememberedPacing(deps: CollectionDeps): Promise<void> {
  const { ib, logger } = deps;
  try {
    const remembered = await getGatewayPacing(deps.db, ib.address);
    if (remembered === null || remembered.messagesPerSecond >= ib.messagesPerSecond) return;
    ib.resumePacingAt(remembered.messagesPerSecond);
    logger.info(
      {
        gateway: ib.address,
        messagesPerSecond: Math.round(ib.messagesPerSecond * 10) / 10,
        remembered: remembered.updatedAt.toISOString(),
      },
      "starting at the message rate this gateway allowed last time (error 100); rising back to ib.max_messages_per_second",
    );
  } catch (error) {
    logger.warn(
      { err: errorMessage(error) },
      "could not read the gateway's remembered rate; starting at the ceiling",
    );
  }
}

/**
 * Remembers where the pacer ended: after a slow-down this run, the rate it set (one the gateway accepted);
 * otherwise the rate it climbed to without complaint, forgotten once that is the ceiling again.
 */
export async function rememberPacing(deps: CollectionDeps, slowDownsBefore: number): Promise<void> {
  const { ib, logger } = deps;
  const slowed = ib.pacingAdjustments.slowDowns > slowDownsBefore;
  const rate = slowed ? (ib.rateAfterSlowDown ?? ib.messagesPerSecond) : ib.messagesPerSecond;
  try {
    const remembered = await getGatewayPacing(deps.db, ib.address);
    if (!slowed && remembered === null) return;
    await setGatewayPacing(deps.db, ib.address, rate < ib.maxMessagesPerSecond ? rate : null);
  } catch (error) {
    logger.warn({ err: errorMessage(error) }, "could not remember the gateway's message rate");
  }
}

import { errorMessage } from "../core/errors.ts";
import type { CollectionLocks, CollectionOwner } from "../store/collection-lock.ts";
import { completeCollection, listRunningCollectorKeys } from "../store/repositories/collection-status.ts";
import type { CollectionKey } from "../store/repositories/collection-status.ts";
import { contractsWithQuotes } from "../store/repositories/quotes.ts";
import { findUnderlying } from "../store/repositories/underlying-securities.ts";
import type { CollectionDeps } from "./prepare-symbol.ts";

/**
 * A run that is killed, exits past its grace period, or gives up while the database is away cannot
 * record its outcome, so its status rows keep saying `running`. Every run starts by settling such rows
 * of any key whose run is gone (the same test as a takeover: its process dead on this host, its
 * heartbeat expired, and on PostgreSQL no session holding the key's lock): `partial` with what is
 * stored and why, so `chainvault status` tells the truth before that key runs again. A key a live run
 * holds is left alone.
 */
export async function settleAbandonedRuns(deps: CollectionDeps, locks: CollectionLocks): Promise<number> {
  let settled = 0;
  for (const key of await listRunningCollectorKeys(deps.db)) {
    try {
      if (await settle(deps, locks, key)) settled++;
    } catch (error) {
      deps.logger.warn(
        { symbol: key.symbol, date: key.collectionDate, type: key.collectionType, err: errorMessage(error) },
        "could not settle a collection its run left running; the next run of that key does",
      );
    }
  }
  return settled;
}

async function settle(deps: CollectionDeps, locks: CollectionLocks, key: CollectionKey): Promise<boolean> {
  const claim = await locks.claim(key);
  if (!claim.held) return false;
  const { lease } = claim;
  try {
    const underlying = await findUnderlying(deps.db, key.symbol);
    const stored =
      underlying === undefined || underlying === null
        ? 0
        : (
            await contractsWithQuotes(
              deps.db,
              underlying.id,
              key.collectionDate,
              key.collectionType,
              lease.replacingBefore,
            )
          ).size;
    const message = abandonedText(claim.tookOver);
    await deps.db.transaction(async (tx) => {
      await lease.markReleased(tx, false);
      await completeCollection(tx, key, {
        status: "partial",
        recordsCollected: stored,
        errorMessage: message,
        completedAt: deps.ib.now(),
      });
    });
    deps.logger.warn(
      { symbol: key.symbol, date: key.collectionDate, type: key.collectionType, stored },
      `settled a collection its run left running: ${message}`,
    );
    return true;
  } finally {
    await lease.unlock();
  }
}

function abandonedText(owner: CollectionOwner | null): string {
  const who =
    owner === null
      ? "its run"
      : `its run (process ${owner.pid} on ${owner.host}, started ${owner.startedAt.toISOString()})`;
  return (
    `interrupted: ${who} ended without recording an outcome (killed, stopped past its grace period, ` +
    "or the database was away when it gave up); the next run resumes"
  );
}

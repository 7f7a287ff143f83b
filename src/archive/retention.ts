import type { Logger } from "../logger.ts";
import type { Database } from "../store/database.ts";
import { ARCHIVE_TABLES, archiveMonths, rangeSummary, timeBounds } from "../store/reads/archive-reads.ts";
import { deleteRange, markDropped } from "../store/repositories/archives.ts";
import { monthOf, monthRange, nextMonth } from "./months.ts";

/**
 * Retention that cannot lose data: raw rows older than `keep_days` go only month by month, and only where that
 * month of that table has a verified archive whose row count still equals the database's (rows added after the
 * archive was written would exist nowhere else). Everything else is kept, and the log says why.
 */

export interface RetentionOutcome {
  cutoff: Date;
  dropped: { month: string; table: string; rows: number }[];
  kept: { month: string; table: string; rows: number; reason: string }[];
}

export async function applyRetention(
  db: Database,
  options: { keepDays: number; now: Date; logger?: Logger },
): Promise<RetentionOutcome> {
  const cutoff = new Date(options.now.getTime() - options.keepDays * 86_400_000);
  const ledger = new Map((await archiveMonths(db)).map((row) => [`${row.month}/${row.tableName}`, row]));
  const outcome: RetentionOutcome = { cutoff, dropped: [], kept: [] };
  for (const table of ARCHIVE_TABLES) {
    const bounds = await timeBounds(db, table);
    if (bounds.min === null) continue;
    // Whole months only: a month is dropped when all of it is older than the cutoff.
    for (let month = monthOf(bounds.min); monthRange(month).to <= cutoff; month = nextMonth(month)) {
      const { from, to } = monthRange(month);
      const rows = (await rangeSummary(db, table, from, to)).rows;
      if (rows === 0) continue;
      const known = ledger.get(`${month}/${table}`);
      const reason =
        known === undefined
          ? "no archive"
          : known.verifiedAt === null
            ? "archive not verified"
            : known.rows !== rows
              ? `changed since archive (${rows} rows, archive has ${known.rows})`
              : null;
      if (reason !== null) {
        outcome.kept.push({ month, table, rows, reason });
        continue;
      }
      const deleted = await db.transaction(async (tx) => {
        const count = await deleteRange(tx, table, from, to);
        await markDropped(tx, month, table, count, options.now);
        return count;
      });
      outcome.dropped.push({ month, table, rows: deleted });
    }
  }
  options.logger?.info(
    {
      keepDays: options.keepDays,
      cutoff: cutoff.toISOString(),
      dropped: outcome.dropped,
      kept: outcome.kept,
    },
    outcome.dropped.length > 0
      ? `retention dropped ${outcome.dropped.reduce((sum, entry) => sum + entry.rows, 0)} archived rows`
      : "retention dropped nothing",
  );
  return outcome;
}

import { chainAnalyticsFor } from "../collect/chain-analytics.ts";
import { UsageError } from "../core/errors.ts";
import type { CollectionKey } from "../store/repositories/collection-status.ts";
import type { ExpiryAnalyticsRow } from "../store/repositories/expiry-analytics.ts";
import { parseCollectionType, parseDate, parseSymbols } from "./parse-flags.ts";
import { withDatabase } from "./context.ts";
import type { DatabaseOptions } from "./context.ts";

export interface AnalyzeOptions extends DatabaseOptions {
  symbol: string;
  date: string;
  type: string;
  json?: boolean;
}

export async function analyzeAction(options: AnalyzeOptions): Promise<void> {
  const symbols = parseSymbols(options.symbol);
  if (symbols.length !== 1) throw new UsageError(`--symbol takes one ticker; got "${options.symbol}"`);
  const key: CollectionKey = {
    collectionDate: parseDate(options.date),
    symbol: symbols[0]!,
    collectionType: parseCollectionType(options.type),
  };
  const result = await withDatabase(options, ({ db }) => chainAnalyticsFor(db, key), { migrate: true });
  if (result.kind === "unknown-symbol") {
    throw new UsageError(
      `unknown symbol ${key.symbol}: nothing was ever collected for it; collect it first with ` +
        `\`chainvault collect --symbols ${key.symbol}\``,
    );
  }
  if (result.kind === "no-quotes") {
    throw new UsageError(
      `no ${key.collectionType} quotes of ${key.symbol} on ${key.collectionDate}; ` +
        `\`chainvault status --date ${key.collectionDate}\` lists what was collected that day`,
    );
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify(toJson(key, result.source, result.rows))}\n`);
  } else {
    process.stdout.write(formatAnalytics(key, result.source, result.rows));
  }
}

function toJson(key: CollectionKey, source: string, rows: readonly ExpiryAnalyticsRow[]): object {
  return {
    symbol: key.symbol,
    collection_date: key.collectionDate,
    collection_type: key.collectionType,
    source,
    expiries: rows.map((row) => ({
      expiry: row.expiry,
      trading_class: row.tradingClass,
      collection_time: row.collectionTime,
      years_to_expiry: row.yearsToExpiry,
      exercise_style: row.exerciseStyle,
      underlying_price: row.underlyingPrice,
      forward: row.forward,
      discount_factor: row.discountFactor,
      implied_rate: row.impliedRate,
      implied_dividend_yield: row.impliedDividendYield,
      rate_std_error: row.rateStdError,
      strikes_considered: row.strikesConsidered,
      strikes_used: row.strikesUsed,
      residual_rms: row.residualRms,
      excluded_strikes: row.excludedStrikes,
      box_rates: row.boxRates,
      reference_rate: row.referenceRate,
      reference_forward: row.referenceForward,
      parity_breach_count: row.parityBreachCount,
      parity_breaches: row.parityBreaches,
      run_id: row.runId,
    })),
  };
}

const DAYS_PER_YEAR = 365;

function percent(value: number | null, digits = 3): string {
  return value === null ? "-" : `${(value * 100).toFixed(digits)} %`;
}

function fixed(value: number | null, digits: number): string {
  return value === null ? "-" : value.toFixed(digits);
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (row: string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function formatAnalytics(key: CollectionKey, source: string, rows: readonly ExpiryAnalyticsRow[]): string {
  const style = rows[0]?.exerciseStyle ?? "european";
  // An index's classes share expiries (SPX and SPXW on a third Friday): the class tells the rows apart.
  const label = (row: ExpiryAnalyticsRow) =>
    row.tradingClass === key.symbol ? row.expiry : `${row.expiry} ${row.tradingClass}`;
  const origin =
    source === "stored" ? "stored by the collection" : "computed now (none stored for this snapshot)";
  const lines = [
    `${key.symbol} ${key.collectionType} ${key.collectionDate}: ${rows.length} expiries, ${style} exercise, ${origin}`,
    "",
    ...table(
      ["expiry", "days", "forward", "rate", "± s.e.", "dividend yield", "strikes used", "residual"],
      rows.map((row) => [
        label(row),
        (row.yearsToExpiry * DAYS_PER_YEAR).toFixed(1),
        fixed(row.forward, 2),
        percent(row.impliedRate),
        percent(row.rateStdError),
        percent(row.impliedDividendYield),
        `${row.strikesUsed}/${row.strikesConsidered}`,
        fixed(row.residualRms, 4),
      ]),
    ),
    "",
    "box-spread rates, median over the pairs of each width: at mid, lending (buy at the touch), borrowing (sell at the touch)",
    ...table(
      ["expiry", "width", "pairs", "mid", "lend", "borrow", "best lend", "best borrow"],
      rows.flatMap((row) =>
        row.boxRates.map((box) => [
          label(row),
          String(box.width),
          String(box.pairs),
          percent(box.mid_rate, 2),
          percent(box.lend_rate, 2),
          percent(box.borrow_rate, 2),
          percent(box.best_lend_rate, 2),
          percent(box.best_borrow_rate, 2),
        ]),
      ),
    ),
    "",
  ];
  const breaches = rows.flatMap((row) =>
    (row.parityBreaches ?? []).map((breach) => [
      label(row),
      String(breach.strike),
      breach.kind,
      breach.edge.toFixed(4),
      breach.synthetic.toFixed(4),
      breach.bound.toFixed(4),
      `${breach.call_bid}/${breach.call_ask}`,
      `${breach.put_bid}/${breach.put_ask}`,
    ]),
  );
  const unchecked = rows.filter((row) => row.parityBreaches === null).map(label);
  lines.push(`parity breaches (edge per share after crossing the spreads): ${breaches.length}`);
  if (breaches.length > 0)
    lines.push(
      ...table(
        ["expiry", "strike", "kind", "edge", "synthetic", "bound", "call bid/ask", "put bid/ask"],
        breaches,
      ),
    );
  if (unchecked.length > 0)
    lines.push(`not checked (no parity fit, or no underlying price): ${unchecked.join(", ")}`);
  return lines.join("\n") + "\n";
}

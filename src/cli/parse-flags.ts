// Flag values several commands share, checked before anything opens: a wrong one is a UsageError (exit 2).
import { dayNumber } from "../calendar/index.ts";
import type { IsoDate } from "../calendar/index.ts";
import { COLLECTION_TYPES, isCollectionType } from "../core/collection.ts";
import type { CollectionType } from "../core/collection.ts";
import { UsageError } from "../core/errors.ts";

export function parseSymbols(text: string): string[] {
  const symbols = text
    .split(",")
    .map((symbol) => symbol.trim().toUpperCase())
    .filter(Boolean);
  for (const symbol of symbols) {
    if (!/^[A-Z][A-Z0-9.]{0,9}$/.test(symbol))
      throw new UsageError(`--symbols: "${symbol}" is not a ticker such as SPY`);
  }
  if (symbols.length === 0)
    throw new UsageError("--symbols needs at least one ticker, e.g. --symbols SPY,PLTR");
  return symbols;
}

export function parseCollectionType(text: string): CollectionType {
  if (!isCollectionType(text)) {
    throw new UsageError(`--type must be one of ${COLLECTION_TYPES.join(", ")}; got "${text}"`);
  }
  return text;
}

export function parseDate(text: string, flag = "--date"): IsoDate {
  try {
    dayNumber(text);
  } catch {
    // Checked here, before anything connects: 2026-02-30 has the shape of a date but is none.
    throw new UsageError(`${flag} must be a calendar date YYYY-MM-DD such as 2026-03-09; got "${text}"`);
  }
  return text;
}

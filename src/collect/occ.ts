import type { IsoDate } from "../calendar/index.ts";
import type { OptionRight } from "../pricing/black-scholes.ts";

/**
 * OCC option symbols (the 21-character OSI format): the root padded with spaces to 6 characters, the expiration
 * as YYMMDD, C or P, and the strike × 1000 as 8 digits — "SPY   261218C00600000" is the SPY 600 call of
 * 2026-12-18. Strikes have at most three decimals (12.375 → "00012375") and stay below 100000.
 *
 * Roots are upper-case letters and digits; a class suffix written with a dot or a space ("BRK.B") is joined
 * ("BRKB") as OCC does. Two-digit years are read as 20YY.
 */

export interface OccParts {
  root: string;
  expiry: IsoDate;
  right: OptionRight;
  strike: number;
}

const ROOT_PATTERN = /^[A-Z0-9]{1,6}$/;
const OCC_PATTERN = /^([A-Z0-9 ]{6})(\d{2})(\d{2})(\d{2})([CP])(\d{8})$/;
const ISO_DATE_PATTERN = /^20(\d{2})-(\d{2})-(\d{2})$/;
const MAX_STRIKE_THOUSANDTHS = 99_999_999;

/** The OCC symbol of one option contract; throws RangeError for a root, date or strike OCC cannot express. */
export function occSymbol(root: string, expiry: IsoDate, right: OptionRight, strike: number): string {
  const occRoot = root.toUpperCase().replace(/[.\s/]/g, "");
  if (!ROOT_PATTERN.test(occRoot)) {
    throw new RangeError(`an OCC root is 1 to 6 letters or digits, got "${root}"`);
  }
  const date = ISO_DATE_PATTERN.exec(expiry);
  if (!date || !isCalendarDate(expiry)) {
    throw new RangeError(`an OCC expiry is a date "20YY-MM-DD", got "${expiry}"`);
  }
  if (right !== "C" && right !== "P")
    throw new RangeError(`an option right is "C" or "P", got "${String(right)}"`);
  const thousandths = Math.round(strike * 1000);
  if (!(strike > 0) || thousandths > MAX_STRIKE_THOUSANDTHS || Math.abs(thousandths - strike * 1000) > 1e-6) {
    throw new RangeError(`an OCC strike is positive, below 100000, with at most 3 decimals, got ${strike}`);
  }
  return `${occRoot.padEnd(6, " ")}${date[1]}${date[2]}${date[3]}${right}${String(thousandths).padStart(8, "0")}`;
}

/** The parts of an OCC symbol; throws RangeError when `symbol` is not one. */
export function parseOccSymbol(symbol: string): OccParts {
  const match = OCC_PATTERN.exec(symbol);
  const root = match?.[1]?.trimEnd() ?? "";
  const expiry = match ? `20${match[2]}-${match[3]}-${match[4]}` : "";
  if (!match || !ROOT_PATTERN.test(root) || !isCalendarDate(expiry)) {
    throw new RangeError(
      `expected a 21-character OCC symbol such as "SPY   261218C00600000", got "${symbol}"`,
    );
  }
  return { root, expiry, right: match[5] as OptionRight, strike: Number(match[6]) / 1000 };
}

function isCalendarDate(date: string): boolean {
  const parsed = new Date(`${date}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === date;
}

/**
 * Result parsing shared by both engines so repositories see the same JavaScript values:
 * int8/numeric → number (counts, ids and prices fit a double), date → "YYYY-MM-DD" (a calendar
 * date has no time zone; a JS Date would shift it), timestamptz stays a Date.
 */
export const PG_OID = {
  int8: 20,
  numeric: 1700,
  date: 1082,
} as const;

const toNumber = (text: string): number => Number(text);
const asIsoDate = (text: string): string => text;

export const RESULT_PARSERS: Record<number, (text: string) => unknown> = {
  [PG_OID.int8]: toNumber,
  [PG_OID.numeric]: toNumber,
  [PG_OID.date]: asIsoDate,
};

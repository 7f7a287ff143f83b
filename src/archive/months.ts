/** UTC calendar months ("YYYY-MM"), the archive's and retention's unit. Pure. */

export function monthOf(instant: Date): string {
  return instant.toISOString().slice(0, 7);
}

/** The month's instants: [from, to). */
export function monthRange(month: string): { from: Date; to: Date } {
  const [year, index] = month.split("-").map(Number) as [number, number];
  return { from: new Date(Date.UTC(year, index - 1, 1)), to: new Date(Date.UTC(year, index, 1)) };
}

export function nextMonth(month: string): string {
  return monthOf(monthRange(month).to);
}

export const MONTH_PATTERN = /^\d{4}-(0[1-9]|1[0-2])$/;

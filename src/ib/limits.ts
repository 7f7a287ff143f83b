/**
 * IB's own limits per gateway connection: more client messages per second cost error 100 (and, sustained,
 * a disconnect), more market-data lines error 101. Our pacer is configured a little under them; they are
 * the yardstick of a run's pacing lower bound.
 */
export const IB_MESSAGES_PER_SECOND = 50;
export const IB_MARKET_DATA_LINES = 100;

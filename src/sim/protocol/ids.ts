/** Message ids of the TWS protocol used by the simulator (server version 193). */
export const IN = {
  REQ_MKT_DATA: 1,
  CANCEL_MKT_DATA: 2,
  REQ_IDS: 8,
  REQ_CONTRACT_DATA: 9,
  SET_SERVER_LOGLEVEL: 14,
  REQ_MANAGED_ACCTS: 17,
  REQ_HISTORICAL_DATA: 20,
  CANCEL_HISTORICAL_DATA: 25,
  REQ_CURRENT_TIME: 49,
  REQ_MARKET_DATA_TYPE: 59,
  START_API: 71,
  REQ_SEC_DEF_OPT_PARAMS: 78,
} as const;

export const OUT = {
  TICK_PRICE: 1,
  TICK_SIZE: 2,
  ERR_MSG: 4,
  NEXT_VALID_ID: 9,
  CONTRACT_DATA: 10,
  MANAGED_ACCTS: 15,
  HISTORICAL_DATA: 17,
  TICK_OPTION_COMPUTATION: 21,
  TICK_GENERIC: 45,
  TICK_STRING: 46,
  CURRENT_TIME: 49,
  CONTRACT_DATA_END: 52,
  TICK_SNAPSHOT_END: 57,
  MARKET_DATA_TYPE: 58,
  SECURITY_DEFINITION_OPTION_PARAMETER: 75,
  SECURITY_DEFINITION_OPTION_PARAMETER_END: 76,
  TICK_REQ_PARAMS: 81,
} as const;

/** Highest server version the simulator speaks (that of @stoqey/ib 1.6.10). */
export const MAX_SERVER_VERSION = 193;
/** Versions that change layouts the simulator sends. */
export const VERSION_LAST_TRADE_DATE = 182;
export const VERSION_INELIGIBILITY_REASONS = 186;

/** Tick ids, live and delayed (market data types 3/4). */
export const TICK = {
  BID_SIZE: [0, 69],
  BID: [1, 66],
  ASK: [2, 67],
  ASK_SIZE: [3, 70],
  LAST: [4, 68],
  LAST_SIZE: [5, 71],
  HIGH: [6, 72],
  LOW: [7, 73],
  VOLUME: [8, 74],
  CLOSE: [9, 75],
  OPEN: [14, 76],
  BID_OPTION: [10, 80],
  ASK_OPTION: [11, 81],
  LAST_OPTION: [12, 82],
  MODEL_OPTION: [13, 83],
  LAST_TIMESTAMP: [45, 88],
} as const satisfies Record<string, readonly [number, number]>;

export const GENERIC_TICK = {
  OPTION_HISTORICAL_VOL: 23,
  OPTION_IMPLIED_VOL: 24,
  OPTION_CALL_OPEN_INTEREST: 27,
  OPTION_PUT_OPEN_INTEREST: 28,
  OPTION_CALL_VOLUME: 29,
  OPTION_PUT_VOLUME: 30,
} as const;

/** Generic tick lists IB accepts only on streaming requests. */
export const STREAMING_GENERIC_TICKS = new Set(["100", "101", "104", "106"]);

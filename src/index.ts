// Public entry points for programs that embed chainvault (the CLI is built from the same pieces).
export type { Database, Engine, Queryable, QueryResult } from "./store/database.ts";
export { openDatabase } from "./store/open.ts";
export { migrate } from "./store/migrate.ts";
export { loadConfig } from "./config/load.ts";
export type { Config } from "./config/schema.ts";
export { runCollection } from "./collect/run.ts";
export type { CollectionSummary } from "./collect/summary.ts";
export type { CollectionRequest, CollectionType } from "./core/collection.ts";
export { startSimulator } from "./sim/server.ts";
export type { SimOptions, Simulator } from "./sim/server.ts";
export { openVault } from "./api/vault.ts";
export type {
  ChainAnalytics,
  ChainExpiry,
  ChainQuote,
  ChainSnapshot,
  CollectionInfo,
  ContractHistory,
  ContractQuote,
  ExpiryAnalyticsRow,
  ExpirySummary,
  OpenVaultOptions,
  QuoteValues,
  StoredBoxRate,
  StoredParityBreach,
  StrikePair,
  UnderlyingTick,
  Vault,
} from "./api/vault.ts";

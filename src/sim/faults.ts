import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

/** Faults the simulated gateway injects, from a file (`chainvault sim --faults FILE`) or set by tests. */
export interface FaultConfig {
  /** Symbols without a market-data subscription: 354 on live/frozen data, delayed data with 10167 on types 3/4. */
  unsubscribedSymbols?: string[];
  /** Snapshots take this long (overrides the server's snapshot latency). */
  snapshotLatencyMs?: number;
  /** Snapshots for these symbols ("*" = all) are never answered. */
  unansweredSnapshotSymbols?: string[];
  /**
   * Market-data requests (streaming or snapshot) for options on these underlyings ("*" = all) hold a line but
   * get no answer at all: an options feed that stopped while stocks still quote.
   */
  silentOptionSymbols?: string[];
  /**
   * Option market data for these underlyings ("*" = all) carries IB's "not computed" option computations
   * (ticks 10–13 with IV −1 and greeks −2), as when IB has no model values: the collector's own model fills in.
   */
  greeklessOptionSymbols?: string[];
  /**
   * Options whose conId is a multiple of N hold a line but never get an answer, like silentOptionSymbols for a
   * slice of the chain: with N = 5, about a fifth of the contracts a run selects (a partial, low-coverage run).
   */
  silentContractEvery?: number;
  /** Close each connection after it has been sent this many messages (a drop mid-stream). */
  dropAfterMessages?: number;
  /** Every Nth tick message sent is malformed (a field short: the client reports a decode error). */
  malformedEvery?: number;
  /** Options whose conId is a multiple of N quote with bid and ask swapped: a crossed market, for the quality checks. */
  crossedQuoteEvery?: number;
  /** Market-data requests fail with 10197 (a competing live session holds the data). */
  competingSession?: boolean;
  /** Client ids already connected elsewhere: 326, then the socket is closed. */
  clientIdsInUse?: number[];
  /** Nightly restart window in New York time, e.g. {startEt: "23:45", endEt: "00:45"}: connections are closed and refused. */
  restartWindow?: { startEt: string; endEt: string };
}

/** Tests' handle on faults while the simulator runs. */
export interface FaultControl {
  /** The current configuration (a copy). */
  current(): FaultConfig;
  /** Merges settings into the configuration; `undefined` values clear a fault. */
  set(patch: Partial<FaultConfig>): void;
  /** Closes every client connection now. */
  dropConnections(): void;
  /** Sends 1100 (connectivity between IB and the gateway lost) to every client; streams pause. */
  connectivityLost(): void;
  /** Sends 1102 (restored, data kept) or 1101 (restored, data lost: streams are gone, resubscribe). */
  connectivityRestored(dataKept: boolean): void;
  /** Sends one malformed message to every client. */
  sendMalformed(): void;
  /** Closes all connections and refuses new ones for durationMs (real time). */
  restart(durationMs: number): void;
}

const HH_MM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "a New York time HH:MM");

/** The faults file: YAML or JSON with snake_case keys, all optional. */
const faultFileSchema = z
  .object({
    unsubscribed_symbols: z.array(z.string()).optional(),
    snapshot_latency_ms: z.number().min(0).optional(),
    unanswered_snapshot_symbols: z.array(z.string()).optional(),
    silent_option_symbols: z.array(z.string()).optional(),
    greekless_option_symbols: z.array(z.string()).optional(),
    silent_contract_every: z.number().int().positive().optional(),
    drop_after_messages: z.number().int().positive().optional(),
    malformed_every: z.number().int().positive().optional(),
    crossed_quote_every: z.number().int().positive().optional(),
    competing_session: z.boolean().optional(),
    client_ids_in_use: z.array(z.number().int()).optional(),
    restart_window: z.object({ start_et: HH_MM, end_et: HH_MM }).strict().optional(),
  })
  .strict();

export function parseFaultConfig(text: string, source: string): FaultConfig {
  const raw: unknown = text.trim() === "" ? {} : parseYaml(text);
  const result = faultFileSchema.safeParse(raw ?? {});
  if (!result.success) {
    const problems = result.error.issues
      .map((issue) => `${issue.path.join(".") || "(top)"}: ${issue.message}`)
      .join("; ");
    throw new Error(`${source}: ${problems}`);
  }
  const file = result.data;
  return {
    unsubscribedSymbols: file.unsubscribed_symbols?.map((symbol) => symbol.toUpperCase()),
    snapshotLatencyMs: file.snapshot_latency_ms,
    unansweredSnapshotSymbols: file.unanswered_snapshot_symbols?.map((symbol) => symbol.toUpperCase()),
    silentOptionSymbols: file.silent_option_symbols?.map((symbol) => symbol.toUpperCase()),
    greeklessOptionSymbols: file.greekless_option_symbols?.map((symbol) => symbol.toUpperCase()),
    silentContractEvery: file.silent_contract_every,
    dropAfterMessages: file.drop_after_messages,
    malformedEvery: file.malformed_every,
    crossedQuoteEvery: file.crossed_quote_every,
    competingSession: file.competing_session,
    clientIdsInUse: file.client_ids_in_use,
    restartWindow: file.restart_window
      ? { startEt: file.restart_window.start_et, endEt: file.restart_window.end_et }
      : undefined,
  };
}

export async function loadFaultConfig(path: string): Promise<FaultConfig> {
  return parseFaultConfig(await readFile(path, "utf8"), path);
}

/** Whether a New York "HH:MM" lies in a window that may wrap midnight. */
export function inWindow(timeEt: string, window: { startEt: string; endEt: string }): boolean {
  return window.startEt <= window.endEt
    ? timeEt >= window.startEt && timeEt < window.endEt
    : timeEt >= window.startEt || timeEt < window.endEt;
}

import { MultiBar, Presets } from "cli-progress";
import type { SingleBar } from "cli-progress";
import type { DestinationStream } from "pino";
import type { CollectionProgress, CollectionSummary } from "../collect/summary.ts";
import { logDestination, prettyLines } from "../logger.ts";

/** Exactly the documented `--json` object of `chainvault collect` (and `demo --json`). */
export function summaryJson(summary: CollectionSummary): object {
  return {
    run_id: summary.run_id,
    symbols: summary.symbols.map((entry) => ({
      symbol: entry.symbol,
      status: entry.status,
      contracts_discovered: entry.contracts_discovered,
      contracts_selected: entry.contracts_selected,
      quotes_stored: entry.quotes_stored,
      coverage: entry.coverage,
      new_listings: entry.new_listings,
      duration_s: entry.duration_s,
      // A split collection's parts, and what kept it from completing.
      ...(entry.parts === undefined
        ? {}
        : { parts: entry.parts, ...(entry.error ? { error: entry.error } : {}) }),
    })),
    duration_s: summary.duration_s,
    pacing_lower_bound_s: summary.pacing_lower_bound_s,
  };
}

export function formatSummary(summary: CollectionSummary): string {
  const header = ["symbol", "status", "discovered", "selected", "stored", "coverage", "new", "seconds"];
  const rows = summary.symbols.map((entry) => [
    entry.symbol,
    entry.status,
    String(entry.contracts_discovered),
    String(entry.contracts_selected),
    String(entry.quotes_stored),
    `${(entry.coverage * 100).toFixed(1)}%`,
    String(entry.new_listings),
    entry.duration_s.toFixed(1),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join("  ");
  const errors = summary.symbols
    .filter((entry) => entry.error)
    .map((entry) => `  ${entry.symbol}: ${entry.error}`);
  const parts = summary.symbols
    .filter((entry) => entry.parts !== undefined)
    .map((entry) => `  ${entry.symbol}: ${entry.parts}`);
  return [
    `${summary.type} collection for ${summary.date} (run ${summary.run_id})`,
    line(header),
    ...rows.map(line),
    ...(parts.length > 0 ? ["parts:", ...parts] : []),
    ...(errors.length > 0 ? ["errors:", ...errors] : []),
    `took ${summary.duration_s.toFixed(1)} s; IB's pacing allows no less than ${summary.pacing_lower_bound_s.toFixed(1)} s ` +
      `(${summary.messages_sent} messages)`,
  ].join("\n");
}

/**
 * A progress bar on a terminal (contracts done / total, rate, ETA); nothing otherwise (log lines
 * report progress). Log lines go through `logDestination`: with the bar showing, they are written
 * above it, since a line written straight to the terminal would land in the middle of the bar.
 */
export function progressReporter(enabled: boolean): {
  onProgress: (progress: CollectionProgress) => void;
  logDestination: DestinationStream;
  stop: () => void;
} {
  if (!enabled)
    return { onProgress: () => undefined, logDestination: logDestination(), stop: () => undefined };
  const bars = new MultiBar(
    {
      format: " {symbol} [{bar}] {value}/{total} contracts | {rate}/s | ETA {eta_formatted}",
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 200,
    },
    Presets.shades_classic,
  );
  let bar: SingleBar | undefined;
  let current: string | undefined;
  let startedAt = Date.now();
  return {
    onProgress(progress) {
      if (progress.phase !== "snapshots") return;
      if (progress.symbol !== current || bar === undefined) {
        current = progress.symbol;
        startedAt = Date.now();
        const payload = { symbol: progress.symbol.padEnd(5), rate: "0.0" };
        if (bar === undefined) bar = bars.create(progress.total, progress.done, payload);
        else bar.start(progress.total, progress.done, payload);
      }
      const seconds = Math.max((Date.now() - startedAt) / 1000, 0.001);
      bar.update(progress.done, { rate: (progress.done / seconds).toFixed(1) });
    },
    logDestination: prettyLines((text) => {
      if (bar === undefined) process.stderr.write(text);
      else bars.log(text);
    }, process.stderr.hasColors()),
    stop() {
      if (bar === undefined) return;
      // Lines logged since the last redraw are still buffered; the redraw writes them.
      bars.update();
      bars.stop();
      bar = undefined;
    },
  };
}

/** Without a terminal: one log line per symbol every `everyMs` with contracts done / total, rate and ETA. */
export function progressLogLines(
  logger: { info(object: object, message: string): void },
  everyMs = 10_000,
): (progress: CollectionProgress) => void {
  let symbol: string | undefined;
  let startedAt = 0;
  let loggedAt = 0;
  return (progress) => {
    if (progress.phase !== "snapshots") return;
    const now = Date.now();
    if (progress.symbol !== symbol) {
      symbol = progress.symbol;
      startedAt = now;
      loggedAt = now;
      return;
    }
    if (now - loggedAt < everyMs && progress.done < progress.total) return;
    loggedAt = now;
    const rate = progress.done / Math.max((now - startedAt) / 1000, 0.001);
    const eta = rate > 0 ? Math.ceil((progress.total - progress.done) / rate) : null;
    logger.info(
      {
        symbol,
        done: progress.done,
        total: progress.total,
        perSecond: Number(rate.toFixed(1)),
        etaSeconds: eta,
      },
      `${symbol}: ${progress.done}/${progress.total} contracts`,
    );
  };
}

import { COLLECTION_TYPES } from "../core/collection.ts";
import { UsageError } from "../core/errors.ts";
import { runExport, STDOUT } from "../export/run-export.ts";
import { withDatabase } from "./context.ts";
import type { DatabaseOptions } from "./options.ts";
import { parseDate, parseSymbols } from "./parse-flags.ts";

export interface ExportOptions extends DatabaseOptions {
  symbols: string;
  from: string;
  to: string;
  type: string;
  layout: string;
  format: string;
  out: string;
}

const TYPES = ["eod", "analytics", "all"] as const;
const LAYOUTS = ["quotes", "daily"] as const;
const FORMATS = ["csv", "parquet"] as const;

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`${flag} must be one of ${allowed.join(", ")}; got "${value}"`);
  }
  return value as T;
}

export async function exportAction(options: ExportOptions): Promise<void> {
  const symbols = parseSymbols(options.symbols);
  const from = parseDate(options.from, "--from");
  const to = parseDate(options.to, "--to");
  const type = oneOf("--type", options.type, TYPES);
  const layout = oneOf("--layout", options.layout, LAYOUTS);
  const format = oneOf("--format", options.format, FORMATS);
  if (layout === "daily" && type !== "all") {
    throw new UsageError(
      "--layout daily always pairs the analytics (15:45) and eod snapshots: leave out --type",
    );
  }
  if (options.out.trim() === "") throw new UsageError("--out needs a directory, a .csv file or -");
  const result = await withDatabase(
    options,
    ({ db }) =>
      runExport(db, {
        layout,
        format,
        symbols,
        from,
        to,
        types: type === "all" ? COLLECTION_TYPES : [type],
        out: options.out,
      }),
    { readOnly: true, migrate: true },
  );
  const where = options.out === STDOUT ? "standard output" : options.out;
  const files = format === "parquet" ? ` in ${result.partitions} files (one per symbol and day)` : "";
  // On stdout the data is the output: the summary goes to stderr.
  const report = options.out === STDOUT ? process.stderr : process.stdout;
  report.write(`exported ${result.rows} rows (${layout}, ${format}) to ${where}${files}\n`);
}

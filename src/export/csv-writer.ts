import { once } from "node:events";
import type { Writable } from "node:stream";
import { stringify } from "csv-stringify";
import type { Stringifier } from "csv-stringify";
import type { ExportColumn, ExportColumnKind } from "../store/reads/export-reads.ts";

/**
 * CSV with RFC 4180's quoting (csv-stringify): a header line, a field quoted when it holds a comma, a quote or a
 * line break, LF line ends (what PostgreSQL's COPY writes on the server path, so both engines' files are alike). An empty field is NULL. Timestamps are ISO 8601 in UTC ("2026-12-01T20:45:00.000Z"),
 * dates "YYYY-MM-DD", numbers JavaScript's shortest round-trip form.
 */

function formatFor(kind: ExportColumnKind): (value: unknown) => string {
  if (kind === "timestamptz") return (value) => (value as Date).toISOString();
  return (value) => String(value);
}

export interface CsvWriter {
  append(rows: readonly Record<string, unknown>[]): Promise<void>;
  /** Ends the CSV and waits until it has all been handed to `out` (which stays open). */
  end(): Promise<void>;
}

export function openCsvWriter(out: Writable, columns: readonly ExportColumn[]): CsvWriter {
  const formats = columns.map((column) => ({ name: column.name, format: formatFor(column.kind) }));
  const stringifier: Stringifier = stringify({
    header: true,
    columns: columns.map((column) => column.name),
    record_delimiter: "unix",
  });
  stringifier.pipe(out);
  const finished = once(
    out === process.stdout ? stringifier : out,
    out === process.stdout ? "end" : "finish",
  );
  return {
    async append(rows) {
      for (const row of rows) {
        const record = formats.map(({ name, format }) => {
          const value = row[name];
          return value === null || value === undefined ? null : format(value);
        });
        if (!stringifier.write(record)) await once(stringifier, "drain");
      }
    },
    async end() {
      stringifier.end();
      await finished;
    },
  };
}

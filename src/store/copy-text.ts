/**
 * Encodes rows in PostgreSQL's COPY text format (tab-separated, `\N` for NULL), the format
 * both engines load fastest.
 */

const NULL_FIELD = "\\N";
const SPECIAL = /[\\\t\n\r]/;

function escapeText(text: string): string {
  if (!SPECIAL.test(text)) return text;
  return text.replace(/[\\\t\n\r]/g, (ch) => {
    switch (ch) {
      case "\\":
        return "\\\\";
      case "\t":
        return "\\t";
      case "\n":
        return "\\n";
      default:
        return "\\r";
    }
  });
}

/** One field: null/undefined and NaN/±Infinity become NULL, so a malformed value never aborts a batch. */
export function copyField(value: unknown): string {
  if (value === null || value === undefined) return NULL_FIELD;
  switch (typeof value) {
    case "number":
      return Number.isFinite(value) ? String(value) : NULL_FIELD;
    case "bigint":
      return value.toString();
    case "boolean":
      return value ? "t" : "f";
    case "string":
      return escapeText(value);
    default:
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? NULL_FIELD : value.toISOString();
      return escapeText(JSON.stringify(value));
  }
}

export function copyLine(row: readonly unknown[]): string {
  let line = "";
  for (let i = 0; i < row.length; i++) {
    if (i > 0) line += "\t";
    line += copyField(row[i]);
  }
  return line + "\n";
}

/**
 * Yields COPY text in chunks of roughly `chunkChars` characters, so a large batch is neither one
 * giant string per row nor one per batch.
 */
export function* copyTextChunks(
  rows: Iterable<readonly unknown[]>,
  chunkChars = 1 << 20,
): Generator<{ text: string; rows: number }> {
  let text = "";
  let count = 0;
  for (const row of rows) {
    text += copyLine(row);
    count++;
    if (text.length >= chunkChars) {
      yield { text, rows: count };
      text = "";
      count = 0;
    }
  }
  if (count > 0) yield { text, rows: count };
}

/** Quotes an identifier list such as `table (a, b)` for a COPY statement; names must be plain identifiers. */
export function copyTarget(table: string, columns: readonly string[]): string {
  const plain = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;
  for (const name of [table, ...columns]) {
    if (!plain.test(name)) throw new Error(`copyRows: "${name}" is not a plain lower-case SQL identifier`);
  }
  return `${table} (${columns.join(", ")})`;
}

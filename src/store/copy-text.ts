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
  return row.map(copyField).join("\t") + "\n";
}

/** Yields COPY text in chunks of about `linesPerChunk` rows (arrays joined: far cheaper than +=). */
export function* copyTextChunks(
  rows: Iterable<readonly unknown[]>,
  linesPerChunk = 2_000,
): Generator<{ text: string; rows: number }> {
  let lines: string[] = [];
  for (const row of rows) {
    lines.push(row.map(copyField).join("\t"));
    if (lines.length === linesPerChunk) {
      yield { text: lines.join("\n") + "\n", rows: lines.length };
      lines = [];
    }
  }
  if (lines.length > 0) yield { text: lines.join("\n") + "\n", rows: lines.length };
}

/**
 * Rows encoded as COPY text by a repository's column encoders. Chunks are produced lazily, so a
 * server COPY parses one chunk while the next is being encoded, and remembered, so a loader can
 * send the same text twice (fast path, then staging) without encoding it again.
 */
export class EncodedRows implements Iterable<string> {
  private readonly produced: string[] = [];
  private source: Iterator<string> | null;

  constructor(
    chunks: Iterable<string>,
    readonly count: number,
  ) {
    this.source = chunks[Symbol.iterator]();
  }

  *[Symbol.iterator](): Generator<string> {
    for (let i = 0; ; i++) {
      if (i < this.produced.length) {
        yield this.produced[i]!;
        continue;
      }
      const next = this.source?.next();
      if (!next || next.done) {
        this.source = null;
        return;
      }
      this.produced.push(next.value);
      yield next.value;
    }
  }
}

export type CopySource = Iterable<readonly unknown[]> | EncodedRows;

/** The COPY text of `rows` in chunks, and how many rows they hold. */
export function encodeCopySource(rows: CopySource): EncodedRows {
  if (rows instanceof EncodedRows) return rows;
  const chunks: string[] = [];
  let count = 0;
  for (const chunk of copyTextChunks(rows)) {
    chunks.push(chunk.text);
    count += chunk.rows;
  }
  return new EncodedRows(chunks, count);
}

/** Quotes an identifier list such as `table (a, b)` for a COPY statement; names must be plain identifiers. */
export function copyTarget(table: string, columns: readonly string[]): string {
  const plain = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;
  for (const name of [table, ...columns]) {
    if (!plain.test(name)) throw new Error(`copyRows: "${name}" is not a plain lower-case SQL identifier`);
  }
  return `${table} (${columns.join(", ")})`;
}

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaledIntType } from "../../src/store/repositories/fit.ts";
import type { ColumnType } from "../../src/store/repositories/fit.ts";
import { QUOTE_COLUMNS } from "../../src/store/repositories/quotes.ts";
import { UNDERLYING_TICK_COLUMNS } from "../../src/store/repositories/underlying-ticks.ts";
import { openTestDatabase, TEST_ENGINES } from "../helpers/db.ts";
import type { TestDatabase } from "../helpers/db.ts";

interface DbColumn {
  column_name: string;
  data_type: string;
  numeric_precision: number | null;
  numeric_scale: number | null;
  character_maximum_length: number | null;
}

/** The information_schema type a COPY spec's type stands for. */
function expectedType(type: ColumnType): string {
  switch (type.kind) {
    case "numeric":
      return `numeric(${type.precision},${type.scale})`;
    case "scaled":
      return scaledIntType(type.precision) === "int4" ? "integer" : "bigint";
    case "int2":
      return "smallint";
    case "int4":
      return "integer";
    case "int8":
      return "bigint";
    case "text":
      return type.maxLength === undefined ? "text" : `character varying(${type.maxLength})`;
    case "date":
      return "date";
    case "timestamptz":
      return "timestamp with time zone";
  }
}

function actualType(column: DbColumn): string {
  switch (column.data_type) {
    case "numeric":
      return `numeric(${column.numeric_precision},${column.numeric_scale})`;
    case "character varying":
      return `character varying(${column.character_maximum_length})`;
    default:
      return column.data_type;
  }
}

/** Every way the COPY spec disagrees with the table: a column it names that is missing, or a different type. */
function mismatches(
  specs: readonly { name: string; type: ColumnType }[],
  table: readonly DbColumn[],
): string[] {
  const byName = new Map(table.map((column) => [column.column_name, column]));
  const problems: string[] = [];
  for (const spec of specs) {
    const column = byName.get(spec.name);
    if (!column) {
      problems.push(`${spec.name}: not a column of the table`);
      continue;
    }
    const expected = expectedType(spec.type);
    const actual = actualType(column);
    if (expected !== actual) problems.push(`${spec.name}: COPY spec ${expected}, table ${actual}`);
  }
  return problems;
}

describe.each(TEST_ENGINES)("COPY column specs against the migrated schema on %s", (engine) => {
  let test: TestDatabase;
  const tables = new Map<string, DbColumn[]>();

  beforeAll(async () => {
    test = await openTestDatabase(engine);
    const result = await test.db.query<DbColumn & { table_name: string }>(
      `SELECT table_name, column_name, data_type, numeric_precision, numeric_scale, character_maximum_length
         FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name IN ('market_data_ticks', 'underlying_ticks')
        ORDER BY table_name, ordinal_position`,
    );
    for (const row of result.rows) {
      tables.set(row.table_name, [...(tables.get(row.table_name) ?? []), row]);
    }
  });
  afterAll(() => test?.drop());

  it("market_data_ticks has every quote column with the type the encoder fits values to", () => {
    expect(tables.get("market_data_ticks")?.length).toBeGreaterThan(0);
    expect(mismatches(QUOTE_COLUMNS, tables.get("market_data_ticks")!)).toEqual([]);
  });

  it("underlying_ticks has every underlying tick column with the type the encoder fits values to", () => {
    expect(tables.get("underlying_ticks")?.length).toBeGreaterThan(0);
    expect(mismatches(UNDERLYING_TICK_COLUMNS, tables.get("underlying_ticks")!)).toEqual([]);
  });

  it("reports a spec that drifted from the table", () => {
    const drifted: { name: string; type: ColumnType }[] = [
      { name: "delta_e4", type: { kind: "numeric", precision: 8, scale: 4 } },
      { name: "gamma_e6", type: { kind: "scaled", precision: 9, scale: 6 } },
      { name: "volume", type: { kind: "int4" } },
      { name: "collection_type", type: { kind: "text", maxLength: 30 } },
      { name: "time", type: { kind: "date" } },
      { name: "spread", type: { kind: "numeric", precision: 12, scale: 4 } },
    ];
    expect(mismatches(drifted, tables.get("market_data_ticks")!)).toEqual([
      "delta_e4: COPY spec numeric(8,4), table integer",
      "gamma_e6: COPY spec integer, table bigint",
      "volume: COPY spec integer, table bigint",
      "collection_type: COPY spec character varying(30), table character varying(20)",
      "time: COPY spec date, table timestamp with time zone",
      "spread: not a column of the table",
    ]);
  });
});

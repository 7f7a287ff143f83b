import { describe, expect, it } from "vitest";
import { copyField, copyLine, copyTarget } from "../../src/store/copy-text.ts";
import { copyEncoder, fitValue, numeric } from "../../src/store/repositories/fit.ts";
import type { ColumnType } from "../../src/store/repositories/fit.ts";
import { openTestDatabase, TEST_ENGINES } from "../helpers/db.ts";

describe("COPY text encoding", () => {
  it("escapes separators and writes NULL for missing and non-finite values", () => {
    expect(
      copyLine(["a\tb\nc\\d\re", null, undefined, Number.NaN, Number.NEGATIVE_INFINITY, 1.5, true]),
    ).toBe("a\\tb\\nc\\\\d\\re\t\\N\t\\N\t\\N\t\\N\t1.5\tt\n");
    expect(copyLine([new Date("2026-01-02T03:04:05Z"), { a: 1 }])).toBe(
      '2026-01-02T03:04:05.000Z\t{"a":1}\n',
    );
  });

  it("accepts only plain identifiers as COPY targets", () => {
    expect(copyTarget("market_data_ticks", ["time", "bid_price"])).toBe(
      "market_data_ticks (time, bid_price)",
    );
    expect(() => copyTarget("ticks; DROP TABLE x", ["a"])).toThrow(/plain lower-case SQL identifier/);
  });

  it.each(TEST_ENGINES)("round-trips awkward text through copyRows on %s", async (engine) => {
    const { db, drop } = await openTestDatabase(engine);
    try {
      await db.exec("CREATE TABLE copy_probe (t text, n numeric(12,4), d date)");
      const awkward = "tab\there, newline\nthere, back\\slash, é, \\N literal";
      expect(
        await db.copyRows(
          "copy_probe",
          ["t", "n", "d"],
          [
            [awkward, 1.23456, "2026-03-08"],
            [null, null, null],
          ],
        ),
      ).toBe(2);
      const rows = await db.query("SELECT t, n, d FROM copy_probe ORDER BY t NULLS LAST");
      expect(rows.rows).toEqual([
        { t: awkward, n: 1.2346, d: "2026-03-08" },
        { t: null, n: null, d: null },
      ]);
    } finally {
      await drop();
    }
  });
});

describe("fitting values to columns", () => {
  it("keeps values that fit and nulls those that overflow after rounding", () => {
    const delta = numeric(7, 4);
    expect(fitValue(-0.99995, delta)).toBe(-0.99995);
    expect(fitValue(999.9999, delta)).toBe(999.9999);
    expect(fitValue(999.99996, delta)).toBeNull();
    expect(fitValue(1000, delta)).toBeNull();
    expect(fitValue(Number.NaN, delta)).toBeNull();
    expect(fitValue("1.25", delta)).toBe(1.25);
    expect(fitValue(2_147_483_647, { kind: "int4" })).toBe(2_147_483_647);
    expect(fitValue(2_147_483_648, { kind: "int4" })).toBeNull();
    expect(fitValue(-1, { kind: "int2" })).toBe(-1);
    expect(fitValue(12.6, { kind: "int4" })).toBe(13);
    expect(fitValue("toolong", { kind: "text", maxLength: 5 })).toBeNull();
    expect(fitValue(new Date(Number.NaN), { kind: "timestamptz" })).toBeNull();
    expect(fitValue(undefined, delta)).toBeNull();
  });
});

describe("the fast column encoders", () => {
  const samples: unknown[] = [
    0,
    -0.99995,
    999.9999,
    999.99996,
    1000,
    1e-7,
    12.345678,
    -2_147_483_648,
    2_147_483_648,
    12.6,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    null,
    undefined,
    "1.25",
    "abc",
    "tab\there",
    new Date("2026-01-02T03:04:05Z"),
    new Date(Number.NaN),
    "2026-03-08",
  ];
  const types: ColumnType[] = [
    numeric(7, 4),
    numeric(12, 4),
    { kind: "int2" },
    { kind: "int4" },
    { kind: "int8" },
    { kind: "text", maxLength: 5 },
    { kind: "timestamptz" },
    { kind: "date" },
  ];
  it.each(types)("encode exactly what fitValue + copyField would (%o)", (type) => {
    const encode = copyEncoder(type);
    for (const value of samples) {
      if (value instanceof Date || typeof value === "string") {
        if (type.kind !== "timestamptz" && type.kind !== "date" && type.kind !== "text") continue;
      }
      expect(encode(value), `${String(value)} as ${type.kind}`).toBe(copyField(fitValue(value, type)));
    }
  });
});

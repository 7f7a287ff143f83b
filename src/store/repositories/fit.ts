/**
 * Fitting JavaScript numbers into SQL column types before a bulk load. One value that overflows a
 * numeric(p,s) or an int column would abort the whole COPY, so such a value (or NaN/±Infinity, or
 * IB's sentinels that slipped through) is stored as NULL instead: a malformed tick is NULL, never
 * garbage and never a lost batch.
 */

export type ColumnType =
  | { kind: "numeric"; precision: number; scale: number }
  /** A numeric(precision, scale) value stored as the integer value × 10^scale (int4 or int8, see scaledIntType). */
  | { kind: "scaled"; precision: number; scale: number }
  | { kind: "int2" | "int4" | "int8" }
  | { kind: "text"; maxLength?: number }
  | { kind: "date" | "timestamptz" };

export const numeric = (precision: number, scale: number): ColumnType => ({
  kind: "numeric",
  precision,
  scale,
});

/** A scaled column's integer type: int4 holds every numeric(p, s) value × 10^s up to 9 digits, int8 the rest. */
export const scaledIntType = (precision: number): "int4" | "int8" => (precision <= 9 ? "int4" : "int8");

/** |value| must stay below this after rounding to the scale, as numeric(precision, scale) requires. */
const numericLimit = (precision: number, scale: number) => 10 ** (precision - scale) - 0.5 * 10 ** -scale;

/**
 * `value` × 10^scale rounded as PostgreSQL rounds a decimal to numeric(p, scale): the shortest decimal text of
 * the double, half away from zero. The binary product is exact enough except within a hair of a half, where the
 * decimal text decides (1.00005 is 1.0000499999… in binary but "1.00005" to numeric, which rounds it up).
 */
export function toScaled(value: number, scale: number): number {
  const magnitude = Math.abs(value) * 10 ** scale;
  const floor = Math.floor(magnitude);
  let rounded: number;
  if (Math.abs(magnitude - floor - 0.5) > 1e-6) rounded = Math.round(magnitude);
  else {
    const text = Math.abs(value).toString();
    if (text.includes("e")) rounded = Math.round(magnitude);
    else {
      const [whole = "0", fraction = ""] = text.split(".");
      rounded = Number(whole + fraction.padEnd(scale, "0").slice(0, scale));
      if ((fraction[scale] ?? "0") >= "5") rounded += 1;
    }
  }
  return value < 0 && rounded !== 0 ? -rounded : rounded;
}

const INT_LIMIT = { int2: 32_767, int4: 2_147_483_647, int8: Number.MAX_SAFE_INTEGER } as const;

/** The COPY-ready value, or null when it does not fit the column. */
export function fitValue(value: unknown, type: ColumnType): unknown {
  if (value === null || value === undefined) return null;
  switch (type.kind) {
    case "numeric": {
      const n = typeof value === "string" ? Number(value) : value;
      if (typeof n !== "number" || !Number.isFinite(n)) return null;
      // After rounding to the column's scale, |n| must stay below 10^(precision - scale).
      return Math.abs(n) >= numericLimit(type.precision, type.scale) ? null : n;
    }
    case "scaled": {
      const n = typeof value === "string" ? Number(value) : value;
      if (typeof n !== "number" || !Number.isFinite(n)) return null;
      return Math.abs(n) >= numericLimit(type.precision, type.scale) ? null : toScaled(n, type.scale);
    }
    case "int2":
    case "int4":
    case "int8": {
      const n = typeof value === "string" ? Number(value) : value;
      if (typeof n !== "number" || !Number.isFinite(n)) return null;
      const rounded = Math.round(n);
      return Math.abs(rounded) > INT_LIMIT[type.kind] ? null : rounded;
    }
    case "text": {
      const text = String(value);
      return type.maxLength !== undefined && text.length > type.maxLength ? null : text;
    }
    case "date":
    case "timestamptz":
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
      return typeof value === "string" ? value : null;
  }
}

const NULL_FIELD = "\\N";
const COPY_SPECIAL = /[\\\t\n\r]/;

/**
 * A fast COPY-text encoder for one column, equivalent to `copyField(fitValue(value, type))`.
 * Bulk loads call it 10 million times for 500k quotes, so each type gets its own closure and the
 * common case (a finite number in range) is one comparison and one String().
 */
export function copyEncoder(type: ColumnType): (value: unknown) => string {
  switch (type.kind) {
    case "scaled": {
      const limit = numericLimit(type.precision, type.scale);
      const scale = type.scale;
      return (value) => {
        if (typeof value === "number")
          return value < limit && value > -limit ? String(toScaled(value, scale)) : NULL_FIELD;
        if (value === null || value === undefined) return NULL_FIELD;
        const fitted = fitValue(value, type);
        return fitted === null ? NULL_FIELD : String(fitted);
      };
    }
    case "numeric": {
      const limit = numericLimit(type.precision, type.scale);
      return (value) => {
        if (typeof value === "number") return value < limit && value > -limit ? String(value) : NULL_FIELD;
        if (value === null || value === undefined) return NULL_FIELD;
        const fitted = fitValue(value, type);
        return fitted === null ? NULL_FIELD : String(fitted);
      };
    }
    case "int2":
    case "int4":
    case "int8": {
      const limit = INT_LIMIT[type.kind];
      return (value) => {
        if (typeof value === "number" && Number.isInteger(value) && value <= limit && value >= -limit) {
          return String(value);
        }
        if (value === null || value === undefined) return NULL_FIELD;
        const fitted = fitValue(value, type);
        return fitted === null ? NULL_FIELD : String(fitted);
      };
    }
    case "timestamptz":
    case "date": {
      // Snapshots share one Date object per batch: remember the last conversion.
      let lastDate: Date | null = null;
      let lastText = "";
      return (value) => {
        if (value instanceof Date) {
          if (value !== lastDate) {
            lastDate = value;
            lastText = Number.isNaN(value.getTime()) ? NULL_FIELD : value.toISOString();
          }
          return lastText;
        }
        return typeof value === "string" ? encodeText(value) : NULL_FIELD;
      };
    }
    case "text": {
      const maxLength = type.maxLength ?? Number.POSITIVE_INFINITY;
      return (value) => {
        if (value === null || value === undefined) return NULL_FIELD;
        const text = String(value);
        return text.length > maxLength ? NULL_FIELD : encodeText(text);
      };
    }
  }
}

function encodeText(text: string): string {
  if (!COPY_SPECIAL.test(text)) return text;
  return text.replace(/[\\\t\n\r]/g, (ch) =>
    ch === "\\" ? "\\\\" : ch === "\t" ? "\\t" : ch === "\n" ? "\\n" : "\\r",
  );
}

import { createHash } from "node:crypto";
import fs from "node:fs";
import type { ExportColumn } from "../store/reads/export-reads.ts";

/**
 * The content checksum of a set of rows, computed the same way on rows read from the database and rows read
 * back from Parquet: each row becomes one canonical line (instants as epoch milliseconds, dates as YYYY-MM-DD,
 * numbers in JavaScript's shortest form, NULL as \N), each line is hashed with SHA-256, and the hashes are added
 * modulo 2^256. Addition makes it independent of row order (the two sides need not sort the same way — text
 * collations differ), and unlike XOR a duplicated row changes it.
 */

const MOD = 1n << 256n;

function canonical(kind: ExportColumn["kind"], value: unknown): string {
  if (value === null || value === undefined) return "\\N";
  if (kind === "timestamptz") return value instanceof Date ? String(value.getTime()) : String(value);
  if (kind === "double") return String(Number(value));
  return String(value);
}

export class ContentChecksum {
  #sum = 0n;
  rows = 0;
  constructor(private readonly columns: readonly ExportColumn[]) {}

  add(rows: readonly Record<string, unknown>[]): void {
    for (const row of rows) {
      const line = this.columns.map((column) => canonical(column.kind, row[column.name])).join("\t");
      this.#sum = (this.#sum + BigInt(`0x${createHash("sha256").update(line).digest("hex")}`)) % MOD;
      this.rows += 1;
    }
  }

  hex(): string {
    return this.#sum.toString(16).padStart(64, "0");
  }
}

export async function fileSha256(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

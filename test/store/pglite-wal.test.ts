import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/store/open.ts";

function dirSize(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? dirSize(full) : fs.statSync(full).size;
  }
  return total;
}

describe("embedded engine WAL", () => {
  let root: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-wal-"));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it("stays at a couple of segments after loading more than 64 MB", async () => {
    const dataDir = path.join(root, "data");
    const db = await openDatabase({ dataDir });
    try {
      await db.exec("CREATE TABLE filler (id int PRIMARY KEY, payload text)");
      const payload = "x".repeat(1000);
      for (let batch = 0; batch < 4; batch++) {
        const rows = Array.from({ length: 20_000 }, (_, i) => [batch * 20_000 + i, payload]);
        await db.copyRows("filler", ["id", "payload"], rows);
      }
      // ~80 MB loaded; PostgreSQL's defaults would keep 80 MB+ of WAL here.
      expect(dirSize(path.join(dataDir, "pg_wal"))).toBeLessThanOrEqual(32 * 2 ** 20);
      // The first read after a load sets hint bits, which data checksums log as full-page images
      // (another ~80 MB of WAL); the next transaction's check trims that too.
      const count = await db.query<{ n: number }>("SELECT count(*) AS n FROM filler");
      expect(count.rows[0]!.n).toBe(80_000);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      await db.transaction((tx) => tx.query("SELECT 1"));
      expect(dirSize(path.join(dataDir, "pg_wal"))).toBeLessThanOrEqual(32 * 2 ** 20);
    } finally {
      await db.close();
    }
  });
});

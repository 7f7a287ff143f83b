import { QuoteSpool } from "../../src/collect/spool.ts";
import { quoteRow } from "./spool-rows.ts";

/**
 * Spools rows until it is killed: each line on stdout is the number of rows `add()` has confirmed.
 * test/collect/spool.test.ts kills it with SIGKILL and checks that every confirmed row is in the file.
 */
const [dir, database] = process.argv.slice(2) as [string, string];
const spool = new QuoteSpool({ dir, memoryRows: 0, database });
process.stdout.write(`${spool.file}\n`);
for (let next = 1; ; next += 10) {
  await spool.add(Array.from({ length: 10 }, (_, i) => quoteRow(next + i)));
  process.stdout.write(`${next + 9}\n`);
}

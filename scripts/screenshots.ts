/**
 * Regenerates the README's dashboard screenshots (docs/img/dashboard-health.png, docs/img/dashboard-chain.png)
 * from the browser test's simulated week: SPY and QQQ with a missed night, a partial run and a dead letter,
 * and SPY's chain collected from the simulator. Needs Debian's chromium.
 *
 *   npx tsx scripts/screenshots.ts [--chromium /usr/bin/chromium]
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import puppeteer from "puppeteer-core";
import { ManualClock } from "../src/core/clock.ts";
import { startDashboardServer } from "../src/dashboard/server.ts";
import { silent, startHarness } from "../test/collect/harness.ts";
import { CASES, CHAIN_CONFIG, NOW, fillWeek, weekPlan } from "../test/dashboard/week-fixture.ts";

const { values: args } = parseArgs({
  options: { chromium: { type: "string", default: process.env.CHAINVAULT_CHROMIUM ?? "/usr/bin/chromium" } },
});
const IMG = fileURLToPath(new URL("../docs/img/", import.meta.url));

const h = await startHarness({
  engine: "pglite",
  start: { date: CASES.chain.date, timeEt: "16:45" },
  config: CHAIN_CONFIG,
});
const server = await startDashboardServer({
  host: "127.0.0.1",
  port: 0,
  db: h.db,
  plan: weekPlan(),
  clock: new ManualClock(NOW),
  logger: silent,
});
const browser = await puppeteer.launch({
  executablePath: args.chromium,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
try {
  await fillWeek(h);
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  await page.emulateTimezone("Asia/Jerusalem");
  await page.goto(`${server.url}/#health`);
  await page.waitForSelector("body[data-health=ready]");
  await page.screenshot({ path: path.join(IMG, "dashboard-health.png"), fullPage: true });
  await page.goto(
    `${server.url}/?view=chain#chain?symbol=SPY&date=${CASES.chain.date}&type=eod&expiry=2026-03-20`,
  );
  await page.waitForSelector("body[data-chain=ready]");
  await page.screenshot({ path: path.join(IMG, "dashboard-chain.png"), fullPage: false });
  console.log(`wrote ${path.join(IMG, "dashboard-health.png")} and dashboard-chain.png`);
} finally {
  await browser.close();
  await server.close();
  await h.close();
}

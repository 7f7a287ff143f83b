import type { Command } from "commander";
import type { ScheduleOptions } from "../schedule.ts";
import { addConfigOption } from "../options.ts";

export function register(program: Command): void {
  addConfigOption(
    program
      .command("schedule")
      .summary("Show the collection plan in New York time and on your clock")
      .description(
        "Show the collection plan: every slot the daemon will run, in time order, with its New York time and " +
          "the same instant on your clock. Collections are set in New York time, so they follow the market " +
          "through every daylight-saving change; the gap check and weekend slots are set in local time " +
          "(schedule.timezone, default the machine's zone). The note says why a slot moved: an early close, " +
          "a holiday, a Thursday expiry, or New York and your zone changing clocks on different dates.",
      )
      .option("--from <date>", "first New York trading date, YYYY-MM-DD (default: today in New York)")
      .option("--days <n>", "number of dates to show", "7")
      .option("--tz <zone>", "IANA zone for the LOCAL column and at_local (default: the machine's zone)")
      .option("--json", "print [{type, symbol, date, at_utc, at_et, at_local, note}] in time order")
      .addHelpText(
        "after",
        "\nExamples:\n" +
          "  chainvault schedule --tz Asia/Jerusalem --from 2026-03-09 --days 3\n" +
          "  chainvault schedule --days 30 --json",
      ),
  ).action(async (options: ScheduleOptions) => (await import("../schedule.ts")).scheduleAction(options));
}

import type { Command } from "commander";

export function register(program: Command): void {
  program
    .command("calendar")
    .summary("Show the NYSE holidays and early closes of a year")
    .description(
      "Show the NYSE calendar of a year: the weekdays the exchange is closed (holidays as observed, and " +
        "unscheduled closures) and the 13:00 ET early closes. Collections follow this calendar: nothing runs on a " +
        "holiday, and on an early close the close-tied collections move three hours earlier.",
    )
    .option("--year <year>", "calendar year, 1990–2100 (default: this year in New York)")
    .option("--json", 'print {"year", "holidays": [date], "early_closes": [{"date", "close_et"}]}')
    .addHelpText(
      "after",
      "\nExamples:\n  chainvault calendar --year 2026\n  chainvault calendar --year 2027 --json",
    )
    .action(async (options: { year?: string; json?: boolean }) =>
      (await import("../calendar.ts")).calendarAction(options),
    );
}

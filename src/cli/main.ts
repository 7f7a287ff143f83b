import { Command, CommanderError } from "commander";
import { CommandFailure, ResourceBusy, UsageError } from "../core/errors.ts";
import { EXIT_BUSY, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "./exit-codes.ts";
import * as configCommand from "./commands/config.ts";
import * as dbCommand from "./commands/db.ts";
import * as calendarCommand from "./commands/calendar.ts";
import * as scheduleCommand from "./commands/schedule.ts";
import * as collectCommand from "./commands/collect.ts";
import * as statusCommand from "./commands/status.ts";
import * as analyzeCommand from "./commands/analyze.ts";
import * as exportCommand from "./commands/export.ts";
import * as qualityCommand from "./commands/quality.ts";
import * as demoCommand from "./commands/demo.ts";
import * as serviceCommand from "./commands/service.ts";
import * as daemonCommand from "./commands/daemon.ts";
import * as simCommand from "./commands/sim.ts";
import * as alertsCommand from "./commands/alerts.ts";
import * as archiveCommand from "./commands/archive.ts";
import * as dashboardCommand from "./commands/dashboard.ts";
import * as backupCommand from "./commands/backup.ts";
import * as workerCommand from "./commands/worker.ts";

/*
 * Adding a command: two files, so that `chainvault --help` and every other command start without loading
 * what this one needs (PGlite, pg-boss, fastify, @stoqey/ib, zod: seconds and ~70 MB on a small machine).
 *   src/cli/commands/NAME.ts  register(program): the name, flags and help text. It imports only commander
 *                             types, ../options.ts (addConfigOption / addDatabaseOptions) and constants from
 *                             modules that import nothing heavy; its action is one line,
 *                               .action(async (options: NameOptions) => (await import("../NAME.ts")).nameAction(options))
 *                             (`import type` of the options interface costs nothing at run time).
 *   src/cli/NAME.ts           nameAction(options): parses the flags, does the work, prints.
 * Then add NAME.register below. test/cli/main.test.ts checks that building the program loads no heavy module.
 */
const commands: Array<(program: Command) => void> = [
  dbCommand.register,
  configCommand.register,
  calendarCommand.register,
  scheduleCommand.register,
  collectCommand.register,
  statusCommand.register,
  analyzeCommand.register,
  exportCommand.register,
  qualityCommand.register,
  demoCommand.register,
  serviceCommand.register,
  daemonCommand.register,
  simCommand.register,
  alertsCommand.register,
  dashboardCommand.register,
  backupCommand.register,
  archiveCommand.register,
  workerCommand.register,
];

export function buildProgram(): Command {
  const program = new Command("chainvault")
    .description(
      "Preserve US option chains from Interactive Brokers before they disappear.\n" +
        "Run `chainvault demo` to see a full collection against the built-in simulated gateway.",
    )
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  for (const register of commands) register(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Runs the CLI and returns the process exit code instead of exiting, so tests can call it. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return EXIT_OK;
      if (error.code === "commander.help") return EXIT_OK;
      return EXIT_USAGE;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`chainvault: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof CommandFailure) {
      process.stderr.write(`chainvault: ${error.message}\n`);
      return error instanceof ResourceBusy ? EXIT_BUSY : EXIT_FAILURE;
    }
    process.stderr.write(
      `chainvault: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return EXIT_FAILURE;
  }
}

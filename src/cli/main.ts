import { Command, CommanderError } from "commander";
import { CommandFailure, ResourceBusy, UsageError } from "../core/errors.ts";
import { EXIT_BUSY, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "./exit-codes.ts";
import * as configCommand from "./config.ts";
import * as dbCommand from "./db.ts";
import * as calendarCommand from "./calendar.ts";
import * as scheduleCommand from "./schedule.ts";
import * as collectCommand from "./collect.ts";
import * as statusCommand from "./status.ts";
import * as analyzeCommand from "./analyze.ts";
import * as qualityCommand from "./quality.ts";
import * as demoCommand from "./demo.ts";
import * as serviceCommand from "./service.ts";
import * as daemonCommand from "./daemon.ts";
import * as simCommand from "./sim.ts";
import * as alertsCommand from "./alerts.ts";
import * as backupCommand from "./backup.ts";

// Each command lives in its own file and registers itself here.
const commands: Array<(program: Command) => void> = [
  dbCommand.register,
  configCommand.register,
  calendarCommand.register,
  scheduleCommand.register,
  collectCommand.register,
  statusCommand.register,
  analyzeCommand.register,
  qualityCommand.register,
  demoCommand.register,
  serviceCommand.register,
  daemonCommand.register,
  simCommand.register,
  alertsCommand.register,
  backupCommand.register,
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

import type { Command } from "commander";

/** Options every command that reads the configuration accepts. */
export interface ConfigOptions {
  config?: string;
}

/** Options every command that touches the database accepts. */
export interface DatabaseOptions extends ConfigOptions {
  dataDir?: string;
}

export function addConfigOption(command: Command): Command {
  return command.option(
    "--config <file>",
    "configuration file (default: $CHAINVAULT_CONFIG, else ./chainvault.yaml if present; none is needed)",
  );
}

export function addDatabaseOptions(command: Command): Command {
  return addConfigOption(command).option(
    "--data-dir <dir>",
    "embedded database directory, used when DATABASE_URL is unset (default: $CHAINVAULT_DATA_DIR, else database.data_dir, ./data)",
  );
}

import type { Command } from "commander";
import { stringify } from "yaml";
import { ENVIRONMENT_VARIABLES, redactConfig } from "../config/load.ts";
import { addConfigOption, loadCommandConfig } from "./context.ts";
import { symbolEntryOf } from "../config/symbols.ts";
import type { ConfigOptions } from "./context.ts";

export function register(program: Command): void {
  addConfigOption(
    program
      .command("config")
      .description(
        "Show the effective configuration: defaults, then the config file, then the environment\n" +
          `(${ENVIRONMENT_VARIABLES.join(", ")}). Secrets are printed as ***.`,
      )
      .option("--show", "print the effective configuration (the default action)")
      .option("--json", "print it as JSON instead of YAML"),
  ).action((options: ConfigOptions & { show?: boolean; json?: boolean }) => {
    const { config, file } = loadCommandConfig(options);
    // Shown as the file would write it, so the output can be pasted back as a configuration.
    const safe = { ...redactConfig(config), symbols: config.symbols.map(symbolEntryOf) };
    if (options.json) {
      process.stdout.write(JSON.stringify(safe, null, 2) + "\n");
      return;
    }
    process.stdout.write(
      `# effective configuration (${file === null ? "no config file; defaults" : `from ${file}`})\n`,
    );
    process.stdout.write(stringify(safe));
  });
}

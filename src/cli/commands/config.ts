import type { Command } from "commander";
import type { ConfigOptions } from "../options.ts";
import { ENVIRONMENT_VARIABLES } from "../../config/environment.ts";
import { addConfigOption } from "../options.ts";

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
  ).action(async (options: ConfigOptions & { show?: boolean; json?: boolean }) =>
    (await import("../config.ts")).configAction(options),
  );
}

import { symbolEntryOf } from "../config/symbols.ts";
import { stringify } from "yaml";
import { redactConfig } from "../config/load.ts";
import { loadCommandConfig } from "./context.ts";
import type { ConfigOptions } from "./context.ts";

export function configAction(options: ConfigOptions & { show?: boolean; json?: boolean }): void {
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
}

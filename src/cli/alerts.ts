import { createChannels } from "../alerts/channels.ts";
import { sendTestAlert } from "../alerts/test-alert.ts";
import type { ChannelTestResult } from "../alerts/test-alert.ts";
import { loadEnvFile } from "../config/env-file.ts";
import { CommandFailure } from "../core/errors.ts";
import { loadCommandConfig } from "./context.ts";
import type { ConfigOptions } from "./context.ts";

export interface AlertsTestOptions extends ConfigOptions {
  environmentFile?: string;
  json?: boolean;
}

function formatResults(results: readonly ChannelTestResult[]): string {
  const width = Math.max(...results.map((result) => `${result.name} (${result.type})`.length));
  return (
    results
      .map((result) => {
        const label = `${result.name} (${result.type})`.padEnd(width);
        return `${label}  ${result.ok ? "OK" : `error: ${result.error}`}  ${result.ms} ms`;
      })
      .join("\n") + "\n"
  );
}

export async function alertsTestAction(options: AlertsTestOptions): Promise<void> {
  if (options.environmentFile !== undefined) loadEnvFile(options.environmentFile);
  const { config, file } = loadCommandConfig(options);
  if (config.alerts.channels.length === 0) {
    throw new CommandFailure(
      `no alert channels configured (alerts.channels in ${file ?? "chainvault.yaml"}): add a webhook, email or ` +
        "command channel (see README, Alerts)",
    );
  }
  const channels = createChannels(config.alerts);
  let results: ChannelTestResult[];
  try {
    results = await sendTestAlert(channels);
  } finally {
    for (const channel of channels) channel.close();
  }
  process.stdout.write(options.json ? `${JSON.stringify({ channels: results })}\n` : formatResults(results));
  const failed = results.filter((result) => !result.ok);
  if (failed.length > 0) {
    throw new CommandFailure(
      `${failed.length} of ${results.length} alert channel${results.length > 1 ? "s" : ""} failed: ` +
        failed.map((result) => result.name).join(", "),
    );
  }
}

import type { Command } from "commander";
import { createChannels } from "../alerts/channels.ts";
import { sendTestAlert } from "../alerts/test-alert.ts";
import type { ChannelTestResult } from "../alerts/test-alert.ts";
import { loadEnvFile } from "../config/env-file.ts";
import { CommandFailure } from "../core/errors.ts";
import { addConfigOption, loadCommandConfig } from "./context.ts";
import type { ConfigOptions } from "./context.ts";

interface AlertsTestOptions extends ConfigOptions {
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

export function register(program: Command): void {
  const alerts = program
    .command("alerts")
    .description(
      "Alerts (config `alerts:`): webhook (JSON with a Slack-compatible `text`), email (SMTP) and command channels.\n" +
        "The daemon raises one alert per (kind, date, symbol) — slot_failed, coverage_low, quality_error,\n" +
        "gateway_unreachable — and a `resolved` one when it recovers. See README, Alerts.",
    );
  addConfigOption(
    alerts
      .command("test")
      .description(
        "Send a test alert to every configured channel now, one try each, and print per channel OK or the error.\n" +
          "Exit status 1 when any channel failed or none is configured. Secrets (webhook URL, SMTP password) come\n" +
          "from the environment: pass the daemon's env file with --environment-file to test what the daemon will use.",
      )
      .option(
        "--environment-file <file>",
        "read KEY=value lines (SLACK_WEBHOOK_URL=…, SMTP_PASSWORD=…) into the environment first, as the daemon does; refused unless chmod 600",
      )
      .option("--json", "print {channels:[{name, type, ok, error?, ms}]}"),
  ).action(async (options: AlertsTestOptions) => {
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
    process.stdout.write(
      options.json ? `${JSON.stringify({ channels: results })}\n` : formatResults(results),
    );
    const failed = results.filter((result) => !result.ok);
    if (failed.length > 0) {
      throw new CommandFailure(
        `${failed.length} of ${results.length} alert channel${results.length > 1 ? "s" : ""} failed: ` +
          failed.map((result) => result.name).join(", "),
      );
    }
  });
}

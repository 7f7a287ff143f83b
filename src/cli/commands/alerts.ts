import type { Command } from "commander";
import type { AlertsTestOptions } from "../alerts.ts";
import { addConfigOption } from "../options.ts";

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
  ).action(async (options: AlertsTestOptions) => (await import("../alerts.ts")).alertsTestAction(options));
}

import type { Command } from "commander";
import type { ServiceOptions } from "../service.ts";
import { addConfigOption } from "../options.ts";

export function register(program: Command): void {
  const service = program
    .command("service")
    .summary("Install or remove the OS service that keeps `chainvault daemon` running")
    .description(
      "Keep `chainvault daemon` running unattended: a launchd LaunchAgent (macOS) or a systemd user unit " +
        "(Linux) that starts it at login and restarts it when it exits. The OS only keeps the daemon alive; " +
        "the daemon itself decides when to collect, in New York time, so no collection times are written into " +
        "the service file. Secrets stay in your env file (~/.config/chainvault/env), never in the service file.",
    );
  const platformOption = "launchd (macOS) or systemd (Linux); default: this machine's";
  addConfigOption(
    service
      .command("install")
      .description("write the service file that runs `chainvault daemon` with this configuration file")
      .option("--platform <platform>", platformOption)
      .option(
        "--dry-run",
        "print the file to stdout (and where it would go to stderr); write nothing. `> FILE` saves it as is",
      )
      .option("--now", "also load and start it (launchctl bootstrap / systemctl --user enable --now)")
      .addHelpText(
        "after",
        "\nExamples:\n" +
          "  chainvault service install --platform launchd --config ~/chainvault.yaml --dry-run\n" +
          "  chainvault service install --platform systemd --now",
      ),
  ).action(async (options: ServiceOptions) => (await import("../service.ts")).serviceInstallAction(options));
  addConfigOption(
    service
      .command("uninstall")
      .description("remove the service file (logs and the env file are kept)")
      .option("--platform <platform>", platformOption)
      .option("--dry-run", "say what would be removed; remove nothing")
      .option("--now", "also stop and unload it first (launchctl bootout / systemctl --user disable --now)"),
  ).action(async (options: ServiceOptions) =>
    (await import("../service.ts")).serviceUninstallAction(options),
  );
}

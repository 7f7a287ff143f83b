import path from "node:path";

/**
 * Service definitions that keep `chainvault daemon` running unattended: a launchd LaunchAgent (macOS) or a
 * systemd user unit (Linux). The OS only restarts the process; it never decides when to collect. A plist that
 * fired collections with StartCalendarInterval at fixed local times would drift an hour off the market for about
 * three weeks a year where the user's zone and New York change clocks on different dates; the daemon plans its
 * slots in New York time instead (src/schedule/plan.ts), so these files carry no calendar at all.
 *
 * No secret is written into them: DATABASE_URL, IB settings and the like are read at start from an env file the
 * user keeps (chmod 600), which the files only point to. The daemon reads that file itself (`--environment-file`), not
 * the service manager, so that it can refuse one other users can read.
 */

export type ServicePlatform = "launchd" | "systemd";
export const SERVICE_PLATFORMS: readonly ServicePlatform[] = ["launchd", "systemd"];

export const LAUNCHD_LABEL = "com.chainvault.daemon";
export const SYSTEMD_UNIT = "chainvault.service";

export interface ServiceSpec {
  platform: ServicePlatform;
  /** The user's home directory. */
  home: string;
  /** XDG_CONFIG_HOME, when set (systemd only); default ~/.config. */
  xdgConfigHome?: string;
  /** XDG_STATE_HOME, when set (systemd only); default ~/.local/state. */
  xdgStateHome?: string;
  /** Absolute path of the Node.js binary (≥ 22) that runs chainvault. */
  nodePath: string;
  /** Absolute path of bin/chainvault.js. */
  cliPath: string;
  /** Absolute path of the configuration file, or null to run on defaults and the environment. */
  configPath: string | null;
  /** Directory the daemon runs in; relative paths of the configuration (database.data_dir) resolve against it. */
  workingDirectory: string;
  /** The user's numeric id (launchd's gui/<uid> domain). */
  uid: number;
  /** daemon.shutdown_grace_seconds of the configuration: the service manager must wait longer before SIGKILL. */
  shutdownGraceSeconds: number;
}

/**
 * After the grace period the daemon still hands its job back, closes the queue and the database; killing it
 * before that would leave the run for pg-boss's heartbeat expiry to notice, a minute or more later.
 */
export const STOP_MARGIN_SECONDS = 30;

/** How long the service manager waits after SIGTERM before it kills the daemon. */
export function stopTimeoutSeconds(spec: Pick<ServiceSpec, "shutdownGraceSeconds">): number {
  return spec.shutdownGraceSeconds + STOP_MARGIN_SECONDS;
}

export interface ServiceFile {
  platform: ServicePlatform;
  /** Where the definition is written. */
  path: string;
  content: string;
  /** Where the daemon's output goes. */
  logFiles: { stdout: string; stderr: string };
  /** The env file the daemon reads its secrets from (`service install` creates it empty, mode 0600). */
  envFile: string;
  /** Commands that load and start the service now / stop and unload it. */
  startCommands: string[][];
  stopCommands: string[][];
}

function configHome(spec: ServiceSpec): string {
  return spec.xdgConfigHome && path.isAbsolute(spec.xdgConfigHome)
    ? spec.xdgConfigHome
    : path.join(spec.home, ".config");
}

/** The env file both platforms point to: KEY=value lines, e.g. DATABASE_URL=postgres://… */
export function envFilePath(spec: ServiceSpec): string {
  return path.join(configHome(spec), "chainvault", "env");
}

function daemonArguments(spec: ServiceSpec): string[] {
  return [
    spec.nodePath,
    spec.cliPath,
    "daemon",
    ...(spec.configPath ? ["--config", spec.configPath] : []),
    "--environment-file",
    envFilePath(spec),
  ];
}

export function serviceFile(spec: ServiceSpec): ServiceFile {
  return spec.platform === "launchd" ? launchdFile(spec) : systemdFile(spec);
}

function xml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function launchdFile(spec: ServiceSpec): ServiceFile {
  const logDir = path.join(spec.home, "Library", "Logs", "chainvault");
  const logFiles = { stdout: path.join(logDir, "daemon.log"), stderr: path.join(logDir, "daemon.err.log") };
  const envFile = envFilePath(spec);
  const file = path.join(spec.home, "Library", "LaunchAgents", `${LAUNCHD_LABEL}.plist`);
  const args = daemonArguments(spec);
  const content = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    "<dict>",
    "  <key>Label</key>",
    `  <string>${LAUNCHD_LABEL}</string>`,
    "  <!-- Keeps `chainvault daemon` alive; the daemon plans every collection in New York time itself. -->",
    "  <key>ProgramArguments</key>",
    "  <array>",
    ...args.map((arg) => `    <string>${xml(arg)}</string>`),
    "  </array>",
    "  <key>WorkingDirectory</key>",
    `  <string>${xml(spec.workingDirectory)}</string>`,
    "  <key>RunAtLoad</key>",
    "  <true/>",
    "  <key>KeepAlive</key>",
    "  <true/>",
    "  <!-- Wait this many seconds before restarting a daemon that exited. -->",
    "  <key>ThrottleInterval</key>",
    "  <integer>30</integer>",
    "  <!-- SIGTERM lets the daemon stop the run in flight (daemon.shutdown_grace_seconds); launchd kills after 20 s otherwise. -->",
    "  <key>ExitTimeOut</key>",
    `  <integer>${stopTimeoutSeconds(spec)}</integer>`,
    "  <key>ProcessType</key>",
    "  <string>Background</string>",
    "  <key>StandardOutPath</key>",
    `  <string>${xml(logFiles.stdout)}</string>`,
    "  <key>StandardErrorPath</key>",
    `  <string>${xml(logFiles.stderr)}</string>`,
    "</dict>",
    "</plist>",
    "",
  ].join("\n");
  const domain = `gui/${spec.uid}`;
  return {
    platform: "launchd",
    path: file,
    content,
    logFiles,
    envFile,
    startCommands: [["launchctl", "bootstrap", domain, file]],
    stopCommands: [["launchctl", "bootout", `${domain}/${LAUNCHD_LABEL}`]],
  };
}

/** Quotes one ExecStart argument: systemd expands %specifiers and $variables, so both are escaped. */
function systemdArgument(arg: string): string {
  const escaped = arg.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/%/g, "%%").replace(/\$/g, "$$$$");
  return /[\s"'\\;]/.test(arg) || escaped !== arg ? `"${escaped}"` : arg;
}

function systemdPath(value: string): string {
  return value.replace(/%/g, "%%");
}

function systemdFile(spec: ServiceSpec): ServiceFile {
  const stateHome =
    spec.xdgStateHome && path.isAbsolute(spec.xdgStateHome)
      ? spec.xdgStateHome
      : path.join(spec.home, ".local", "state");
  const logDir = path.join(stateHome, "chainvault");
  const logFiles = { stdout: path.join(logDir, "daemon.log"), stderr: path.join(logDir, "daemon.err.log") };
  const envFile = envFilePath(spec);
  const file = path.join(configHome(spec), "systemd", "user", SYSTEMD_UNIT);
  const content = [
    "[Unit]",
    "Description=chainvault daemon: collects US option chains on the NYSE calendar",
    "# Not ordered after the network: that target belongs to the system manager, which user units cannot wait for.",
    "# The daemon retries the gateway and the database itself.",
    "# Keep restarting however often it fails (no start-rate limit).",
    "StartLimitIntervalSec=0",
    "",
    "[Service]",
    "Type=simple",
    "# The daemon plans every collection in New York time itself; systemd only keeps it running.",
    "# Secrets (DATABASE_URL, IB_*) live in the --environment-file, not here; the daemon refuses it unless it is chmod 600.",
    `ExecStart=${daemonArguments(spec).map(systemdArgument).join(" ")}`,
    `WorkingDirectory=${systemdPath(spec.workingDirectory)}`,
    "Restart=always",
    "RestartSec=30",
    `# SIGTERM lets the daemon checkpoint the run in flight within daemon.shutdown_grace_seconds (${spec.shutdownGraceSeconds}); this must be longer.`,
    "KillSignal=SIGTERM",
    `TimeoutStopSec=${stopTimeoutSeconds(spec)}`,
    `StandardOutput=append:${systemdPath(logFiles.stdout)}`,
    `StandardError=append:${systemdPath(logFiles.stderr)}`,
    "",
    "[Install]",
    "WantedBy=default.target",
    "",
  ].join("\n");
  return {
    platform: "systemd",
    path: file,
    content,
    logFiles,
    envFile,
    startCommands: [
      ["systemctl", "--user", "daemon-reload"],
      ["systemctl", "--user", "enable", "--now", SYSTEMD_UNIT],
    ],
    stopCommands: [["systemctl", "--user", "disable", "--now", SYSTEMD_UNIT]],
  };
}

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  SERVICE_PLATFORMS,
  serviceFile,
  type ServiceFile,
  type ServicePlatform,
  type ServiceSpec,
} from "../daemon/service-files.ts";
import { loadCommandConfig, type ConfigOptions } from "./context.ts";
import { CommandFailure, UsageError, errorMessage } from "../core/errors.ts";

const CLI_PATH = fileURLToPath(new URL("../../bin/chainvault.js", import.meta.url));

export interface ServiceOptions extends ConfigOptions {
  platform?: string;
  dryRun?: boolean;
  now?: boolean;
}

function platformOf(option: string | undefined): ServicePlatform {
  if (option === undefined) {
    if (process.platform === "darwin") return "launchd";
    if (process.platform === "linux") return "systemd";
    throw new UsageError(`no service manager known for ${process.platform}: pass --platform launchd|systemd`);
  }
  if (!(SERVICE_PLATFORMS as readonly string[]).includes(option)) {
    throw new UsageError(`--platform ${option}: use launchd (macOS) or systemd (Linux)`);
  }
  return option as ServicePlatform;
}

function specFor(options: ServiceOptions): ServiceSpec {
  const { file, config } = loadCommandConfig(options);
  return {
    platform: platformOf(options.platform),
    home: os.homedir(),
    xdgConfigHome: process.env.XDG_CONFIG_HOME,
    xdgStateHome: process.env.XDG_STATE_HOME,
    nodePath: process.execPath,
    cliPath: CLI_PATH,
    configPath: file === null ? null : path.resolve(file),
    workingDirectory: process.cwd(),
    uid: typeof process.getuid === "function" ? process.getuid() : 501,
    shutdownGraceSeconds: config.daemon.shutdown_grace_seconds,
  };
}

function shellLine(command: string[]): string {
  return command
    .map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`))
    .join(" ");
}

function runCommands(commands: string[][]): void {
  for (const [program, ...args] of commands) {
    try {
      execFileSync(program!, args, { stdio: ["ignore", "inherit", "inherit"] });
    } catch (error) {
      throw new CommandFailure(
        `${shellLine([program!, ...args])} failed (${errorMessage(error).split("\n")[0]}); ` +
          "run it by hand to see why",
      );
    }
  }
}

function print(lines: string[]): void {
  process.stdout.write(lines.join("\n") + "\n");
}

export function serviceInstallAction(options: ServiceOptions): void {
  const file = serviceFile(specFor(options));
  if (options.dryRun) {
    // stdout is the file alone, so `--dry-run > file` saves a valid plist or unit; the rest is for the reader.
    process.stdout.write(file.content);
    process.stderr.write(`dry run: would write ${file.path}; nothing was written\n`);
    return;
  }
  const existed = fs.existsSync(file.path);
  fs.mkdirSync(path.dirname(file.path), { recursive: true });
  fs.mkdirSync(path.dirname(file.logFiles.stdout), { recursive: true });
  fs.writeFileSync(file.path, file.content, { mode: 0o644 });
  print([
    `${existed ? "updated" : "wrote"} ${file.path}`,
    `logs: ${file.logFiles.stdout} and ${file.logFiles.stderr}`,
    ...prepareEnvFile(file.envFile),
  ]);
  if (options.now) {
    runCommands(file.startCommands);
    print([
      `started: ${file.platform === "launchd" ? "launchd" : "systemd"} keeps chainvault daemon running`,
    ]);
  } else {
    print(["start it with:", ...file.startCommands.map((c) => `  ${shellLine(c)}`)]);
  }
  if (file.platform === "systemd") {
    print([`to keep it running while you are logged out: loginctl enable-linger ${os.userInfo().username}`]);
  }
}

/** The daemon refuses a missing env file or one other users can read: make sure it exists, private. */
function prepareEnvFile(envFile: string): string[] {
  const secrets = `secrets (DATABASE_URL=…, IB_HOST=…): put them in ${envFile}; the daemon reads it at start`;
  if (!fs.existsSync(envFile)) {
    fs.mkdirSync(path.dirname(envFile), { recursive: true, mode: 0o700 });
    const header =
      "# NAME=value lines for `chainvault daemon`, e.g. DATABASE_URL=postgres://…\n" +
      "# Read as written: no $ expansion, optional quotes, # comments after a blank (README: Env file format).\n";
    fs.writeFileSync(envFile, header, {
      mode: 0o600,
      flag: "wx",
    });
    return [`${secrets} (created it empty, mode 600)`];
  }
  const mode = fs.statSync(envFile).mode & 0o777;
  if ((mode & 0o077) === 0) return [secrets];
  return [
    secrets,
    `warning: ${envFile} is open to other users (mode ${mode.toString(8)}); the daemon refuses it until you run chmod 600 ${envFile}`,
  ];
}

export function serviceUninstallAction(options: ServiceOptions): void {
  const file: ServiceFile = serviceFile(specFor(options));
  const present = fs.existsSync(file.path);
  if (options.dryRun) {
    print([present ? `would remove ${file.path}` : `nothing to remove: ${file.path} does not exist`]);
    return;
  }
  if (options.now) runCommands(file.stopCommands);
  if (!present) {
    print([`nothing to remove: ${file.path} does not exist`]);
    return;
  }
  fs.rmSync(file.path);
  print([`removed ${file.path} (logs and ${file.envFile} are kept)`]);
  if (!options.now) {
    print(["if it is still running, stop it with:", ...file.stopCommands.map((c) => `  ${shellLine(c)}`)]);
  }
}

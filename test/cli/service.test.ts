import fs from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DOMParser } from "@xmldom/xmldom";
import { parse as parsePlist } from "plist";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { loadEnvFile } from "../../src/config/env-file.ts";
import { serviceFile, type ServiceSpec } from "../../src/daemon/service-files.ts";
import { BIN, runCli } from "../helpers/cli.ts";

/** The plist as launchd reads it; any XML error (even one xmldom would recover from) fails the test. */
function readPlist(text: string): Record<string, unknown> {
  new DOMParser({
    onError: (level, message) => {
      throw new Error(`plist is not well-formed XML (${level}): ${message}`);
    },
  }).parseFromString(text, "text/xml");
  return parsePlist(text) as Record<string, unknown>;
}

/** A unit file's lines as systemd reads them: [Section] headers and Key=value settings, comments dropped. */
function readUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | null = null;
  for (const line of text.split("\n")) {
    if (line.trim() === "" || line.startsWith("#")) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1]!, current);
      continue;
    }
    const setting = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (!setting || !current) throw new Error(`not a unit file line: ${line}`);
    current.set(setting[1]!, [...(current.get(setting[1]!) ?? []), setting[2]!]);
  }
  return sections;
}

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = process.stdout.write;
  const stderr = process.stderr.write;
  process.stdout.write = ((chunk: string | Uint8Array) => (out.push(String(chunk)), true)) as typeof stdout;
  process.stderr.write = ((chunk: string | Uint8Array) => (err.push(String(chunk)), true)) as typeof stderr;
  try {
    const code = await main(["node", "chainvault", ...args]);
    return { code, stdout: out.join(""), stderr: err.join("") };
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
  }
}

const SECRET = "s3cret-password-never-in-files";
const saved = { ...process.env };
let home: string;
let configFile: string;

beforeEach(() => {
  home = fs.mkdtempSync(path.join(tmpdir(), "chainvault-home-"));
  configFile = path.join(home, "my config.yaml");
  fs.writeFileSync(configFile, "symbols: [SPY]\n");
  process.env.HOME = home;
  delete process.env.XDG_CONFIG_HOME;
  delete process.env.XDG_STATE_HOME;
  delete process.env.CHAINVAULT_CONFIG;
  process.env.DATABASE_URL = `postgres://collector:${SECRET}@db.example:5432/chainvault`;
});

afterEach(() => {
  for (const key of ["HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "DATABASE_URL", "CHAINVAULT_CONFIG"]) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
  fs.rmSync(home, { recursive: true, force: true });
});

/**
 * `service install --dry-run`: stdout must be the file alone, so that `> file` saves it; where it would go is
 * said on stderr. The config sets a grace period other than the
 * default, which the stop timeouts must exceed.
 */
describe("chainvault service install --dry-run", () => {
  const GRACE = 300;

  /** launchd as a user runs it (a process of its own); systemd in this process, to keep the suite fast. */
  async function dryRun(platform: "launchd" | "systemd") {
    fs.writeFileSync(configFile, `symbols: [SPY]\ndaemon:\n  shutdown_grace_seconds: ${GRACE}\n`);
    const args = ["service", "install", "--platform", platform, "--config", configFile, "--dry-run"];
    const child = platform === "launchd";
    const result = child
      ? await runCli(
          args,
          {
            HOME: home,
            XDG_CONFIG_HOME: undefined,
            XDG_STATE_HOME: undefined,
            DATABASE_URL: `postgres://collector:${SECRET}@db.example:5432/chainvault`,
          },
          { cwd: home },
        )
      : await run(...args);
    expect(result.code, result.stderr).toBe(0);
    // The same file `service install` writes, byte for byte.
    const expected = serviceFile({
      platform,
      home,
      nodePath: process.execPath,
      cliPath: BIN,
      configPath: configFile,
      workingDirectory: child ? fs.realpathSync(home) : process.cwd(),
      uid: process.getuid!(),
      shutdownGraceSeconds: GRACE,
    });
    expect(result.stdout).toBe(expected.content);
    expect(result.stderr).toBe(`dry run: would write ${expected.path}; nothing was written\n`);
    expect(result.stdout).not.toContain(SECRET);
    expect(fs.readdirSync(home)).toEqual(["my config.yaml"]);
    return result.stdout;
  }

  it("prints a LaunchAgent that parses as a plist: the daemon with this config, kept alive, no calendar", async () => {
    const stdout = await dryRun("launchd");
    expect(readPlist(stdout)).toEqual({
      Label: "com.chainvault.daemon",
      ProgramArguments: [
        process.execPath,
        BIN,
        "daemon",
        "--config",
        configFile,
        "--environment-file",
        `${home}/.config/chainvault/env`,
      ],
      WorkingDirectory: fs.realpathSync(home),
      RunAtLoad: true,
      KeepAlive: true,
      ThrottleInterval: 30,
      // launchd kills 20 s after SIGTERM unless told otherwise: longer than the grace, with room to close.
      ExitTimeOut: GRACE + 30,
      ProcessType: "Background",
      StandardOutPath: `${home}/Library/Logs/chainvault/daemon.log`,
      StandardErrorPath: `${home}/Library/Logs/chainvault/daemon.err.log`,
    });
  });

  it("prints a systemd user unit that restarts the daemon, waits past the grace period, no network-online.target", async () => {
    const stdout = await dryRun("systemd");
    const unit = readUnit(stdout);
    expect([...unit.keys()]).toEqual(["Unit", "Service", "Install"]);
    // network-online.target is the system manager's: a user unit that names it waits for nothing.
    expect(stdout).not.toContain("network-online");
    expect(unit.get("Unit")!.has("After")).toBe(false);
    const service = unit.get("Service")!;
    expect(Number(service.get("TimeoutStopSec")![0])).toBe(GRACE + 30);
    expect(service.get("KillSignal")).toEqual(["SIGTERM"]);
    expect(service.get("Restart")).toEqual(["always"]);
    expect(service.get("RestartSec")).toEqual(["30"]);
    expect(service.get("ExecStart")![0]).toBe(
      `${process.execPath} ${BIN} daemon --config "${configFile}" --environment-file ${home}/.config/chainvault/env`,
    );
    // The daemon reads the env file itself, so that it can refuse one others can read.
    expect(service.has("EnvironmentFile")).toBe(false);
    expect(service.get("StandardOutput")).toEqual([`append:${home}/.local/state/chainvault/daemon.log`]);
    expect(service.get("StandardError")).toEqual([`append:${home}/.local/state/chainvault/daemon.err.log`]);
    expect(unit.get("Install")!.get("WantedBy")).toEqual(["default.target"]);
    expect(stdout).not.toMatch(/OnCalendar|\.timer/);
    expect(stdout).not.toContain("DATABASE_URL=");
  });

  it("rejects an unknown platform with exit code 2", async () => {
    const { code, stderr } = await run("service", "install", "--platform", "cron", "--dry-run");
    expect(code).toBe(2);
    expect(stderr).toMatch(/launchd .* systemd/);
  });
});

describe("chainvault service install / uninstall", () => {
  for (const platform of ["launchd", "systemd"] as const) {
    it(`writes and removes the ${platform} file under HOME`, async () => {
      const installed = await run("service", "install", "--platform", platform, "--config", configFile);
      expect(installed.code).toBe(0);
      const file =
        platform === "launchd"
          ? path.join(home, "Library/LaunchAgents/com.chainvault.daemon.plist")
          : path.join(home, ".config/systemd/user/chainvault.service");
      expect(installed.stdout).toContain(`wrote ${file}`);
      const content = fs.readFileSync(file, "utf8");
      expect(content).toContain("daemon");
      expect(content).not.toContain(SECRET);
      const logDir = platform === "launchd" ? "Library/Logs/chainvault" : ".local/state/chainvault";
      expect(fs.statSync(path.join(home, logDir)).isDirectory()).toBe(true);
      // The daemon refuses a missing env file or one others can read: install leaves a private, empty one.
      const envFile = path.join(home, ".config/chainvault/env");
      expect(fs.statSync(envFile).mode & 0o777).toBe(0o600);
      // The daemon's parser reads the template without complaint and finds no variable in it.
      expect(loadEnvFile(envFile, {})).toEqual([]);
      expect(installed.stdout).toContain(
        `${envFile}; the daemon reads it at start (created it empty, mode 600)`,
      );

      expect(
        (await run("service", "install", "--platform", platform, "--config", configFile)).stdout,
      ).toContain(`updated ${file}`);
      const removed = await run("service", "uninstall", "--platform", platform);
      expect(removed.code).toBe(0);
      expect(removed.stdout).toContain(`removed ${file}`);
      expect(fs.existsSync(file)).toBe(false);
      const again = await run("service", "uninstall", "--platform", platform);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain("nothing to remove");
    });
  }

  it("follows XDG_CONFIG_HOME and XDG_STATE_HOME for systemd", async () => {
    process.env.XDG_CONFIG_HOME = path.join(home, "cfg");
    process.env.XDG_STATE_HOME = path.join(home, "state");
    const { stdout, stderr } = await run("service", "install", "--platform", "systemd", "--dry-run");
    expect(stderr).toContain(`would write ${home}/cfg/systemd/user/chainvault.service;`);
    expect(stdout).toContain(`StandardOutput=append:${home}/state/chainvault/daemon.log`);
    // No config file: defaults, the environment and the env file.
    const execStart = stdout.split("\n").find((line) => line.startsWith("ExecStart="));
    expect(execStart).toMatch(/bin\/chainvault\.js daemon --environment-file \S+$/);
    expect(execStart?.endsWith(` --environment-file ${home}/cfg/chainvault/env`)).toBe(true);
  });
});

describe("service files", () => {
  const spec = (overrides: Partial<ServiceSpec> = {}): ServiceSpec => ({
    platform: "systemd",
    home: "/home/dana",
    nodePath: "/usr/bin/node",
    cliPath: "/opt/chainvault/bin/chainvault.js",
    configPath: "/home/dana/100% $HOME.yaml",
    workingDirectory: "/home/dana",
    uid: 1000,
    shutdownGraceSeconds: 120,
    ...overrides,
  });

  it("escapes systemd specifiers and variables in ExecStart", () => {
    expect(serviceFile(spec()).content).toContain('--config "/home/dana/100%% $$HOME.yaml"');
  });

  it("escapes XML in the plist, which still parses, and targets the user's launchd domain", () => {
    const file = serviceFile(spec({ platform: "launchd", configPath: "/home/dana/a&b<c>\"d'.yaml" }));
    expect(file.content).toContain("<string>/home/dana/a&amp;b&lt;c&gt;&quot;d'.yaml</string>");
    expect((readPlist(file.content).ProgramArguments as string[])[4]).toBe("/home/dana/a&b<c>\"d'.yaml");
    expect(file.startCommands).toEqual([["launchctl", "bootstrap", "gui/1000", file.path]]);
  });

  it("both run the daemon itself with the env file as --environment-file: no shell parses it", () => {
    const launchd = serviceFile(spec({ platform: "launchd", configPath: "/home/dana/c.yaml" }));
    expect(readPlist(launchd.content).ProgramArguments).toEqual([
      "/usr/bin/node",
      "/opt/chainvault/bin/chainvault.js",
      "daemon",
      "--config",
      "/home/dana/c.yaml",
      "--environment-file",
      "/home/dana/.config/chainvault/env",
    ]);
    const systemd = readUnit(serviceFile(spec({ configPath: "/home/dana/c.yaml" })).content).get("Service")!;
    expect(systemd.get("ExecStart")).toEqual([
      "/usr/bin/node /opt/chainvault/bin/chainvault.js daemon --config /home/dana/c.yaml " +
        "--environment-file /home/dana/.config/chainvault/env",
    ]);
    for (const file of [launchd.content, serviceFile(spec()).content]) {
      expect(file).not.toMatch(/\/bin\/(ba)?sh\b|EnvironmentFile|\bsource\b|set -a/);
    }
  });

  it("give the daemon longer than daemon.shutdown_grace_seconds to stop, whatever it is", () => {
    for (const grace of [1, 120, 3600]) {
      const unit = readUnit(serviceFile(spec({ shutdownGraceSeconds: grace })).content);
      expect(Number(unit.get("Service")!.get("TimeoutStopSec")![0])).toBeGreaterThan(grace);
      const plist = readPlist(
        serviceFile(spec({ platform: "launchd", shutdownGraceSeconds: grace })).content,
      );
      expect(plist.ExitTimeOut).toBeGreaterThan(grace);
    }
  });
});

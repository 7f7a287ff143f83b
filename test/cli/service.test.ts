import fs from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { serviceFile, type ServiceSpec } from "../../src/daemon/service-files.ts";

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

describe("chainvault service install --dry-run", () => {
  it("prints a LaunchAgent that keeps the daemon alive with this config and no calendar", async () => {
    const { code, stdout } = await run(
      "service",
      "install",
      "--platform",
      "launchd",
      "--config",
      configFile,
      "--dry-run",
    );
    expect(code).toBe(0);
    expect(stdout.split("\n")[0]).toBe(`# ${home}/Library/LaunchAgents/com.chainvault.daemon.plist`);
    expect(stdout).toMatch(/<key>KeepAlive<\/key>\s*<true\/>/);
    expect(stdout).toMatch(/<key>RunAtLoad<\/key>\s*<true\/>/);
    expect(stdout).toContain(
      `<key>StandardOutPath</key>\n  <string>${home}/Library/Logs/chainvault/daemon.log</string>`,
    );
    expect(stdout).toContain(
      `<key>StandardErrorPath</key>\n  <string>${home}/Library/Logs/chainvault/daemon.err.log</string>`,
    );
    expect(stdout).toMatch(
      /<string>daemon<\/string>\s*<string>--config<\/string>\s*<string>[^<]*my config\.yaml<\/string>/,
    );
    expect(stdout).toContain(`<string>${home}/.config/chainvault/env</string>`);
    expect(stdout).not.toContain("StartCalendarInterval");
    expect(stdout).not.toContain(SECRET);
    expect(fs.existsSync(path.join(home, "Library"))).toBe(false);
  });

  it("prints a systemd user unit that restarts the daemon and reads secrets from an env file", async () => {
    const { code, stdout } = await run(
      "service",
      "install",
      "--platform",
      "systemd",
      "--config",
      configFile,
      "--dry-run",
    );
    expect(code).toBe(0);
    expect(stdout.split("\n")[0]).toBe(`# ${home}/.config/systemd/user/chainvault.service`);
    expect(stdout).toMatch(
      /^ExecStart=\S+ \S+bin\/chainvault\.js daemon --config "[^"]*my config\.yaml" --environment-file \S+$/m,
    );
    expect(stdout).toMatch(/^Restart=always$/m);
    expect(stdout).toMatch(/^RestartSec=\d+$/m);
    // The daemon reads the env file itself, so that it can refuse one others can read.
    expect(stdout).toContain(` --environment-file ${home}/.config/chainvault/env\n`);
    expect(stdout).not.toContain("EnvironmentFile");
    expect(stdout).toContain(`StandardOutput=append:${home}/.local/state/chainvault/daemon.log`);
    expect(stdout).toContain(`StandardError=append:${home}/.local/state/chainvault/daemon.err.log`);
    expect(stdout).toMatch(/^WantedBy=default\.target$/m);
    expect(stdout).not.toMatch(/OnCalendar|\.timer/);
    expect(stdout).not.toContain(SECRET);
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
    const { stdout } = await run("service", "install", "--platform", "systemd", "--dry-run");
    expect(stdout.split("\n")[0]).toBe(`# ${home}/cfg/systemd/user/chainvault.service`);
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
    ...overrides,
  });

  it("escapes systemd specifiers and variables in ExecStart", () => {
    expect(serviceFile(spec()).content).toContain('--config "/home/dana/100%% $$HOME.yaml"');
  });

  it("escapes XML in the plist and targets the user's launchd domain", () => {
    const file = serviceFile(spec({ platform: "launchd", configPath: "/home/dana/a&b<c>.yaml" }));
    expect(file.content).toContain("<string>/home/dana/a&amp;b&lt;c&gt;.yaml</string>");
    expect(file.startCommands).toEqual([["launchctl", "bootstrap", "gui/1000", file.path]]);
  });

  it("launchd runs the daemon itself with the env file as --environment-file, no shell in between", () => {
    const file = serviceFile(spec({ platform: "launchd", configPath: "/home/dana/c.yaml" }));
    const args = [...file.content.matchAll(/^ {4}<string>(.*)<\/string>$/gm)].map((m) => m[1]);
    expect(args).toEqual([
      "/usr/bin/node",
      "/opt/chainvault/bin/chainvault.js",
      "daemon",
      "--config",
      "/home/dana/c.yaml",
      "--environment-file",
      "/home/dana/.config/chainvault/env",
    ]);
  });
});

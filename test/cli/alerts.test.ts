import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { commandReceiver, startSmtpReceiver, startWebhookReceiver } from "../helpers/alert-receivers.ts";
import type { CommandReceiver, SmtpReceiver, WebhookReceiver } from "../helpers/alert-receivers.ts";

const HOOK_TOKEN = "/hooks/cli-secret-token-9f3e";
const SMTP_PASSWORD = "cli-smtp-pa$$-4411";

/** Runs the CLI in this process, as `chainvault …` would, and captures what it prints. */
async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string) => ((stdout += chunk), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => ((stderr += chunk), true)) as typeof process.stderr.write;
  try {
    const code = await main(["node", "chainvault", ...args]);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

describe("chainvault alerts test", () => {
  let dir: string;
  let webhook: WebhookReceiver;
  let smtp: SmtpReceiver;
  let command: CommandReceiver;
  let failing: CommandReceiver;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-alerts-cli-"));
    webhook = await startWebhookReceiver((n) => (n === 2 ? 500 : 200));
    smtp = await startSmtpReceiver("cv@example.test", SMTP_PASSWORD);
    command = commandReceiver();
    failing = commandReceiver({ failWith: "notify: no such device" });
  });
  afterAll(async () => {
    await webhook?.close();
    await smtp?.close();
    command?.remove();
    failing?.remove();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    delete process.env.CV_TEST_HOOK_URL;
    delete process.env.CV_TEST_SMTP_PASSWORD;
  });

  function writeConfig(name: string, commandArgv: string[]): string {
    const file = path.join(dir, name);
    fs.writeFileSync(
      file,
      [
        "alerts:",
        "  channels:",
        "    - { type: webhook, name: phone, url_env: CV_TEST_HOOK_URL }",
        "    - type: email",
        "      name: mail",
        `      smtp: { host: 127.0.0.1, port: ${smtp.port}, user: cv@example.test, password_env: CV_TEST_SMTP_PASSWORD }`,
        "      from: cv@example.test",
        "      to: [quant@example.test]",
        `    - { type: command, name: script, command: ${JSON.stringify(commandArgv)} }`,
        "",
      ].join("\n"),
    );
    return file;
  }

  function writeEnvFile(): string {
    const file = path.join(dir, "env");
    fs.writeFileSync(
      file,
      `CV_TEST_HOOK_URL=${webhook.url(HOOK_TOKEN)}\nCV_TEST_SMTP_PASSWORD='${SMTP_PASSWORD}'\n`,
      { mode: 0o600 },
    );
    return file;
  }

  it("sends a test alert to the webhook, the SMTP server and the command, secrets from the env file", async () => {
    const config = writeConfig("ok.yaml", command.command);
    const result = await run([
      "alerts",
      "test",
      "--config",
      config,
      "--environment-file",
      writeEnvFile(),
      "--json",
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout) as { channels: { name: string; type: string; ok: boolean }[] };
    expect(output.channels.map(({ name, type, ok }) => ({ name, type, ok }))).toEqual([
      { name: "phone", type: "webhook", ok: true },
      { name: "mail", type: "email", ok: true },
      { name: "script", type: "command", ok: true },
    ]);
    expect(webhook.requests.map((request) => request.path)).toEqual([HOOK_TOKEN]);
    expect(webhook.accepted()[0]).toMatchObject({ kind: "test", state: "firing", symbol: "*" });
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]!.subject).toMatch(/^\[chainvault\] FIRING test \d{4}-\d\d-\d\d$/);
    expect(command.received()).toMatchObject([{ kind: "test", text: webhook.accepted()[0]!.text }]);
  });

  it("prints each channel's error and exits 1 when any failed, without a secret in the output", async () => {
    const config = writeConfig("failing.yaml", failing.command);
    const result = await run(["alerts", "test", "--config", config, "--environment-file", writeEnvFile()]);
    expect(result.code).toBe(1);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    // The receiver answers the second request 500 and echoes the path, which holds the webhook's token.
    expect(lines[0]).toMatch(
      /^phone \(webhook\) +error: webhook answered HTTP 500: no such hook \*\*\* {2}\d+ ms$/,
    );
    expect(lines[1]).toMatch(/^mail \(email\) +OK {2}\d+ ms$/);
    expect(lines[2]).toMatch(
      /^script \(command\) +error: \S+ exited with 3: notify: no such device {2}\d+ ms$/,
    );
    expect(result.stderr).toBe("chainvault: 2 of 3 alert channels failed: phone, script\n");
    for (const secret of [HOOK_TOKEN, SMTP_PASSWORD])
      expect(result.stdout + result.stderr).not.toContain(secret);
  });

  it("says what to set when a secret is missing or no channel is configured", async () => {
    const config = writeConfig("no-env.yaml", command.command);
    const missing = await run(["alerts", "test", "--config", config, "--json"]);
    expect(missing.code).toBe(1);
    const output = JSON.parse(missing.stdout) as {
      channels: { name: string; ok: boolean; error?: string }[];
    };
    expect(output.channels.find((channel) => channel.name === "phone")!.error).toMatch(
      /^environment variable CV_TEST_HOOK_URL \(alerts\.channels\[0\]\.url_env\) is not set: add CV_TEST_HOOK_URL=… to the daemon's env file/,
    );
    const empty = path.join(dir, "empty.yaml");
    fs.writeFileSync(empty, "symbols: [SPY]\n");
    const none = await run(["alerts", "test", "--config", empty]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no alert channels configured \(alerts\.channels in .*empty\.yaml\)/);
  });
});

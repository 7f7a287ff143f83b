import { spawn } from "node:child_process";
import nodemailer from "nodemailer";
import type { AlertChannelConfig, Config } from "../config/schema.ts";
import { errorMessage } from "../core/errors.ts";
import { alertSubject } from "./message.ts";
import type { AlertMessage } from "./message.ts";

/** Where alerts go. `send` rejects with a reason a person can act on, never with a secret in it. */
export interface AlertChannel {
  readonly name: string;
  readonly type: AlertChannelConfig["type"];
  /** Secret values the channel holds (webhook URL, SMTP password): scrubbed from any text that is logged or stored. */
  readonly secrets: readonly string[];
  send(message: AlertMessage): Promise<void>;
  close(): void;
}

/** The channel's name in logs, `alerts test` and the alerts table: its `name`, else type-N by position. */
export function channelName(channel: AlertChannelConfig, index: number): string {
  return channel.name ?? `${channel.type}-${index + 1}`;
}

/** Replaces every secret (and its URL-encoded form) in `text` by ***. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let scrubbed = text;
  for (const secret of secrets) {
    // Short values would blank out ordinary words; no real URL or password is this short.
    if (secret.length < 4) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)]))
      scrubbed = scrubbed.split(form).join("***");
  }
  return scrubbed;
}

/** The secret an `*_env` key names, or why it cannot be had. */
function fromEnvironment(
  env: NodeJS.ProcessEnv,
  variable: string,
  key: string,
): { value: string } | { problem: string } {
  const value = env[variable];
  if (value === undefined || value === "")
    return {
      problem:
        `environment variable ${variable} (${key}) is not set: add ${variable}=… to the daemon's env file ` +
        "(~/.config/chainvault/env, chmod 600) or export it",
    };
  return { value };
}

/** A channel that cannot send (a missing secret): every send says why, and the alert waits for the next start. */
function unusable(name: string, type: AlertChannelConfig["type"], problem: string): AlertChannel {
  return {
    name,
    type,
    secrets: [],
    send: () => Promise.reject(new Error(problem)),
    close: () => undefined,
  };
}

function webhookBody(
  message: AlertMessage,
  format: "generic" | "slack" | "text",
): { body: string; type: string } {
  if (format === "text") return { body: message.text, type: "text/plain; charset=utf-8" };
  if (format === "slack") return { body: JSON.stringify({ text: message.text }), type: "application/json" };
  return { body: JSON.stringify(message), type: "application/json" };
}

/** The path and query of a URL when they are long enough to hold a token. */
function secretPath(url: string): string[] {
  try {
    const { pathname, search } = new URL(url);
    const tail = pathname + search;
    return tail.length >= 8 ? [tail] : [];
  } catch {
    return [];
  }
}

function webhookChannel(
  name: string,
  config: Extract<AlertChannelConfig, { type: "webhook" }>,
  index: number,
  env: NodeJS.ProcessEnv,
): AlertChannel {
  let url = config.url;
  if (config.url_env !== undefined) {
    const secret = fromEnvironment(env, config.url_env, `alerts.channels[${index}].url_env`);
    if ("problem" in secret) return unusable(name, "webhook", secret.problem);
    url = secret.value;
  }
  const target = url!;
  if (!/^https?:\/\//i.test(target))
    return unusable(name, "webhook", `the URL in ${config.url_env ?? "url"} is not an http(s) URL`);
  return {
    name,
    type: "webhook",
    // The token of a Slack-style URL is its path: an error that echoes the path alone must not show it either.
    secrets: [target, ...secretPath(target)],
    async send(message) {
      const { body, type } = webhookBody(message, config.format);
      let response: Response;
      try {
        response = await fetch(target, {
          method: "POST",
          headers: { "content-type": type, "user-agent": `chainvault/${message.chainvault_version}` },
          body,
          signal: AbortSignal.timeout(config.timeout_seconds * 1000),
        });
      } catch (error) {
        const cause = (error as { cause?: unknown }).cause;
        throw new Error(
          `webhook request failed: ${errorMessage(error)}${cause ? ` (${errorMessage(cause)})` : ""}`,
          // Kept for a debugger; only the message is ever logged or stored, after the URL is scrubbed from it.
          { cause: error },
        );
      }
      const answer = (await response.text().catch(() => "")).slice(0, 200);
      if (!response.ok)
        throw new Error(`webhook answered HTTP ${response.status}${answer ? `: ${answer}` : ""}`);
    },
    close: () => undefined,
  };
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i;

function emailChannel(
  name: string,
  config: Extract<AlertChannelConfig, { type: "email" }>,
  index: number,
  env: NodeJS.ProcessEnv,
): AlertChannel {
  const { smtp } = config;
  let password: string | undefined;
  if (smtp.password_env !== undefined) {
    const secret = fromEnvironment(env, smtp.password_env, `alerts.channels[${index}].smtp.password_env`);
    if ("problem" in secret) return unusable(name, "email", secret.problem);
    password = secret.value;
  }
  const timeout = config.timeout_seconds * 1000;
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    auth: smtp.user === undefined ? undefined : { user: smtp.user, pass: password ?? "" },
    // A password never crosses the network in clear: STARTTLS is required unless the server is this machine.
    requireTLS: !smtp.secure && password !== undefined && !LOOPBACK.test(smtp.host),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  });
  return {
    name,
    type: "email",
    secrets: password === undefined ? [] : [password],
    async send(message) {
      await transport.sendMail({
        from: config.from,
        to: config.to,
        subject: alertSubject(message),
        text: `${message.text}\n\n${JSON.stringify(message, null, 2)}\n`,
      });
    },
    close: () => transport.close(),
  };
}

function commandChannel(
  name: string,
  config: Extract<AlertChannelConfig, { type: "command" }>,
  env: NodeJS.ProcessEnv,
): AlertChannel {
  const [program, ...args] = config.command;
  return {
    name,
    type: "command",
    secrets: [],
    send: (message) =>
      new Promise<void>((resolve, reject) => {
        // No shell: the argv runs as written, and nothing in an alert can become a shell command.
        const child = spawn(program!, args, {
          stdio: ["pipe", "ignore", "pipe"],
          env,
          timeout: config.timeout_seconds * 1000,
          killSignal: "SIGKILL",
        });
        let stderr = "";
        child.stderr!.on("data", (chunk: Buffer) => {
          if (stderr.length < 2000) stderr += chunk.toString();
        });
        // A program that does not read its stdin closes it early: not an error of ours.
        child.stdin!.on("error", () => undefined);
        child.on("error", (error) => reject(new Error(`cannot run ${program}: ${error.message}`)));
        child.on("close", (code, signal) => {
          if (code === 0) return resolve();
          const how =
            signal === "SIGKILL" || signal === "SIGTERM"
              ? `was stopped after ${config.timeout_seconds} s (timeout_seconds) or killed`
              : `exited with ${code ?? signal}`;
          const tail = stderr.trim().split("\n").slice(-3).join(" | ");
          reject(new Error(`${program} ${how}${tail ? `: ${tail}` : ""}`));
        });
        child.stdin!.end(`${JSON.stringify(message)}\n`);
      }),
    close: () => undefined,
  };
}

/**
 * The configured channels, secrets read from `env` (after the env file). A channel whose secret is missing is
 * kept as one that fails with what to do, so `alerts test` and the logs say so and its alerts wait.
 */
export function createChannels(
  settings: Config["alerts"],
  env: NodeJS.ProcessEnv = process.env,
): AlertChannel[] {
  // A command sees the environment without chainvault's own secrets.
  const secretVariables = new Set(["DATABASE_URL"]);
  for (const channel of settings.channels) {
    if (channel.type === "webhook" && channel.url_env) secretVariables.add(channel.url_env);
    if (channel.type === "email" && channel.smtp.password_env) secretVariables.add(channel.smtp.password_env);
  }
  const commandEnv = Object.fromEntries(Object.entries(env).filter(([key]) => !secretVariables.has(key)));
  return settings.channels.map((channel, index) => {
    const name = channelName(channel, index);
    switch (channel.type) {
      case "webhook":
        return webhookChannel(name, channel, index, env);
      case "email":
        return emailChannel(name, channel, index, env);
      case "command":
        return commandChannel(name, channel, commandEnv);
    }
  });
}

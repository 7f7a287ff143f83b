import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { SMTPServer } from "smtp-server";

/** What a webhook receiver got: one entry per request. */
export interface WebhookRequest {
  path: string;
  contentType: string | undefined;
  body: string;
}

export interface WebhookReceiver {
  /** A URL of this receiver with the given path (the secret part of a real webhook URL). */
  url(pathname: string): string;
  requests: WebhookRequest[];
  /** Parsed JSON bodies of the requests answered 2xx. */
  accepted(): Record<string, unknown>[];
  close(): Promise<void>;
}

/**
 * An HTTP server on 127.0.0.1 standing in for Slack, ntfy or any webhook. `status(n)` says how to answer the
 * n-th request (1-based): 200 unless told otherwise; an error answer echoes the path back, as some servers do.
 */
export async function startWebhookReceiver(
  status: (n: number) => number = () => 200,
): Promise<WebhookReceiver> {
  const requests: WebhookRequest[] = [];
  const statuses: number[] = [];
  const server = http.createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      requests.push({ path: request.url ?? "", contentType: request.headers["content-type"], body });
      const code = status(requests.length);
      statuses.push(code);
      response.writeHead(code, { "content-type": "text/plain" });
      response.end(code < 300 ? "ok" : `no such hook ${request.url}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (pathname) => `http://127.0.0.1:${port}${pathname}`,
    requests,
    accepted: () =>
      requests
        .filter((_, index) => statuses[index]! < 300)
        .map((request) => JSON.parse(request.body) as Record<string, unknown>),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  /** The body with quoted-printable soft breaks and escapes decoded. */
  text: string;
}

export interface SmtpReceiver {
  port: number;
  mails: ReceivedMail[];
  /** Logins refused (wrong user or password). */
  refusedLogins: number;
  close(): Promise<void>;
}

function decodeQuotedPrintable(text: string): string {
  return text
    .replace(/=\r?\n/g, "")
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** A real SMTP server (smtp-server) on 127.0.0.1 that requires this user and password and keeps every mail. */
export async function startSmtpReceiver(user: string, password: string): Promise<SmtpReceiver> {
  const receiver = { mails: [] as ReceivedMail[], refusedLogins: 0 };
  const server = new SMTPServer({
    authOptional: false,
    // Plain SMTP on loopback: the test has no certificate for STARTTLS.
    allowInsecureAuth: true,
    disabledCommands: ["STARTTLS"],
    // No reverse DNS of 127.0.0.1 (it can take seconds to fail here) and no 30 s wait for idle clients on close.
    disableReverseLookup: true,
    closeTimeout: 1000,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === password) return callback(null, { user });
      receiver.refusedLogins += 1;
      callback(new Error("Invalid username or password"));
    },
    onData(stream, session, callback) {
      let raw = "";
      stream.on("data", (chunk: Buffer) => (raw += chunk.toString()));
      stream.on("end", () => {
        const split = raw.indexOf("\r\n\r\n");
        const headers = raw.slice(0, split);
        const subject = /^Subject: (.*)$/im.exec(headers)?.[1]?.trim() ?? "";
        receiver.mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((address) => address.address),
          subject,
          text: decodeQuotedPrintable(raw.slice(split + 4)),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;
  return Object.assign(receiver, {
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

export interface CommandReceiver {
  /** The command channel's argv: node running a script that appends its stdin to a file. */
  command: string[];
  /** The JSON alerts the script received, one per run. */
  received(): Record<string, unknown>[];
  remove(): void;
}

/** A tiny program for the command channel: it appends what it reads on stdin to a file, one line per alert. */
export function commandReceiver(options: { failWith?: string } = {}): CommandReceiver {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-alert-command-"));
  const script = path.join(dir, "receive.mjs");
  const out = path.join(dir, "alerts.jsonl");
  fs.writeFileSync(
    script,
    options.failWith === undefined
      ? `import fs from "node:fs";
let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => fs.appendFileSync(process.argv[2], input.trim() + "\\n"));
`
      : `process.stderr.write(${JSON.stringify(options.failWith)} + "\\n"); process.exit(3);\n`,
  );
  return {
    command: [process.execPath, script, out],
    received: () =>
      fs.existsSync(out)
        ? fs
            .readFileSync(out, "utf8")
            .split("\n")
            .filter(Boolean)
            .map((line) => JSON.parse(line) as Record<string, unknown>)
        : [],
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

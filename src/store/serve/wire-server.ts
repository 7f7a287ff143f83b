import net from "node:net";
import type { Logger } from "../../logger.ts";
import { errorMessage } from "../../core/errors.ts";
import { BackendScanner } from "./backend-scanner.ts";
import { SharedSession } from "./shared-session.ts";
import type { SessionLease, SessionSettings, SharedPglite } from "./shared-session.ts";
import { prefixStatementName } from "./statement-names.ts";
import {
  authenticationOk,
  errorResponse,
  FrameReader,
  parameterStatus,
  readyForQuery,
} from "./wire-frames.ts";

/**
 * The embedded database over the PostgreSQL wire protocol, on 127.0.0.1 only, without TLS (a
 * client asking for it is told no and carries on in the clear, as libpq's sslmode=prefer does). A
 * client's messages are gathered up to the point where it waits for an answer (Query, Sync, Flush,
 * a function call, the end of its COPY data) and handed to the session in one lease (see
 * shared-session.ts), read only by default. A client that opens a transaction keeps the lease until
 * it ends it; idle in it for longer than `idleInTransactionMs`, it is disconnected as PostgreSQL's
 * idle_in_transaction_session_timeout would, so the process it shares the session with can go on.
 */

/** The one database of an embedded cluster. */
export const EMBEDDED_DATABASE = "postgres";

/** ParameterStatus values a client expects after authentication (those PostgreSQL reports itself). */
const REPORTED = [
  "server_version",
  "server_encoding",
  "client_encoding",
  "DateStyle",
  "IntervalStyle",
  "TimeZone",
  "integer_datetimes",
  "standard_conforming_strings",
  "is_superuser",
  "application_name",
  "default_transaction_read_only",
  "in_hot_standby",
];

/** Message types after which a client waits for the answer: the end of a batch. */
const ANSWER_AWAITED = new Set("QSHFcf".split("").map((c) => c.charCodeAt(0)));
const TERMINATE = 0x58; // 'X'

export interface WireServerOptions {
  pglite: SharedPglite;
  port: number;
  logger?: Logger;
  /** Disconnect a client idle inside a transaction for this long (it holds the session meanwhile). */
  idleInTransactionMs: number;
  maxConnections?: number;
}

export interface WireServer {
  readonly host: string;
  readonly port: number;
  /** Clients connected now. */
  readonly connections: number;
  /** Clients waiting for the session (behind another client's transaction or the process's own work). */
  readonly waiting: number;
  close(): Promise<void>;
}

/** Settings a client asked for in its startup message: plain parameters and `-c name=value` in options. */
export function startupSettings(parameters: Record<string, string>): SessionSettings {
  const settings: SessionSettings = new Map();
  for (const [name, value] of Object.entries(parameters)) {
    if (!["user", "database", "options", "replication"].includes(name)) settings.set(name, value);
  }
  const words = (parameters.options ?? "").match(/(?:\\.|\S)+/g) ?? [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!.replaceAll(/\\(.)/g, "$1");
    const assignment = word === "-c" ? words[++i]?.replaceAll(/\\(.)/g, "$1") : /^--(.+)$/.exec(word)?.[1];
    const match = assignment === undefined ? null : /^([^=]+)=(.*)$/s.exec(assignment);
    if (match) settings.set(match[1]!.replaceAll("-", "_"), match[2]!);
  }
  return settings;
}

let nextClientId = 1;

class ServedClient {
  readonly id = nextClientId++;
  readonly #prefix = `cv${this.id}_`;
  #settings: SessionSettings = new Map();
  /** Prepared statements this client created (prefixed names), closed when it leaves. */
  readonly #statements = new Set<string>();
  #lease: SessionLease | null = null;
  #batch: Buffer[] = [];
  #work: Promise<void> = Promise.resolve();
  #idleTimer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #frames = new FrameReader();
  /** Settles when the client is gone and the session is back in the process's hands. */
  done: Promise<void>;
  #resolveDone!: () => void;

  constructor(
    private readonly socket: net.Socket,
    private readonly session: SharedSession,
    private readonly options: WireServerOptions,
  ) {
    this.done = new Promise((resolve) => (this.#resolveDone = resolve));
    let started = false;
    socket.on("data", (chunk: Buffer) => {
      try {
        this.#frames.push(chunk);
        if (!started) started = this.#readStartup();
        if (!started) return;
        for (let message = this.#frames.nextMessage(); message; message = this.#frames.nextMessage()) {
          this.#receive(message);
        }
      } catch (error) {
        this.#fatal("08P01", `protocol violation: ${errorMessage(error)}`);
      }
    });
    socket.on("close", () => this.close());
    socket.on("error", (error) => {
      options.logger?.debug({ client: this.id, err: error.message }, "db serve: client connection error");
    });
  }

  /** Answers what comes before the startup message; true once the startup message is in. */
  #readStartup(): boolean {
    for (let frame = this.#frames.nextStartup(); frame; frame = this.#frames.nextStartup()) {
      switch (frame.kind) {
        case "ssl":
        case "gssenc":
          this.socket.write("N");
          break;
        case "cancel":
          // No query can be cancelled: it runs synchronously inside the engine.
          this.close();
          return false;
        case "unsupported":
          this.#fatal(
            "0A000",
            `unsupported frontend protocol ${frame.version >>> 16}.${frame.version & 0xffff}`,
          );
          return false;
        case "startup": {
          const parameters = frame.parameters;
          this.#enqueue(() => this.#greet(parameters));
          return true;
        }
      }
    }
    return false;
  }

  #enqueue(step: () => Promise<void>): void {
    this.#work = this.#work.then(step).catch((error: unknown) => {
      this.options.logger?.warn({ client: this.id, err: errorMessage(error) }, "db serve: client failed");
      this.#fatal("XX000", `chainvault db serve: ${errorMessage(error)}`);
    });
  }

  #receive(message: Buffer): void {
    if (this.#closed) return;
    if (message[0] === TERMINATE) {
      this.socket.end();
      this.close();
      return;
    }
    const renamed = prefixStatementName(message, this.#prefix);
    if (renamed.created) this.#statements.add(renamed.created);
    if (renamed.closed) this.#statements.delete(renamed.closed);
    this.#batch.push(renamed.message);
    if (!ANSWER_AWAITED.has(message[0]!)) return;
    const batch = Buffer.concat(this.#batch);
    this.#batch = [];
    this.#enqueue(() => this.#run(batch));
  }

  async #greet(parameters: Record<string, string>): Promise<void> {
    if (!parameters.user) return this.#fatal("28000", "no PostgreSQL user name specified in startup packet");
    if (parameters.replication !== undefined) {
      return this.#fatal("0A000", "replication connections are not supported by chainvault db serve");
    }
    const database = parameters.database ?? parameters.user;
    if (database !== EMBEDDED_DATABASE) {
      return this.#fatal(
        "3D000",
        `database "${database}" does not exist: the embedded database is "${EMBEDDED_DATABASE}" ` +
          `(postgres://127.0.0.1:${this.options.port}/${EMBEDDED_DATABASE}; \`chainvault db info\` prints it)`,
      );
    }
    const lease = await this.session.acquire();
    let reported: (string | null)[][];
    try {
      try {
        await lease.enter(startupSettings(parameters));
      } catch (error) {
        await lease.exit();
        return this.#fatal("22023", errorMessage(error));
      }
      const names = REPORTED.map((name) => `'${name}'`).join(", ");
      reported = await lease.internal(
        `SELECT name, current_setting(name) FROM unnest(ARRAY[${names}]) AS name
         UNION ALL SELECT 'session_authorization', current_user::text`,
      );
    } finally {
      if (!lease.released) this.#settings = await lease.exit();
    }
    if (this.#closed) return;
    this.socket.write(
      Buffer.concat([
        authenticationOk(),
        ...reported.map(([name, value]) => parameterStatus(name ?? "", value ?? "")),
        readyForQuery("I"),
      ]),
    );
  }

  async #run(batch: Buffer): Promise<void> {
    clearTimeout(this.#idleTimer);
    if (this.#closed) return;
    if (this.#lease === null) {
      this.#lease = await this.session.acquire();
      await this.#lease.enter(this.#settings);
    }
    const scanner = new BackendScanner();
    await this.#lease.forward(batch, (data) => {
      scanner.feed(data);
      // The bytes are a view into the engine's memory: copy before the socket queues them.
      if (!this.socket.destroyed) this.socket.write(Buffer.from(data));
    });
    if (scanner.readyStatus === "I") {
      this.#settings = await this.#lease.exit();
      this.#lease = null;
      return;
    }
    // In a transaction, mid extended-protocol sequence, or in COPY: the session stays with this client.
    if (this.#closed) return;
    this.#idleTimer = setTimeout(() => {
      this.#fatal(
        "25P03",
        `terminating connection due to idle-in-transaction timeout (${Math.round(this.options.idleInTransactionMs / 1000)} s): ` +
          "the embedded database runs one client's transaction at a time, and the chainvault process serving it waits meanwhile",
      );
    }, this.options.idleInTransactionMs);
  }

  #fatal(code: string, message: string): void {
    if (!this.socket.destroyed) {
      this.socket.end(errorResponse("FATAL", code, message));
    }
    this.close();
  }

  /** Ends the client: whatever it left open in the session is rolled back, its statements closed. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#idleTimer);
    this.#batch = [];
    this.#work = this.#work
      .then(async () => {
        clearTimeout(this.#idleTimer);
        if (this.#lease === null && this.#statements.size === 0) return;
        const lease = this.#lease ?? (await this.session.acquire());
        this.#lease = null;
        try {
          await lease.abandon();
          for (const name of this.#statements) {
            // The client may have deallocated it with SQL (DEALLOCATE, DISCARD ALL) already.
            await lease.internal(`DEALLOCATE "${name.replaceAll('"', '""')}"`).catch(() => undefined);
          }
        } finally {
          await lease.exit();
        }
      })
      .catch((error: unknown) => {
        this.options.logger?.warn(
          { client: this.id, err: errorMessage(error) },
          "db serve: could not clean up after a client",
        );
      })
      .finally(() => this.#resolveDone());
    // After what is queued (a FATAL error) has gone out; a client that never closes its side is not waited for.
    if (!this.socket.destroyed) this.socket.end(() => this.socket.destroy());
  }
}

/** Listens on 127.0.0.1:`port` (0: a free port) and serves the PGlite instance until `close()`. */
export async function startWireServer(options: WireServerOptions): Promise<WireServer> {
  const host = "127.0.0.1";
  const session = new SharedSession(options.pglite);
  const clients = new Set<ServedClient>();
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    const client = new ServedClient(socket, session, options);
    clients.add(client);
    void client.done.then(() => clients.delete(client));
    options.logger?.debug({ client: client.id, remote: socket.remotePort }, "db serve: client connected");
  });
  server.maxConnections = options.maxConnections ?? 32;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    host,
    port,
    get connections() {
      return clients.size;
    },
    get waiting() {
      return session.waiting;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const client of clients) client.close();
      await Promise.all([...clients].map((client) => client.done));
      await closed;
    },
  };
}

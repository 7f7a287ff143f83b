/**
 * The embedded engine is one PostgreSQL session inside this process. Clients of `db serve` (psql,
 * DBeaver, pandas, …) share it with the process's own work (the daemon's collector and job queue),
 * so each client borrows the session through a lease:
 *
 * - A lease holds PGlite's transaction lock, the one every `query`, `exec` and `transaction` of the
 *   process takes first, so none of the process's statements runs while a client's statements run,
 *   and a client's statements never land inside one of the process's transactions (PGlite's own
 *   `runExclusive` takes only the per-statement lock: not enough).
 * - On entry the client's session settings are put in place and every transaction defaults to read
 *   only; on exit they are saved for its next lease and the process's own settings come back.
 */

/** What the lease needs from a PGlite instance (structural, so tests may hand in any build of it). */
export interface SharedPglite {
  _runExclusiveTransaction<T>(fn: () => Promise<T>): Promise<T>;
  runExclusive<T>(fn: () => Promise<T>): Promise<T>;
  execProtocol(message: Uint8Array, options?: { throwOnError?: boolean }): Promise<{ messages: unknown[] }>;
  execProtocolRawStream(
    message: Uint8Array,
    options: { onRawData: (data: Uint8Array) => void },
  ): Promise<void>;
}

/** name → value of settings changed in a session (`SET`, or a client's startup parameters). */
export type SessionSettings = Map<string, string>;

/**
 * Settings a lease never carries from one holder to the next: transaction state, identity, and the
 * read-only default the lease itself imposes.
 */
const NOT_CARRIED = new Set([
  "default_transaction_read_only",
  "transaction_read_only",
  "transaction_isolation",
  "transaction_deferrable",
  "role",
  "session_authorization",
]);

/** A simple-protocol Query message ('Q', length, text, NUL). */
export function queryMessage(sql: string): Uint8Array {
  const text = Buffer.from(sql, "utf8");
  const message = Buffer.alloc(1 + 4 + text.length + 1);
  message.write("Q", 0, "latin1");
  message.writeInt32BE(4 + text.length + 1, 1);
  text.copy(message, 5);
  return message;
}

function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

interface DataRowLike {
  name?: string;
  fields?: (string | null)[];
}

export class SessionLease {
  #released = false;

  constructor(
    private readonly pglite: SharedPglite,
    private readonly release: () => void,
    /** The process's own session settings, put back on exit. */
    private readonly ownSettings: SessionSettings,
  ) {}

  get released(): boolean {
    return this.#released;
  }

  /** Runs one internal statement (not a client's) and returns its rows as text. */
  async internal(sql: string): Promise<(string | null)[][]> {
    const result = await this.pglite.runExclusive(() => this.pglite.execProtocol(queryMessage(sql)));
    return (result.messages as DataRowLike[])
      .filter((message) => message.name === "dataRow")
      .map((message) => message.fields ?? []);
  }

  /** Hands one batch of a client's protocol messages to the session; answers stream to `onData`. */
  forward(messages: Uint8Array, onData: (data: Uint8Array) => void): Promise<void> {
    return this.pglite.runExclusive(() =>
      this.pglite.execProtocolRawStream(messages, { onRawData: (data) => onData(data) }),
    );
  }

  /** Puts a client's settings in place, with read-only transactions by default. */
  async enter(settings: SessionSettings): Promise<void> {
    const assignments = [...settings]
      .filter(([name]) => !NOT_CARRIED.has(name))
      .map(([name, value]) => `set_config(${literal(name)}, ${literal(value)}, false)`);
    assignments.push("set_config('default_transaction_read_only', 'on', false)");
    await this.internal(`SELECT ${assignments.join(", ")}`);
  }

  /**
   * Ends whatever the client left open (a transaction, an extended-protocol sequence without Sync, a
   * COPY FROM STDIN), so the process's next statement starts clean. CopyFail and Sync are ignored by
   * a session that is in neither state; ROLLBACK outside a transaction only warns.
   */
  async abandon(): Promise<void> {
    const copyFail = Buffer.from([0x66, 0, 0, 0, 5, 0]);
    const sync = Buffer.from([0x53, 0, 0, 0, 4]);
    await this.forward(Buffer.concat([copyFail, sync]), () => undefined);
    await this.internal("ROLLBACK");
  }

  /** Saves the client's settings, restores the process's own, and gives the session back. */
  async exit(): Promise<SessionSettings> {
    if (this.#released) return new Map();
    try {
      const changed = await readSessionSettings(this);
      await this.internal("RESET ALL; RESET ROLE; RESET SESSION AUTHORIZATION");
      if (this.ownSettings.size > 0) await this.enterOwn();
      for (const name of NOT_CARRIED) changed.delete(name);
      return changed;
    } finally {
      this.#released = true;
      this.release();
    }
  }

  private async enterOwn(): Promise<void> {
    const assignments = [...this.ownSettings].map(
      ([name, value]) => `set_config(${literal(name)}, ${literal(value)}, false)`,
    );
    await this.internal(`SELECT ${assignments.join(", ")}`);
  }
}

async function readSessionSettings(lease: SessionLease): Promise<SessionSettings> {
  const rows = await lease.internal("SELECT name, setting FROM pg_settings WHERE source = 'session'");
  return new Map(rows.map(([name, value]) => [name ?? "", value ?? ""]));
}

/** Hands out leases on one PGlite instance, one at a time, in the order they were asked for. */
export class SharedSession {
  #waiting = 0;

  constructor(private readonly pglite: SharedPglite) {}

  /** Leases asked for and not yet granted. */
  get waiting(): number {
    return this.#waiting;
  }

  /** Waits for the session, then holds it until the lease's `exit()`. */
  async acquire(): Promise<SessionLease> {
    this.#waiting += 1;
    try {
      return await this.#acquire();
    } finally {
      this.#waiting -= 1;
    }
  }

  #acquire(): Promise<SessionLease> {
    return new Promise((resolve, reject) => {
      void this.pglite
        ._runExclusiveTransaction(
          () =>
            new Promise<void>((release) => {
              // The process's own session settings (a `SET` it made) are read before the client's go in.
              const probe = new SessionLease(this.pglite, () => undefined, new Map());
              readSessionSettings(probe).then(
                (own) => resolve(new SessionLease(this.pglite, release, own)),
                (error: unknown) => {
                  release();
                  reject(error as Error);
                },
              );
            }),
        )
        .catch(reject);
    });
  }
}

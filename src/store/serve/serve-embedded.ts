import path from "node:path";
import type { Database } from "../database.ts";
import { databaseIdentity } from "../info.ts";
import type { Logger } from "../../logger.ts";
import { servedUrl, writeServeRecord } from "./serve-record.ts";
import type { SharedPglite } from "./shared-session.ts";
import { EMBEDDED_DATABASE, startWireServer } from "./wire-server.ts";

export interface ServeEmbeddedOptions {
  /** The open embedded engine (from openEmbedded) and its Database. */
  pglite: SharedPglite;
  db: Database;
  /** Its data directory, where the serve record goes; "memory://…" writes none. */
  dataDir: string;
  port: number;
  idleInTransactionSeconds: number;
  logger?: Logger;
}

export interface ServedDatabase {
  url: string;
  port: number;
  readonly connections: number;
  /** Stops listening, disconnects clients (rolling back what they left open) and removes the record. */
  close(): Promise<void>;
}

/** Serves an open embedded database on 127.0.0.1 and records where, for readers that find it locked. */
export async function serveEmbedded(options: ServeEmbeddedOptions): Promise<ServedDatabase> {
  const identity = await databaseIdentity(options.db);
  const server = await startWireServer({
    pglite: options.pglite,
    port: options.port,
    logger: options.logger,
    idleInTransactionMs: options.idleInTransactionSeconds * 1000,
  });
  const removeRecord = options.dataDir.startsWith("memory://")
    ? () => undefined
    : writeServeRecord(path.resolve(options.dataDir), server.port, identity);
  const url = servedUrl({ address: server.host, port: server.port, database: EMBEDDED_DATABASE });
  options.logger?.info({ url }, "serving the embedded database read-only");
  let closing: Promise<void> | undefined;
  return {
    url,
    port: server.port,
    get connections() {
      return server.connections;
    },
    close() {
      closing ??= (async () => {
        removeRecord();
        await server.close();
      })();
      return closing;
    },
  };
}

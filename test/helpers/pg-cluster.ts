import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";

/**
 * A PostgreSQL 15 cluster of the test's own, for tests that must stop, crash or restart a database:
 * initdb into a temp dir, its own free port on 127.0.0.1, removed by `destroy()`. The shared test
 * server is never touched. initdb and postgres refuse to run as root, so as root they run as the
 * `postgres` user (runuser) in a directory it owns.
 */
export interface ThrowawayCluster {
  readonly port: number;
  readonly dir: string;
  /** postgres://postgres@127.0.0.1:PORT/DATABASE (database "test" unless named). */
  url(database?: string): string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Whether the server is running (as far as this helper started or stopped it). */
  readonly running: boolean;
  /** `pg_ctl start`, waiting until it accepts connections. */
  start(): Promise<void>;
  /** `pg_ctl stop`: "fast" disconnects clients cleanly (57P01), "immediate" is a crash. */
  stop(mode?: "fast" | "immediate"): Promise<void>;
  /** Stops the server if it runs and removes the directory. */
  destroy(): Promise<void>;
}

const BIN = process.env.CHAINVAULT_TEST_PG_BIN ?? "/usr/lib/postgresql/15/bin";
const run = promisify(execFile);

function asRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The command line that runs a PostgreSQL binary as a user it accepts. */
function command(binary: string, args: string[]): [string, string[]] {
  const file = path.join(BIN, binary);
  return asRoot() ? ["runuser", ["-u", "postgres", "--", file, ...args]] : [file, args];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Hands the directory to the postgres user when running as root. */
function ownForServer(dir: string): void {
  if (!asRoot()) return;
  const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
  fs.chownSync(dir, uid, gid);
}

/** Creates, starts and returns a cluster with an empty database `test`. */
export async function startThrowawayCluster(): Promise<ThrowawayCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-pg-"));
  fs.chmodSync(dir, 0o700);
  ownForServer(dir);
  const data = path.join(dir, "data");
  const port = await freePort();
  let running = false;
  const exec = async (binary: string, args: string[]): Promise<void> => {
    const [file, argv] = command(binary, args);
    await run(file, argv, { timeout: 60_000 });
  };
  // A process that dies without destroy() must not leave a server, or its directory, behind.
  const onExit = (): void => {
    if (running) {
      const [file, argv] = command("pg_ctl", ["stop", "-D", data, "-m", "immediate", "-w"]);
      try {
        execFileSync(file, argv, { stdio: "ignore", timeout: 20_000 });
      } catch {
        // Nothing left to do while exiting.
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.on("exit", onExit);

  const cluster: ThrowawayCluster = {
    port,
    dir,
    url: (database = "test") => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async createDatabase(name) {
      const admin = new pg.Client({ connectionString: cluster.url("postgres") });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return cluster.url(name);
    },
    get running() {
      return running;
    },
    async start() {
      await exec("pg_ctl", [
        "start",
        "-w",
        "-t",
        "60",
        "-D",
        data,
        "-l",
        path.join(dir, "server.log"),
        "-o",
        // fsync off: the tests stop and crash the server process, never the machine.
        `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`,
      ]);
      running = true;
    },
    async stop(mode = "fast") {
      await exec("pg_ctl", ["stop", "-w", "-t", "60", "-D", data, "-m", mode]);
      running = false;
    },
    async destroy() {
      try {
        if (running) await cluster.stop("immediate");
      } finally {
        process.off("exit", onExit);
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };

  try {
    await exec("initdb", [
      "-D",
      data,
      "-A",
      "trust",
      "-U",
      "postgres",
      "--no-sync",
      "--locale=C",
      "-E",
      "UTF8",
    ]);
    await cluster.start();
    await cluster.createDatabase("test");
  } catch (error) {
    await cluster.destroy();
    throw error;
  }
  return cluster;
}

import net from "node:net";

/**
 * Whether the gateway accepts connections, without an API handshake: a handshake would take a client id
 * (IB allows one connection per id, and the collector's own connection must never meet a 326) and send
 * messages that count against the gateway's rate. A socket that opens and closes costs the gateway nothing.
 * Resolves with the time it took; rejects when the connection is refused or not accepted within `timeoutMs`.
 */
export function probeGateway(host: string, port: number, timeoutMs: number): Promise<{ latencyMs: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no connection to the gateway at ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ latencyMs: Math.round((performance.now() - started) * 10) / 10 });
    });
    socket.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      const why = error.code === "ECONNREFUSED" ? "connection refused" : error.message;
      reject(
        new Error(
          `the gateway at ${host}:${port} is not reachable (${why}): is TWS/IB Gateway running with the API enabled?`,
        ),
      );
    });
  });
}

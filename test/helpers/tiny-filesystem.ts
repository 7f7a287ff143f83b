import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * A real filesystem of a few kilobytes or megabytes that answers ENOSPC when full, without root: a
 * tmpfs mounted inside a user and mount namespace of its own (`unshare -Urm`), held by a child process
 * and reached from the test through that process's root (`/proc/PID/root/…`). The mount exists only in
 * the child's namespace, so nothing on the machine changes, and it disappears with the child: at
 * `close()`, or when the test process dies (the child's stdin closes).
 */
export interface TinyFilesystem {
  /** A directory on the small filesystem, writable by this process. */
  readonly dir: string;
  /** Bytes still free on it. */
  free(): number;
  close(): Promise<void>;
}

export async function mountTinyFilesystem(bytes: number): Promise<TinyFilesystem> {
  const mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-tinyfs-"));
  const child = spawn(
    "unshare",
    [
      "--user",
      "--map-root-user",
      "--mount",
      "--propagation",
      "private",
      "sh",
      "-c",
      // `exec cat` keeps the namespace alive until stdin closes.
      'mount -t tmpfs -o "size=$1,mode=0777" tmpfs "$0" && echo mounted && exec cat >/dev/null',
      mountPoint,
      String(bytes),
    ],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const mounted = await new Promise<boolean>((resolve) => {
    child.stdout.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("mounted")) resolve(true);
    });
    child.once("error", () => resolve(false));
    child.once("close", () => resolve(false));
  });
  if (!mounted) {
    fs.rmSync(mountPoint, { recursive: true, force: true });
    throw new Error(
      `cannot mount a small tmpfs in a user namespace (unshare -Urm): ${stderr.trim() || "unshare failed"}. ` +
        "The disk-full tests need unprivileged user namespaces (kernel.unprivileged_userns_clone=1) or root",
    );
  }
  const dir = path.join(`/proc/${child.pid}/root`, mountPoint);
  return {
    dir,
    free() {
      const stats = fs.statfsSync(dir);
      return stats.bavail * stats.bsize;
    },
    async close() {
      child.stdin.end();
      await exited;
      fs.rmSync(mountPoint, { recursive: true, force: true });
    },
  };
}

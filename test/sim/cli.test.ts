import { spawn } from "node:child_process";
import { writeFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventName, IBApi } from "@stoqey/ib";
import { describe, expect, it } from "vitest";
import { etInstant } from "../../src/calendar/index.ts";
import { main } from "../../src/cli/main.ts";

const BIN = join(import.meta.dirname, "../../bin/chainvault.js");

async function quietly<T>(action: () => Promise<T>): Promise<{ result: T; stderr: string }> {
  const write = process.stderr.write;
  let stderr = "";
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    return { result: await action(), stderr };
  } finally {
    process.stderr.write = write;
  }
}

describe("chainvault sim", () => {
  it("serves the simulated clock from --date/--time with faults from a file, and stops cleanly on SIGTERM", async () => {
    const dir = await mkdtemp(join(tmpdir(), "chainvault-sim-"));
    const faultsFile = join(dir, "faults.yaml");
    await writeFile(faultsFile, "unsubscribed_symbols: [PLTR]\n");
    const child = spawn(
      process.execPath,
      [
        BIN,
        "sim",
        "--port",
        "0",
        "--date",
        "2026-01-14",
        "--time",
        "10:00",
        "--seed",
        "2",
        "--faults",
        faultsFile,
        "--log-level",
        "debug",
      ],
      {
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    try {
      let stderr = "";
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listening line: ${stderr}`)), 20_000);
        child.stderr.on("data", (chunk: Buffer) => {
          stderr += chunk.toString();
          const match = /listening on [\d.]+:(\d+)/.exec(stderr);
          if (match) {
            clearTimeout(timer);
            resolve(Number(match[1]));
          }
        });
      });
      const api = new IBApi({ host: "127.0.0.1", port, clientId: 3 });
      const ready = new Promise<void>((resolve) => api.once(EventName.nextValidId, () => resolve()));
      api.connect(3);
      await ready;
      const time = new Promise<number>((resolve) => api.once(EventName.currentTime, resolve));
      api.reqCurrentTime();
      const seconds = await time;
      expect(Math.abs(seconds - etInstant("2026-01-14", "10:00").getTime() / 1000)).toBeLessThan(30);
      api.disconnect();
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(stderr).toContain('"msg":"request"');
      expect(stderr).toContain("stopping the simulated gateway");
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("exits 2 with a helpful message on a bad --date, --rate or faults file", async () => {
    const badDate = await quietly(() => main(["node", "chainvault", "sim", "--date", "14/01/2026"]));
    expect(badDate.result).toBe(2);
    expect(badDate.stderr).toContain("YYYY-MM-DD");
    const badRate = await quietly(() => main(["node", "chainvault", "sim", "--rate", "-3", "--port", "0"]));
    expect(badRate.result).toBe(2);
    const dir = await mkdtemp(join(tmpdir(), "chainvault-sim-"));
    try {
      await writeFile(join(dir, "faults.yaml"), "drop_after: 3\n");
      const badFaults = await quietly(() =>
        main(["node", "chainvault", "sim", "--faults", join(dir, "faults.yaml")]),
      );
      expect(badFaults.result).toBe(2);
      expect(badFaults.stderr).toContain("drop_after");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

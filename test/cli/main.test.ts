import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";

describe("chainvault CLI", () => {
  it("exits 2 on an unknown command", async () => {
    const stderr = process.stderr.write;
    process.stderr.write = () => true;
    try {
      expect(await main(["node", "chainvault", "no-such-command"])).toBe(2);
    } finally {
      process.stderr.write = stderr;
    }
  });
});

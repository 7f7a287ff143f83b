import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";

const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

/**
 * Builds the program in a fresh node process and lists the npm packages that loaded: every resolution after
 * tsx is in place is recorded by a module hook.
 */
const LIST_PACKAGES = `
import { registerHooks } from "node:module";
const urls = new Set();
let recording = false;
registerHooks({ resolve(specifier, context, next) { const result = next(specifier, context); if (recording) urls.add(result.url); return result; } });
const { register } = await import("tsx/esm/api");
register();
recording = true;
const { buildProgram } = await import(process.argv[1]);
buildProgram();
const packages = new Set();
for (const url of urls) { const match = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(url); if (match) packages.add(match[1]); }
console.log(JSON.stringify([...packages].sort()));
`;

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

  it("registers every command without loading what the commands run (--help stays fast)", () => {
    // A command's action module (PGlite, pg-boss, fastify, @stoqey/ib, zod, pino) loads when it runs:
    // see the comment above the command list in src/cli/main.ts.
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", LIST_PACKAGES, MAIN], {
      encoding: "utf8",
    });
    expect(child.stderr).toBe("");
    expect(JSON.parse(child.stdout)).toEqual(["commander"]);
  });
});

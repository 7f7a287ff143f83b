import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openVault } from "../../src/api/vault.ts";
import { collectedServer, DATE } from "./collected-server.ts";
import type { CollectedServer } from "./collected-server.ts";

const execFileAsync = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * `npm pack`, then `npm install` of the tarball into a scratch project and plain `node` importing it. Slow (a
 * minute and more: the build and an install of every dependency from the npm cache), so `vitest run` skips it
 * and .ci/run runs it as a step of its own with CHAINVAULT_PACK_TEST=1.
 */
describe.runIf(process.env.CHAINVAULT_PACK_TEST === "1")("the packed package", () => {
  let fixture: CollectedServer;

  beforeAll(async () => {
    fixture = await collectedServer();
  }, 180_000);

  afterAll(async () => {
    await fixture?.close();
  });

  it(
    "packs into a package that another project installs and imports under plain node",
    { timeout: 600_000 },
    async () => {
      const started = Date.now();
      const packDir = path.join(fixture.dir, "pack");
      const project = path.join(fixture.dir, "project");
      fs.mkdirSync(packDir);
      fs.mkdirSync(project);
      const npm = (args: string[], cwd: string) =>
        execFileAsync("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], {
          cwd,
          maxBuffer: 64 * 2 ** 20,
          env: { ...process.env, npm_config_update_notifier: "false" },
        });
      const packed = await npm(["pack", "--pack-destination", packDir, "--json"], ROOT);
      const tarball = path.join(
        packDir,
        (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]!.filename,
      );
      const packedAt = Date.now();
      fs.writeFileSync(
        path.join(project, "package.json"),
        JSON.stringify({ name: "scratch", private: true, type: "module" }),
      );
      await npm(["install", tarball, "--prefer-offline", "--ignore-scripts"], project);
      const installedAt = Date.now();
      fs.writeFileSync(
        path.join(project, "read-chain.mjs"),
        [
          'import { openVault } from "chainvault";',
          "const vault = await openVault({ url: process.argv[2] });",
          `const chain = await vault.chain({ symbol: "PLTR", date: "${DATE}", type: "eod" });`,
          "await vault.close();",
          "const pairs = chain.expiries.flatMap((e) => e.strikes);",
          "console.log(JSON.stringify({ rows: chain.rows.length, expiries: chain.expiries.map((e) => e.expiry),",
          "  sideBySide: pairs.filter((p) => p.call && p.put).length, strikeType: typeof chain.rows[0].strike,",
          "  first: chain.rows[0].contractSymbol }));",
          "",
        ].join("\n"),
      );
      // Plain node: no tsx, no loader; only the compiled JavaScript in dist/ can answer.
      const env = { ...process.env };
      delete env.NODE_OPTIONS;
      const ran = await execFileAsync(process.execPath, ["read-chain.mjs", fixture.url], {
        cwd: project,
        env,
      });
      const result = JSON.parse(ran.stdout) as Record<string, unknown>;
      const vault = await openVault({ url: fixture.url });
      const chain = await vault
        .chain({ symbol: "PLTR", date: DATE, type: "eod" })
        .finally(() => vault.close());
      expect(result).toEqual({
        rows: fixture.stored.quotes,
        expiries: fixture.stored.expiries,
        sideBySide: fixture.stored.quotes / 2,
        strikeType: "number",
        first: chain.rows[0]!.contractSymbol,
      });
      const installed = JSON.parse(
        fs.readFileSync(path.join(project, "node_modules", "chainvault", "package.json"), "utf8"),
      ) as { exports: Record<string, { types: string }> };
      expect(
        fs.existsSync(path.join(project, "node_modules", "chainvault", installed.exports["."]!.types)),
      ).toBe(true);
      console.log(
        `packed-package test: npm pack ${((packedAt - started) / 1000).toFixed(1)} s, npm install ` +
          `${((installedAt - packedAt) / 1000).toFixed(1)} s, node ${((Date.now() - installedAt) / 1000).toFixed(1)} s`,
      );
    },
  );
});

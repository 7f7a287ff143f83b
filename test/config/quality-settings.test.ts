import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.ts";
import { UsageError } from "../../src/core/errors.ts";

let root: string;
function write(name: string, text: string): string {
  const file = path.join(root, name);
  fs.writeFileSync(file, text);
  return file;
}
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-quality-config-"));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe("the quality: block", () => {
  it("has the documented defaults with no file", () => {
    const { quality } = loadConfig({ env: {}, file: write("empty.yaml", "") }).config;
    expect(quality).toMatchObject({ enabled: true, min_coverage: 0.99, max_contract_drop: 0.2 });
    expect(quality.rules.crossed_market).toEqual({ enabled: true, severity: "error", threshold: 0 });
    expect(quality.rules.iv_out_of_range).toEqual({ enabled: true, severity: "warning", min: 0.01, max: 5 });
    expect(quality.rules.coverage_low).toEqual({ enabled: true, severity: "error" });
    expect(quality.rules.underlying_jump.threshold).toBe(5);
  });

  it("overrides one rule's keys and keeps the rest of it and of the others", () => {
    const file = write(
      "some.yaml",
      "quality:\n  min_coverage: 0.95\n  rules:\n    stale_quote: { threshold: 500 }\n    parity_breach: { enabled: false, severity: info }\n",
    );
    const { quality } = loadConfig({ file, env: {} }).config;
    expect(quality.min_coverage).toBe(0.95);
    expect(quality.rules.stale_quote).toEqual({ enabled: true, severity: "warning", threshold: 500 });
    expect(quality.rules.parity_breach).toEqual({ enabled: false, severity: "info", threshold: 0.002 });
    expect(quality.rules.crossed_market.severity).toBe("error");
  });

  it("names the key and the file of an unknown rule, or a threshold on a rule without one", () => {
    const unknownRule = write("rule.yaml", "quality:\n  rules:\n    crossed_quotes: { severity: error }\n");
    expect(() => loadConfig({ file: unknownRule, env: {} })).toThrow(UsageError);
    expect(() => loadConfig({ file: unknownRule, env: {} })).toThrow(
      `${unknownRule}: unknown key "quality.rules.crossed_quotes"`,
    );
    const threshold = write("threshold.yaml", "quality:\n  rules:\n    coverage_low: { threshold: 0.9 }\n");
    expect(() => loadConfig({ file: threshold, env: {} })).toThrow(
      `${threshold}: unknown key "quality.rules.coverage_low.threshold"`,
    );
  });

  it("refuses a severity that is not one, a coverage above 1, and an IV range upside down", () => {
    const severity = write("severity.yaml", "quality:\n  rules:\n    stale_quote: { severity: fatal }\n");
    expect(() => loadConfig({ file: severity, env: {} })).toThrow(/"quality.rules.stale_quote.severity"/);
    const coverage = write("coverage.yaml", "quality:\n  min_coverage: 1.5\n");
    expect(() => loadConfig({ file: coverage, env: {} })).toThrow(/"quality.min_coverage"/);
    const range = write("range.yaml", "quality:\n  rules:\n    iv_out_of_range: { min: 2, max: 1 }\n");
    expect(() => loadConfig({ file: range, env: {} })).toThrow(
      /"quality.rules.iv_out_of_range.max": max must be above min/,
    );
  });
});

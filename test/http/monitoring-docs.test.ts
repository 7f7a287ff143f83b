import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { ManualClock } from "../../src/core/clock.ts";
import { ChainvaultMetrics } from "../../src/http/metrics.ts";

const RULES = new URL("../../docs/monitoring/chainvault-alerts.yml", import.meta.url);
const DASHBOARD = new URL("../../docs/monitoring/chainvault-dashboard.json", import.meta.url);
const MONITORING_DIR = fileURLToPath(new URL("../../docs/monitoring/", import.meta.url));
/** Prometheus's own checker, where Prometheus is installed (Debian: `apt-get install prometheus`). */
const HAS_PROMTOOL = spawnSync("promtool", ["--version"], { stdio: "ignore" }).status === 0;

/** Series Prometheus itself makes for every target. */
const PROMETHEUS_OWN = new Set(["up"]);
const KEYWORDS = new Set([
  "and",
  "or",
  "unless",
  "bool",
  "offset",
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "inf",
  "nan",
]);

/**
 * The metric names a PromQL expression reads: identifiers that are not functions (followed by "("),
 * keywords, label matchers, grouping labels, ranges, durations or strings.
 */
export function metricNames(expr: string): Set<string> {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, " ")
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\boffset\s+\d+[smhdwy]/g, " ");
  const names = new Set<string>();
  for (const match of bare.matchAll(/(?<![\w.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:]|\s*\()/g)) {
    const name = match[1]!;
    if (!KEYWORDS.has(name.toLowerCase())) names.add(name);
  }
  return names;
}

/** Every series name /metrics exposes, histograms with their _bucket/_sum/_count series. */
async function exportedNames(): Promise<{ all: Set<string>; chainvault: string[] }> {
  const clock = new ManualClock(new Date("2026-03-09T21:00:00Z"));
  const metrics = new ChainvaultMetrics({
    clock,
    lastLoopAt: () => clock.now(),
    readiness: async () => ({ ready: true, checkedAt: clock.now().toISOString(), checks: {} }),
  });
  const all = new Set<string>();
  const chainvault: string[] = [];
  for (const metric of await metrics.registry.getMetricsAsJSON()) {
    const name = metric.name;
    all.add(name);
    if (String(metric.type) === "histogram")
      for (const suffix of ["_bucket", "_sum", "_count"]) all.add(`${name}${suffix}`);
    if (name.startsWith("chainvault_")) chainvault.push(name);
  }
  return { all, chainvault };
}

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string };
  annotations: { summary: string; description: string };
}

describe("docs/monitoring", () => {
  let exported: Awaited<ReturnType<typeof exportedNames>>;
  beforeAll(async () => {
    exported = await exportedNames();
  });

  it("finds metric names in PromQL, and not functions, labels or keywords", () => {
    expect([
      ...metricNames(
        'sum by (le) (rate(a_bucket{x="y z"}[5m])) / on(job) group_left(instance) b unless c offset 1h and 26 * 3600 > time()',
      ),
    ]).toEqual(["a_bucket", "b", "c"]);
    expect([...metricNames('day_of_week(x{type="eod"}) == 5')]).toEqual(["x"]);
  });

  it("the alerting rules parse as YAML and every expression reads only exported metrics", () => {
    const document = parseYaml(fs.readFileSync(RULES, "utf8")) as {
      groups: { name: string; rules: Rule[] }[];
    };
    const rules = document.groups.flatMap((group) => group.rules);
    expect(rules.length).toBeGreaterThanOrEqual(8);
    const read = new Set<string>();
    for (const rule of rules) {
      expect(rule.alert, JSON.stringify(rule)).toMatch(/^Chainvault[A-Za-z]+$/);
      expect(["critical", "warning"]).toContain(rule.labels.severity);
      expect(rule.annotations.summary.length).toBeGreaterThan(10);
      if (rule.for !== undefined) expect(rule.for).toMatch(/^\d+[smh]$/);
      const names = metricNames(rule.expr);
      expect(names.size, rule.alert).toBeGreaterThan(0);
      for (const name of names) {
        expect(exported.all.has(name) || PROMETHEUS_OWN.has(name), `${rule.alert} reads ${name}`).toBe(true);
        read.add(name);
      }
    }
    expect(new Set(rules.map((rule) => rule.alert)).size).toBe(rules.length);
    // The failures the issue names each have a rule.
    for (const name of [
      "up",
      "chainvault_collection_last_success_timestamp_seconds",
      "chainvault_collection_coverage_ratio",
      "chainvault_slot_runs_total",
      "chainvault_scheduler_last_loop_timestamp_seconds",
      "chainvault_ready",
      "chainvault_quality_issues_total",
    ])
      expect(read, name).toContain(name);
  });

  it.skipIf(!HAS_PROMTOOL)(
    "promtool accepts the rules and their unit tests pass (weekend grace, first failures)",
    () => {
      const run = (args: string[]) =>
        execFileSync("promtool", args, { cwd: MONITORING_DIR, encoding: "utf8" });
      expect(run(["check", "rules", "chainvault-alerts.yml"])).toMatch(/SUCCESS: \d+ rules found/);
      expect(run(["test", "rules", "chainvault-alerts.test.yml"])).toContain("SUCCESS");
    },
  );

  it("the Grafana dashboard is importable JSON whose panels read only exported metrics, all of them", () => {
    const dashboard = JSON.parse(fs.readFileSync(DASHBOARD, "utf8")) as {
      uid: string;
      title: string;
      schemaVersion: number;
      __inputs: { name: string; pluginId: string }[];
      templating: { list: { name: string; definition: string }[] };
      panels: {
        id: number;
        type: string;
        title: string;
        gridPos: { x: number; y: number; w: number; h: number };
        targets: { refId: string; expr: string }[];
      }[];
    };
    expect(dashboard.uid).toBe("chainvault");
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.__inputs).toEqual([
      expect.objectContaining({ name: "DS_PROMETHEUS", pluginId: "prometheus" }),
    ]);
    expect(new Set(dashboard.panels.map((panel) => panel.id)).size).toBe(dashboard.panels.length);
    const read = new Set<string>();
    for (const panel of dashboard.panels) {
      expect(["stat", "table", "timeseries"]).toContain(panel.type);
      expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24);
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets) {
        const names = metricNames(target.expr);
        expect(names.size, panel.title).toBeGreaterThan(0);
        for (const name of names) {
          expect(exported.all.has(name) || PROMETHEUS_OWN.has(name), `${panel.title} reads ${name}`).toBe(
            true,
          );
          read.add(name.replace(/_(bucket|sum|count)$/, ""));
        }
      }
    }
    for (const variable of dashboard.templating.list) {
      const metric = /^label_values\((\w+),\s*\w+\)$/.exec(variable.definition)?.[1];
      expect(metric && exported.all.has(metric), variable.name).toBe(true);
    }
    // Every chainvault metric has a panel.
    expect(exported.chainvault.length).toBe(10);
    for (const name of exported.chainvault) expect(read, name).toContain(name);
  });
});

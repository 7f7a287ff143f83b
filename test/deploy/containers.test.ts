import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv2019 } from "ajv/dist/2019.js";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { configSchema } from "../../src/config/schema.ts";

/**
 * Docker cannot run here (no daemon), so the container files are checked as far as that allows: compose.yaml
 * against the Compose specification's JSON schema (vendored, see test/fixtures/README.md), the files it mounts,
 * chainvault's configuration against its own schema, and the Dockerfile's promises.
 */
const root = (relative: string) => fileURLToPath(new URL(`../../${relative}`, import.meta.url));
const read = (relative: string) => fs.readFileSync(root(relative), "utf8");

interface Service {
  image?: string;
  build?: string;
  profiles?: string[];
  env_file?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  entrypoint?: string[];
}
const compose = parseYaml(read("compose.yaml")) as { services: Record<string, Service> };

/** The formats the Compose schema names, as the specification describes them. */
const COMPOSE_FORMATS = {
  duration: /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/,
  ports: /^((\[?[\d.:a-fA-F]+\]?:)?(\d+(-\d+)?:)?)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/,
  expose: /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/,
  subnet_ip_address: /^[\d.:a-fA-F]+\/\d+$/,
};

/**
 * The schema marks its parts with draft-04 `id` strings ("#/properties/services"), annotations that ajv refuses as
 * a keyword of later drafts: dropped on load. No property of a compose file is called `id`, so nothing else goes.
 */
function withoutDraft4Ids(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDraft4Ids);
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === "id" && typeof value === "string"))
      .map(([key, value]) => [key, withoutDraft4Ids(value)]),
  );
}

function composeValidator() {
  // The file names its meta-schema as http://…/schema#, which ajv knows as https://…/schema: not validated against it.
  const ajv = new Ajv2019({ allErrors: true, strict: false, validateSchema: false });
  for (const [name, pattern] of Object.entries(COMPOSE_FORMATS)) ajv.addFormat(name, pattern);
  return ajv.compile(withoutDraft4Ids(JSON.parse(read("test/fixtures/compose-spec.json"))) as object);
}

describe("compose.yaml", () => {
  it("is valid against the Compose specification's JSON schema", () => {
    const validate = composeValidator();
    expect(validate(compose), JSON.stringify(validate.errors)).toBe(true);
  });

  it("the schema catches a mistake (so the check above means something)", () => {
    const validate = composeValidator();
    const broken = structuredClone(compose) as { services: Record<string, Record<string, unknown>> };
    broken.services.chainvault!.restart_policy = "always";
    broken.services.timescaledb!.healthcheck = { interval: "ten seconds" };
    expect(validate(broken)).toBe(false);
    expect(validate.errors!.map((error) => error.instancePath)).toEqual(
      expect.arrayContaining(["/services/chainvault", "/services/timescaledb/healthcheck/interval"]),
    );
  });

  it("runs TimescaleDB, the daemon and an IB Gateway, with Prometheus and Grafana behind a profile", () => {
    const services = compose.services;
    expect(Object.keys(services).sort()).toEqual([
      "chainvault",
      "grafana",
      "ib-gateway",
      "prometheus",
      "timescaledb",
    ]);
    expect(services.timescaledb!.image).toMatch(/^timescale\/timescaledb:/);
    expect(services["ib-gateway"]!.image).toMatch(/^ghcr\.io\/gnzsnz\/ib-gateway:/);
    expect(services.chainvault!.build).toBe(".");
    expect(services.chainvault!.depends_on).toMatchObject({ timescaledb: { condition: "service_healthy" } });
    expect(services.chainvault!.environment).toMatchObject({ IB_HOST: "ib-gateway" });
    for (const name of ["prometheus", "grafana"]) expect(services[name]!.profiles).toEqual(["monitoring"]);
    for (const name of ["timescaledb", "ib-gateway", "chainvault"])
      expect(services[name]!.profiles).toBeUndefined();
  });

  it("takes credentials only from env files, each with a committed example and ignored by git", () => {
    const ignored = read(".gitignore");
    expect(ignored).toMatch(/^deploy\/\*\.env$/m);
    for (const service of Object.values(compose.services)) {
      for (const file of service.env_file ?? []) {
        expect(fs.existsSync(root(`${file}.example`)), `${file}.example`).toBe(true);
        expect(file).toMatch(/^deploy\/[\w-]+\.env$/);
      }
      for (const value of Object.values(service.environment ?? {})) {
        expect(value).not.toMatch(/password|postgres:\/\/[^@]*:[^@]*@/i);
      }
    }
    expect(read("deploy/chainvault.env.example")).toMatch(
      /^DATABASE_URL=postgres:\/\/chainvault:.*@timescaledb:5432\/chainvault$/m,
    );
    expect(read("deploy/ib-gateway.env.example")).toMatch(/^TWS_USERID=/m);
  });

  it("mounts files that exist (the user creates deploy/http-token from the env file)", () => {
    for (const service of Object.values(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(":")[0]!;
        if (!source.startsWith("./") || source === "./deploy/http-token") continue;
        expect(fs.existsSync(root(source.slice(2))), source).toBe(true);
      }
    }
  });

  it("mounts a chainvault configuration its schema accepts, serving /metrics to the other containers", () => {
    const config = configSchema.parse(parseYaml(read("deploy/chainvault.yaml")));
    expect(config.http).toMatchObject({ host: "0.0.0.0", port: 9464, token_env: "CHAINVAULT_HTTP_TOKEN" });
    expect(read("deploy/prometheus/prometheus.yml")).toContain(`chainvault:${config.http.port}`);
  });

  it("points the provisioned dashboard at the provisioned Prometheus data source", () => {
    const datasources = parseYaml(read("deploy/grafana/provisioning/datasources/prometheus.yaml")) as {
      datasources: { uid: string; type: string }[];
    };
    const uid = datasources.datasources.find((source) => source.type === "prometheus")!.uid;
    const command = compose.services.grafana!.entrypoint!.join(" ");
    // compose turns $$ into $; the sed expression then replaces the dashboard's input with the uid.
    const substitution = /sed 's\/\$\$\{DS_PROMETHEUS\}\/(\w+)\/g'/.exec(command);
    expect(substitution?.[1]).toBe(uid);
    const dashboard = read("docs/monitoring/chainvault-dashboard.json").replaceAll("${DS_PROMETHEUS}", uid);
    expect(dashboard).not.toContain("DS_PROMETHEUS}");
    expect(dashboard).toContain(`"uid": "${uid}"`);
  });
});

describe("Dockerfile", () => {
  const dockerfile = read("Dockerfile");

  it("builds in stages on node:24-slim and runs the daemon as a non-root user", () => {
    expect(dockerfile.match(/^FROM node:24-slim AS \w+$/gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^COPY --from=deps /m);
    expect(dockerfile).toMatch(/^USER chainvault$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["tini", "--", "node", "\/app\/bin\/chainvault\.js"\]$/m);
    expect(dockerfile).toMatch(/^CMD \["daemon"\]$/m);
  });

  it("checks health on /healthz, the port the daemon serves by default", () => {
    const port = configSchema.parse({}).http.port;
    expect(dockerfile).toMatch(new RegExp(`^HEALTHCHECK .*\\n.*http://127\\.0\\.0\\.1:${port}/healthz`, "m"));
    expect(dockerfile).toMatch(new RegExp(`^EXPOSE ${port}$`, "m"));
  });

  it("leaves secrets, data and the repository's history out of the build context", () => {
    const ignored = read(".dockerignore").split("\n");
    for (const entry of [".git", "node_modules", "data", "backups", ".env", "*.env"])
      expect(ignored).toContain(entry);
  });
});

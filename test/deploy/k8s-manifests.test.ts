// Every manifest in deploy/k8s/ against the Kubernetes API's own schemas (vendored in deploy/k8s/schemas/, see
// SOURCE.md there), strictly: an unknown or misspelled key fails as the API server would refuse it. No cluster
// runs here, so this is the check `kubectl apply --dry-run=server` would otherwise make.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Ajv } from "ajv";
import type { ValidateFunction } from "ajv";
import { parseAllDocuments } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.ts";

const K8S_DIR = path.join(import.meta.dirname, "../../deploy/k8s");
const vendored = JSON.parse(
  readFileSync(path.join(K8S_DIR, "schemas/kubernetes-definitions.json"), "utf8"),
) as {
  roots: string[];
  definitions: Record<string, Record<string, unknown>>;
};

type Json = Record<string, unknown>;

/**
 * The OpenAPI definitions as a strict JSON Schema, made as kubeconform's standalone-strict schemas are: objects
 * with declared properties admit no others, and IntOrString takes either type (the OpenAPI document calls it a
 * string with a format no validator knows).
 */
function strictDefinitions(): Record<string, Json> {
  const copy = structuredClone(vendored.definitions) as Record<string, Json>;
  const tighten = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(tighten);
    if (node === null || typeof node !== "object") return;
    const schema = node as Json;
    if (schema.properties !== undefined && schema.additionalProperties === undefined)
      schema.additionalProperties = false;
    for (const value of Object.values(schema)) tighten(value);
  };
  tighten(copy);
  copy["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] = {
    oneOf: [{ type: "string" }, { type: "integer" }],
  };
  return copy;
}

function validators(): Map<string, ValidateFunction> {
  const ajv = new Ajv({
    allErrors: true,
    // The OpenAPI document often leaves `type: object` implicit beside `properties`.
    strictTypes: false,
    // OpenAPI's formats say how Go encodes a value, not a constraint a manifest author must meet.
    formats: { int32: true, int64: true, byte: true, "date-time": true, "int-or-string": true },
  });
  ajv.addVocabulary([
    "x-kubernetes-group-version-kind",
    "x-kubernetes-patch-merge-key",
    "x-kubernetes-patch-strategy",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
  ]);
  ajv.addSchema({ $id: "k8s", definitions: strictDefinitions() });
  const byKind = new Map<string, ValidateFunction>();
  for (const root of vendored.roots) {
    for (const gvk of vendored.definitions[root]?.["x-kubernetes-group-version-kind"] as {
      group: string;
      version: string;
      kind: string;
    }[]) {
      const apiVersion = gvk.group === "" ? gvk.version : `${gvk.group}/${gvk.version}`;
      byKind.set(`${apiVersion} ${gvk.kind}`, ajv.compile({ $ref: `k8s#/definitions/${root}` }));
    }
  }
  return byKind;
}

const VALIDATE = validators();

function errorsOf(document: Json): string[] {
  const validate = VALIDATE.get(`${String(document.apiVersion)} ${String(document.kind)}`);
  if (!validate) return [`no vendored schema for ${String(document.apiVersion)} ${String(document.kind)}`];
  if (validate(document)) return [];
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath} ${e.message ?? ""} ${JSON.stringify(e.params)}`,
  );
}

const manifests = readdirSync(K8S_DIR)
  .filter((name) => name.endsWith(".yaml"))
  .sort()
  .flatMap((name) =>
    parseAllDocuments(readFileSync(path.join(K8S_DIR, name), "utf8")).map((doc, index) => ({
      file: `${name}#${index}`,
      document: doc.toJS() as Json,
    })),
  );

interface Container {
  name: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  livenessProbe?: Json;
  readinessProbe?: Json;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

const deployments = manifests
  .filter((m) => m.document.kind === "Deployment")
  .map((m) => ({
    file: m.file,
    name: (m.document.metadata as { name: string }).name,
    containers: (m.document as { spec: { template: { spec: { containers: Container[] } } } }).spec.template
      .spec.containers,
  }));

const tmp = mkdtempSync(path.join(os.tmpdir(), "chainvault-k8s-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("deploy/k8s manifests", () => {
  it("finds the scheduler, at least two workers, the ConfigMap and the Service", () => {
    expect(deployments.map((d) => d.name)).toEqual(
      expect.arrayContaining(["chainvault-scheduler", "chainvault-worker-1", "chainvault-worker-2"]),
    );
    expect(manifests.map((m) => m.document.kind)).toEqual(expect.arrayContaining(["ConfigMap", "Service"]));
  });

  it.each(manifests.map((m) => [m.file, m.document] as const))(
    "%s is valid against the Kubernetes schema",
    (_file, document) => {
      expect(errorsOf(document)).toEqual([]);
    },
  );

  it("the schemas are strict: a misspelled key or a missing required field is refused", () => {
    const worker = structuredClone(manifests.find((m) => m.file === "worker-1.yaml#0")!.document) as {
      spec: { template: { spec: { containers: Json[] } } };
    };
    const misspelled = structuredClone(worker);
    const container = misspelled.spec.template.spec.containers[0]!;
    container.livenesProbe = container.livenessProbe;
    delete container.livenessProbe;
    expect(errorsOf(misspelled as unknown as Json).join("\n")).toContain("livenesProbe");

    const nameless = structuredClone(worker);
    delete nameless.spec.template.spec.containers[1]!.name;
    expect(errorsOf(nameless as unknown as Json).join("\n")).toContain("name");
  });

  it.each(deployments.map((d) => [d.name, d] as const))(
    "%s: one gateway sidecar, secrets by reference, probes on /healthz and /readyz, resource requests",
    (_name, deployment) => {
      expect(deployment.containers.map((c) => c.name).sort()).toEqual(["chainvault", "ib-gateway"]);
      for (const container of deployment.containers) {
        for (const variable of container.env ?? []) {
          if (/URL|TOKEN|PASSWORD|USERID/.test(variable.name)) {
            expect(variable.value, `${container.name} ${variable.name}`).toBeUndefined();
            expect(variable.valueFrom?.secretKeyRef, `${container.name} ${variable.name}`).toBeDefined();
          }
        }
        expect(container.resources?.requests?.memory, container.name).toMatch(/^\d+(Mi|Gi)$/);
        expect(container.resources?.requests?.cpu, container.name).toBeDefined();
      }
      const chainvault = deployment.containers.find((c) => c.name === "chainvault")!;
      expect(JSON.stringify(chainvault.livenessProbe)).toContain("127.0.0.1:9464/healthz");
      expect(JSON.stringify(chainvault.readinessProbe)).toContain("127.0.0.1:9464/readyz");
    },
  );

  it("the scheduler runs the daemon; the workers take split collections' parts and serve their probes", () => {
    for (const deployment of deployments) {
      const args = deployment.containers.find((c) => c.name === "chainvault")!.args;
      if (deployment.name === "chainvault-scheduler") expect(args?.[0]).toBe("daemon");
      else expect(args, deployment.name).toEqual(["worker", "--http"]);
    }
  });

  it("every gateway logs in with its own IB login: pacing and lines are per login", () => {
    const logins = deployments.map(
      (d) =>
        d.containers.find((c) => c.name === "ib-gateway")!.env!.find((v) => v.name === "TWS_USERID")!
          .valueFrom!.secretKeyRef!.name,
    );
    expect(new Set(logins).size).toBe(deployments.length);
  });

  it("the ConfigMap's chainvault.yaml is a valid configuration that serves the probed port off loopback", () => {
    const configMap = manifests.find((m) => m.document.kind === "ConfigMap")!.document as {
      data: Record<string, string>;
    };
    const file = path.join(tmp, "chainvault.yaml");
    writeFileSync(file, configMap.data["chainvault.yaml"] ?? "");
    const { config } = loadConfig({ file, env: {} });
    expect(config.http.host).toBe("0.0.0.0");
    expect(config.http.port).toBe(9464);
    expect(config.http.token_env).toBe("CHAINVAULT_HTTP_TOKEN");
    expect(`${config.ib.host}:${config.ib.port}`).toBe("127.0.0.1:4002");
  });
});

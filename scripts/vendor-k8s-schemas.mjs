// Extracts from a Kubernetes OpenAPI v2 document (swagger.json) the definitions the manifests in deploy/k8s/ use,
// with every definition they reference, unchanged, into deploy/k8s/schemas/. Run again to move to another
// Kubernetes version; the SOURCE.md beside the output says where the input came from.
//   node scripts/vendor-k8s-schemas.mjs path/to/swagger.json
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const ROOTS = ["io.k8s.api.apps.v1.Deployment", "io.k8s.api.core.v1.ConfigMap", "io.k8s.api.core.v1.Service"];
const input = process.argv[2];
if (!input) {
  console.error("usage: node scripts/vendor-k8s-schemas.mjs SWAGGER_JSON");
  process.exit(2);
}
const spec = JSON.parse(readFileSync(input, "utf8"));
const keep = {};
const pending = [...ROOTS];
while (pending.length > 0) {
  const name = pending.pop();
  if (keep[name]) continue;
  const definition = spec.definitions[name];
  if (!definition) throw new Error(`${name} is not defined in ${input}`);
  keep[name] = definition;
  for (const match of JSON.stringify(definition).matchAll(/"#\/definitions\/([^"]+)"/g))
    pending.push(match[1]);
}
const sorted = Object.fromEntries(
  Object.keys(keep)
    .sort()
    .map((name) => [name, keep[name]]),
);
const out = { info: spec.info, roots: ROOTS, definitions: sorted };
writeFileSync(
  path.join(import.meta.dirname, "../deploy/k8s/schemas/kubernetes-definitions.json"),
  JSON.stringify(out, null, 1) + "\n",
);
console.log(`${Object.keys(sorted).length} definitions from Kubernetes ${spec.info.version}`);

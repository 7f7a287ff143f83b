// The compiled migrate.js reads its .sql files beside it, as src/store/migrate.ts does: copy them to dist/.
// Likewise the dashboard's page files, which src/dashboard/server.ts reads beside itself.
import fs from "node:fs";
import { URL } from "node:url";

fs.cpSync(
  new URL("../src/store/migrations/", import.meta.url),
  new URL("../dist/store/migrations/", import.meta.url),
  {
    recursive: true,
    filter: (source) => !source.endsWith("~"),
  },
);
fs.cpSync(new URL("../src/dashboard/", import.meta.url), new URL("../dist/dashboard/", import.meta.url), {
  recursive: true,
  filter: (source) => !source.endsWith(".ts") && !source.endsWith("~"),
});

// The compiled migrate.js reads its .sql files beside it, as src/store/migrate.ts does: copy them to dist/.
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

import fs from "node:fs";

/** chainvault's version as package.json states it: what an alert or a health answer names as its sender. */
export const CHAINVAULT_VERSION: string = (
  JSON.parse(fs.readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

// No imports: `chainvault config --help` lists these names without loading the configuration schema.
/**
 * Environment variables that override a config key (connection settings, secrets, log level). An empty one
 * is ignored, except where that would quietly change what chainvault does (`emptyIsError`).
 */
export const ENV_OVERRIDES: ReadonlyArray<{
  name: string;
  path: [string, string];
  type: "string" | "integer";
  emptyIsError?: string;
}> = [
  {
    name: "DATABASE_URL",
    path: ["database", "url"],
    type: "string",
    // An env file a shell mangled leaves it empty, and ignoring that would switch to the embedded database.
    emptyIsError:
      "set it to postgres://user:password@host:5432/database, or unset it to use the embedded database",
  },
  { name: "CHAINVAULT_DATA_DIR", path: ["database", "data_dir"], type: "string" },
  { name: "IB_HOST", path: ["ib", "host"], type: "string" },
  { name: "IB_PORT", path: ["ib", "port"], type: "integer" },
  { name: "IB_CLIENT_ID", path: ["ib", "client_id"], type: "integer" },
  { name: "CHAINVAULT_LOG_LEVEL", path: ["log", "level"], type: "string" },
];

export const ENVIRONMENT_VARIABLES = ENV_OVERRIDES.map((entry) => entry.name);

import fs from "node:fs";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { configSchema } from "./schema.ts";
import type { Config } from "./schema.ts";
import { UsageError, errorMessage } from "../core/errors.ts";
import { redactUrl } from "../logger.ts";
import { ENV_OVERRIDES } from "./environment.ts";

export { ENVIRONMENT_VARIABLES } from "./environment.ts";

/** The file chainvault reads when neither --config nor CHAINVAULT_CONFIG names one (optional). */
export const DEFAULT_CONFIG_FILE = "chainvault.yaml";

export interface LoadConfigOptions {
  /** --config FILE; otherwise CHAINVAULT_CONFIG; otherwise ./chainvault.yaml if it exists. */
  file?: string;
  env?: NodeJS.ProcessEnv;
}

export interface LoadedConfig {
  config: Config;
  /** The file read, or null when every value is a default or comes from the environment. */
  file: string | null;
  /** Keys an environment variable set ("log.level"), each with the variable's name. */
  fromEnvironment: ReadonlyMap<string, string>;
}

/** A configuration needs few aliases, if any; yaml's own limit (100) still allows a large expansion. */
const MAX_YAML_ALIASES = 50;

function readYaml(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === "ENOENT"
        ? `config file ${file} does not exist`
        : `cannot read config file ${file}: ${errorMessage(error)}`,
    );
  }
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    const first = document.errors[0]!;
    const where = first.linePos?.[0] ? ` (line ${first.linePos[0].line})` : "";
    throw new UsageError(`${file}${where}: invalid YAML: ${first.message.split("\n")[0]}`);
  }
  let value: unknown;
  try {
    // An alias expands to a copy of what it names, so a few nested aliases make billions of nodes.
    value = document.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (error) {
    if (/excessive alias count/i.test(errorMessage(error))) {
      throw new UsageError(
        `${file}: too many YAML aliases (*name) expand to copies; write the settings out instead ` +
          `(at most ${MAX_YAML_ALIASES} alias expansions are read)`,
      );
    }
    throw new UsageError(`${file}: invalid YAML: ${errorMessage(error).split("\n")[0]}`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new UsageError(`${file}: expected a mapping of settings (key: value) at the top level`);
  }
  return value as Record<string, unknown>;
}

function applyEnvironment(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Map<string, string> {
  const sources = new Map<string, string>();
  for (const override of ENV_OVERRIDES) {
    const text = env[override.name];
    if (text === undefined) continue;
    if (text.trim() === "") {
      if (override.emptyIsError) {
        throw new UsageError(
          `environment variable ${override.name} is set but empty: ${override.emptyIsError}`,
        );
      }
      continue;
    }
    let value: string | number = text;
    if (override.type === "integer") {
      if (!/^\d+$/.test(text.trim())) {
        throw new UsageError(`environment variable ${override.name}="${text}" is not a whole number`);
      }
      value = Number(text.trim());
    }
    const [section, key] = override.path;
    const current = raw[section];
    const target = typeof current === "object" && current !== null && !Array.isArray(current) ? current : {};
    raw[section] = { ...(target as Record<string, unknown>), [key]: value };
    sources.set(`${section}.${key}`, override.name);
  }
  return sources;
}

function describeIssue(issue: z.core.$ZodIssue, origin: string, envSources: Map<string, string>): string {
  const path = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.map((key) => `"${path ? `${path}.${key}` : key}"`).join(", ");
    return `${origin}: unknown key${issue.keys.length > 1 ? "s" : ""} ${keys}`;
  }
  const source = envSources.get(path);
  const where = source ? `environment variable ${source} (${path})` : `${origin}: "${path}"`;
  return `${where}: ${issue.message}`;
}

/** Reads, merges and validates the configuration; any mistake is a UsageError naming key and file. */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const explicit = options.file ?? (env.CHAINVAULT_CONFIG || undefined);
  const file = explicit ?? (fs.existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : null);
  const raw = file === null ? {} : readYaml(file);
  const envSources = applyEnvironment(raw, env);
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const origin = file ?? "configuration";
    const messages = result.error.issues.map((issue) => describeIssue(issue, origin, envSources));
    throw new UsageError(messages.join("\n"));
  }
  return { config: result.data, file, fromEnvironment: envSources };
}

const SECRET_KEY = /(password|secret|token|api_key|webhook_url)$/i;

/** A copy safe to print: secrets replaced by "***", passwords in URLs masked. */
export function redactConfig<T>(value: T): T {
  return redactValue(value, "", "") as T;
}

/** An alert channel's `url`: a webhook URL is a secret as a whole, not only a password inside it. */
const ALERT_CHANNEL_URL = /^alerts\.channels\.\d+\.url$/;

function redactValue(value: unknown, key: string, path = ""): unknown {
  if (Array.isArray(value)) return value.map((item, index) => redactValue(item, key, `${path}.${index}`));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, redactValue(v, k, path === "" ? k : `${path}.${k}`)]),
    );
  }
  if (typeof value === "string" && value !== "") {
    if (SECRET_KEY.test(key) || ALERT_CHANNEL_URL.test(path)) return "***";
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return redactUrl(value);
  }
  return value;
}

import { readFile, stat } from "node:fs/promises";
import { ConfigError, type ConfigIssue, SuperpeerError } from "../../core/errors.ts";
import { deepMerge, fieldAt, findMissing, type JsonObject, validatePartial } from "./schema.ts";
import {
  CONFIG_SCHEMA,
  crossFieldIssues,
  DEFAULT_CONFIG,
  type SuperpeerConfig,
} from "./superpeer_config.ts";
import { targetProfile } from "../targets.ts";

/** Environment variable naming the config file when `--config` is not given. */
export const CONFIG_PATH_ENV = "SUPERPEER_CONFIG";

/** Config files larger than this are refused (a config is a few KiB; this catches wrong paths). */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

/** Where the configuration came from, for logs and error messages. */
export interface LoadedConfig {
  readonly config: SuperpeerConfig;
  /** The file read, or undefined when only built-in defaults (and `--set`) apply. */
  readonly path: string | undefined;
}

/**
 * Parses `--set key.path=value` overrides into a partial config object, typed by the schema.
 *
 * @example
 * ```ts
 * parseSetOverrides(["log.level=debug", "ops.port=0"]); // { log: { level: "debug" }, ops: { port: 0 } }
 * ```
 */
export function parseSetOverrides(sets: readonly string[]): JsonObject {
  const issues: ConfigIssue[] = [];
  let overlay: JsonObject = {};
  for (const set of sets) {
    const eq = set.indexOf("=");
    if (eq <= 0) {
      issues.push({ path: `--set ${set}`, message: "expected key.path=value" });
      continue;
    }
    const path = set.slice(0, eq);
    const raw = set.slice(eq + 1);
    const field = fieldAt(CONFIG_SCHEMA, path);
    if (field === undefined) {
      issues.push({ path, message: "unknown key (see `superpeer config show` for every key)" });
      continue;
    }
    let value: unknown;
    switch (field.kind) {
      case "section":
        issues.push({ path, message: "is a section: set one of its keys instead" });
        continue;
      case "integer":
        value = /^-?\d+$/.test(raw) ? Number(raw) : raw;
        break;
      case "boolean":
        value = raw === "true" ? true : raw === "false" ? false : raw;
        break;
      case "string":
        value = raw;
        break;
      case "stringList":
        value = raw === "" ? [] : raw.split(",").map((item) => item.trim());
        break;
    }
    let nested: JsonObject = { [path.split(".").at(-1)!]: value };
    for (const key of path.split(".").slice(0, -1).reverse()) nested = { [key]: nested };
    overlay = deepMerge(overlay, nested);
  }
  if (issues.length > 0) throw new ConfigError("--set", issues);
  return overlay;
}

/**
 * Merges, in order: built-in defaults, the target profile, the file's object, `--set` overrides;
 * then validates the whole, cross-field rules included. Throws ConfigError listing every problem
 * with its key path.
 */
export function resolveConfig(
  file: unknown,
  sets: readonly string[],
  source: string,
): SuperpeerConfig {
  const issues: ConfigIssue[] = [];
  validatePartial(CONFIG_SCHEMA, file, "", issues);
  if (issues.length > 0) throw new ConfigError(source, issues);
  const fileObject = file as JsonObject;
  const overrides = parseSetOverrides(sets);
  validatePartial(CONFIG_SCHEMA, overrides, "", issues);
  if (issues.length > 0) throw new ConfigError("--set", issues);

  const target = (overrides.target ?? fileObject.target ?? DEFAULT_CONFIG.target) as string;
  const profile = targetProfile(target);
  validatePartial(CONFIG_SCHEMA, profile.config, `targets/${profile.name}.json config`, issues);
  if (issues.length > 0) throw new ConfigError(`target profile ${profile.name}`, issues);

  const base = JSON.parse(JSON.stringify(DEFAULT_CONFIG)) as JsonObject;
  const merged = deepMerge(deepMerge(deepMerge(base, profile.config), fileObject), overrides);
  merged.target = target;
  findMissing(CONFIG_SCHEMA, merged, "", issues);
  if (issues.length > 0) throw new ConfigError(source, issues);
  const config = merged as unknown as SuperpeerConfig;
  issues.push(...crossFieldIssues(config));
  if (issues.length > 0) throw new ConfigError(source, issues);
  return config;
}

/** Parses config file text; a JSON syntax error becomes a ConfigError naming the file. */
export function parseConfigText(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ConfigError(source, [{ path: "", message: `not valid JSON: ${detail}` }]);
  }
}

/** Reads a config file (refusing huge or unreadable ones) and returns its parsed JSON. */
export async function readConfigFile(path: string): Promise<unknown> {
  let text: string;
  try {
    const info = await stat(path);
    if (!info.isFile()) {
      throw new SuperpeerError("CONFIG_UNREADABLE", `Cannot read config: not a file: ${path}`);
    }
    if (info.size > MAX_CONFIG_FILE_BYTES) {
      throw new SuperpeerError(
        "CONFIG_UNREADABLE",
        `Cannot read config: larger than ${MAX_CONFIG_FILE_BYTES} bytes: ${path}`,
      );
    }
    text = await readFile(path, "utf8");
  } catch (error) {
    if (error instanceof SuperpeerError) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    throw new SuperpeerError("CONFIG_UNREADABLE", `Cannot read config: ${path}: ${detail}`, {
      cause: error,
    });
  }
  return parseConfigText(text, path);
}

/**
 * Loads the effective configuration: `path` (or $SUPERPEER_CONFIG, or none) plus `--set` overrides.
 *
 * @example
 * ```ts
 * const { config } = await loadConfig({ path: undefined, sets: ["ops.port=0"], env: {} });
 * ```
 */
export async function loadConfig(options: {
  path: string | undefined;
  sets: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
}): Promise<LoadedConfig> {
  const path = options.path ?? (options.env[CONFIG_PATH_ENV] || undefined);
  const file = path === undefined ? {} : await readConfigFile(path);
  return { config: resolveConfig(file, options.sets, path ?? "built-in defaults"), path };
}

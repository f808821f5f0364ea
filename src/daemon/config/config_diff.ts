import { leaves, valueAt } from "./schema.ts";
import { CONFIG_SCHEMA, type SuperpeerConfig } from "./superpeer_config.ts";

/** Keys whose value differs between two configurations, split by whether SIGHUP can apply them. */
export interface ConfigDiff {
  readonly live: string[];
  readonly restart: string[];
}

/** Compares two effective configurations key by key. */
export function diffConfig(before: SuperpeerConfig, after: SuperpeerConfig): ConfigDiff {
  const diff: ConfigDiff = { live: [], restart: [] };
  for (const [path, field] of leaves(CONFIG_SCHEMA)) {
    // Lists compare by content, not identity.
    if (JSON.stringify(valueAt(before, path)) !== JSON.stringify(valueAt(after, path))) {
      (field.live ? diff.live : diff.restart).push(path);
    }
  }
  return diff;
}

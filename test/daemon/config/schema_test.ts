import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFile } from "node:fs/promises";
import { leaves, valueAt } from "../../../src/daemon/config/schema.ts";
import { CONFIG_SCHEMA, DEFAULT_CONFIG } from "../../../src/daemon/config/superpeer_config.ts";
import { diffConfig } from "../../../src/daemon/config/config_diff.ts";
import { resolveConfig } from "../../../src/daemon/config/load_config.ts";
import { renderConfigReference } from "../../../scripts/config_reference.ts";
import { TARGET_PROFILES } from "../../../src/daemon/targets.ts";

test("CONFIG_SCHEMA has a default for every key and a key for every default", () => {
  const schemaPaths = [...leaves(CONFIG_SCHEMA)].map(([path]) => path);
  for (const path of schemaPaths) {
    assert.ok(valueAt(DEFAULT_CONFIG, path) !== undefined, `default for ${path}`);
  }
  const defaultPaths: string[] = [];
  const walk = (value: unknown, prefix: string) => {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const path = prefix ? `${prefix}.${k}` : k;
      if (typeof v === "object" && v !== null && !Array.isArray(v)) walk(v, path);
      else defaultPaths.push(path);
    }
  };
  walk(DEFAULT_CONFIG, "");
  assert.equal(defaultPaths.sort(), [...schemaPaths].sort());
});

test("every target profile's config validates and names itself after its file", () => {
  for (const [name, profile] of TARGET_PROFILES) {
    const config = resolveConfig({ target: name }, [], `target ${name}`);
    assert.is(config.target, name);
    assert.is(profile.name, name);
  }
});

test("README's configuration reference matches the schema", async () => {
  const readme = await readFile(new URL("../../../README.md", import.meta.url), "utf8");
  assert.ok(
    readme.includes(renderConfigReference()),
    "run: deno run scripts/config_reference.ts --write",
  );
});

test("diffConfig splits changed keys into live and restart-only", () => {
  const next = resolveConfig({ log: { level: "debug" }, ops: { port: 9000 } }, [], "t");
  assert.equal(diffConfig(DEFAULT_CONFIG, next), { live: ["log.level"], restart: ["ops.port"] });
  assert.equal(diffConfig(DEFAULT_CONFIG, DEFAULT_CONFIG), { live: [], restart: [] });
});

test.run();

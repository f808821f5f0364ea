import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, SuperpeerError } from "../../../src/core/errors.ts";
import {
  loadConfig,
  parseConfigText,
  parseSetOverrides,
  resolveConfig,
} from "../../../src/daemon/config/load_config.ts";
import { DEFAULT_CONFIG } from "../../../src/daemon/config/superpeer_config.ts";

function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return [...error.issues];
    throw error;
  }
  throw new Error("expected a ConfigError");
}

test("resolveConfig with nothing given is the built-in defaults", () => {
  assert.equal(resolveConfig({}, [], "test"), DEFAULT_CONFIG);
});

test("resolveConfig rejects an unknown key naming its full path", () => {
  const issues = issuesOf(() => resolveConfig({ ops: { prot: 1 } }, [], "test"));
  assert.is(issues.length, 1);
  assert.is(issues[0]!.path, "ops.prot");
  assert.match(issues[0]!.message, /unknown key .*port/);
});

test("resolveConfig reports every wrong type and out-of-range value at once", () => {
  const issues = issuesOf(() =>
    resolveConfig(
      { ops: { port: 70000, enabled: "yes" }, log: { level: "loud" }, limits: { heapMb: 1.5 } },
      [],
      "t",
    )
  );
  const byPath = new Map(issues.map((i) => [i.path, i.message]));
  assert.match(byPath.get("ops.port")!, /integer from 0 to 65535, got number 70000/);
  assert.match(byPath.get("ops.enabled")!, /true or false, got string "yes"/);
  assert.match(byPath.get("log.level")!, /one of "error", "warn", "info", "debug"/);
  assert.match(byPath.get("limits.heapMb")!, /integer .*got the number 1.5/);
});

test("resolveConfig rejects a non-object file, a section given a scalar and a host name as ops.host", () => {
  assert.is(
    issuesOf(() => resolveConfig([], [], "t"))[0]!.message,
    "expected an object, got an array",
  );
  assert.is(issuesOf(() => resolveConfig({ log: "debug" }, [], "t"))[0]!.path, "log");
  assert.match(
    issuesOf(() => resolveConfig({ ops: { host: "localhost" } }, [], "t"))[0]!.message,
    /address literal/,
  );
});

test("resolveConfig applies the target profile under the file and --set over both", () => {
  const config = resolveConfig({ target: "rpi4", limits: { memoryMb: 300 } }, [
    "limits.openFiles=9000",
  ], "t");
  assert.is(config.target, "rpi4");
  assert.is(config.dataDir, "/var/lib/superpeer", "from the profile");
  assert.is(config.limits.heapMb, 128, "from the profile");
  assert.is(config.limits.memoryMb, 300, "file beats profile");
  assert.is(config.limits.openFiles, 9000, "--set beats both");
});

test("resolveConfig lets --set choose the target", () => {
  assert.is(resolveConfig({ target: "rpi4" }, ["target=openwrt-aarch64"], "t").limits.heapMb, 48);
});

test("parseSetOverrides types values by the schema and nests them", () => {
  assert.equal(parseSetOverrides(["log.level=debug", "ops.port=0", "ops.enabled=false"]), {
    log: { level: "debug" },
    ops: { port: 0, enabled: false },
  });
});

test("parseSetOverrides rejects unknown keys, sections and missing '='", () => {
  const issues = issuesOf(() => parseSetOverrides(["ops.nope=1", "ops=1", "log.level"]));
  assert.equal(issues.map((i) => i.path), ["ops.nope", "ops", "--set log.level"]);
});

test("resolveConfig reports a --set value of the wrong type with its key", () => {
  const issues = issuesOf(() => resolveConfig({}, ["ops.port=eighty"], "t"));
  assert.is(issues[0]!.path, "ops.port");
});

test("parseConfigText turns a JSON syntax error into a ConfigError naming the file", () => {
  const issues = issuesOf(() => parseConfigText("{ nope", "/etc/superpeer.json"));
  assert.match(issues[0]!.message, /not valid JSON/);
});

test("loadConfig reads the file named by $SUPERPEER_CONFIG when --config is absent", async () => {
  const dir = await mkdtemp(join(tmpdir(), "superpeer-cfg-"));
  const path = join(dir, "c.json");
  await writeFile(path, JSON.stringify({ log: { level: "debug" } }));
  const loaded = await loadConfig({ path: undefined, sets: [], env: { SUPERPEER_CONFIG: path } });
  assert.is(loaded.path, path);
  assert.is(loaded.config.log.level, "debug");
});

test("loadConfig fails with CONFIG_UNREADABLE for a missing file", async () => {
  try {
    await loadConfig({ path: "/nonexistent/superpeer.json", sets: [], env: {} });
    assert.unreachable();
  } catch (error) {
    assert.instance(error, SuperpeerError);
    assert.is((error as SuperpeerError).code, "CONFIG_UNREADABLE");
  }
});

test("resolveConfig requires overlay.operatorPublicKey when admission is operator", () => {
  const issues = issuesOf(() => resolveConfig({ overlay: { admission: "operator" } }, [], "test"));
  assert.equal(issues.map((i) => i.path), ["overlay.operatorPublicKey"]);
  assert.match(issues[0]!.message, /required when overlay\.admission is "operator"/);
  // Also when the mode comes from --set.
  const fromSet = issuesOf(() => resolveConfig({}, ["overlay.admission=operator"], "test"));
  assert.equal(fromSet.map((i) => i.path), ["overlay.operatorPublicKey"]);
  const key = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
  const config = resolveConfig(
    { overlay: { admission: "operator", operatorPublicKey: key } },
    [],
    "test",
  );
  assert.is(config.overlay.operatorPublicKey, key);
});

test("resolveConfig checks overlay keys: name, public key form, replay window", () => {
  for (
    const [overlay, path] of [
      [{ name: "" }, "overlay.name"],
      [{ name: "x".repeat(65) }, "overlay.name"],
      [{ name: "a\u0000b" }, "overlay.name"],
      [{ admission: "closed" }, "overlay.admission"],
      [{ operatorPublicKey: "not-a-key" }, "overlay.operatorPublicKey"],
      [{ replayWindowSeconds: 5 }, "overlay.replayWindowSeconds"],
      [{ replayWindowSeconds: 3601 }, "overlay.replayWindowSeconds"],
    ] as const
  ) {
    const issues = issuesOf(() => resolveConfig({ overlay }, [], "test"));
    assert.equal(issues.map((i) => i.path), [path], JSON.stringify(overlay));
  }
  assert.is(
    resolveConfig({ overlay: { name: "x".repeat(64) } }, [], "test").overlay.name.length,
    64,
  );
});

test("resolveConfig uses shared-secret admission on access-point targets and open on dev", () => {
  assert.is(resolveConfig({}, [], "test").overlay.admission, "open");
  for (
    const target of ["rpi4", "rpi-zero2w", "x86_64-minipc", "openwrt-aarch64", "openwrt-x86_64"]
  ) {
    assert.is(resolveConfig({ target }, [], "test").overlay.admission, "shared-secret", target);
  }
});

test("resolveConfig keeps mDNS silent on dev and on the LAN-side interfaces of access-point targets", () => {
  assert.equal(resolveConfig({}, [], "test").mdns.interfaces, []);
  assert.equal(resolveConfig({ target: "openwrt-aarch64" }, [], "test").mdns.interfaces, [
    "br-lan",
  ]);
  assert.equal(resolveConfig({ target: "rpi4" }, [], "test").mdns.interfaces, ["wlan0"]);
});

test("resolveConfig checks mdns keys: interface names, advertised services, instance name bytes", () => {
  for (
    const [mdns, path] of [
      [{ interfaces: ["br lan"] }, "mdns.interfaces[0]"],
      [{ interfaces: ["*", "eth0"] }, "mdns.interfaces"],
      [{ advertise: ["overlay", "ftp"] }, "mdns.advertise[1]"],
      [{ hostName: "ap_1" }, "mdns.hostName"],
      [{ instanceName: "\u00e9".repeat(32) }, "mdns.instanceName"],
      [{ instanceName: "a\u0001b" }, "mdns.instanceName"],
      [{ colour: "blue" }, "mdns.colour"],
    ] as const
  ) {
    const issues = issuesOf(() => resolveConfig({ mdns }, [], "test"));
    assert.equal(issues.map((i) => i.path), [path], JSON.stringify(mdns));
  }
  const ok = resolveConfig(
    { mdns: { interfaces: ["br-lan", "mesh0"], instanceName: "Caf\u00e9 Kiosk (east)" } },
    [],
    "test",
  );
  assert.equal(ok.mdns.interfaces, ["br-lan", "mesh0"]);
});

test.run();

// firmware-notes/openwrt/superpeer.init, run by /bin/sh with OpenWrt stubbed (fixtures/
// openwrt_shim.sh): the UCI loader (config/option/list, config_get, config_list_foreach as
// /lib/functions.sh defines them) and jshn (json_* calls recorded, rebuilt here as jshn nests them). The JSON is then
// checked by `superpeer config check` in-process. Real uci, jshn and procd are not used here;
// firmware-notes/README.md says what was run against them by hand.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { superpeerCli } from "../../src/cli/superpeer_cli.ts";
import { CONFIG_SCHEMA } from "../../src/daemon/config/superpeer_config.ts";
import { leaves } from "../../src/daemon/config/schema.ts";
import { fakeIo } from "../helpers/fake_io.ts";

const NOTES = fileURLToPath(new URL("../../firmware-notes/openwrt/", import.meta.url));
const INIT = join(NOTES, "superpeer.init");
const SHIM = fileURLToPath(new URL("./fixtures/openwrt_shim.sh", import.meta.url));

/** Keys with no UCI option on purpose (tests and interop only), as firmware-notes/README.md says. */
const NOT_IN_UCI = ["relay.allowLoopbackPeers", "relay.allowRfc5766Channels"];
/** Sections the init script maps; keys of other sections (new areas) are not checked here. */
const MAPPED_SECTIONS = ["", "identity", "log", "ops", "limits", "overlay", "relay", "sip", "mdns"];

/** Rebuilds the JSON that jshn would dump from the recorded calls. */
function replayJshn(trace: string): unknown {
  const root: Record<string, unknown> = {};
  const stack: (Record<string, unknown> | unknown[])[] = [root];
  for (const record of trace.split("\x1e").filter((r) => r !== "")) {
    const [kind, key = "", value = ""] = record.split("\x1f");
    const top = stack.at(-1)!;
    const put = (v: unknown) => Array.isArray(top) ? top.push(v) : (top[key] = v);
    switch (kind) {
      case "object": {
        const o = {};
        put(o);
        stack.push(o);
        break;
      }
      case "array": {
        const a: unknown[] = [];
        put(a);
        stack.push(a);
        break;
      }
      case "close":
        stack.pop();
        break;
      case "string":
        put(value);
        break;
      case "int":
        assert.match(value, /^\d+$/, `json_add_int ${key} ${value}`);
        put(Number(value)); // jshn: json_object_new_int64(atoll(value))
        break;
      case "boolean":
        put(value === "1"); // jshn: !!atoi(value)
        break;
      default:
        throw new Error(`unexpected jshn call ${kind}`);
    }
  }
  assert.is(stack.length, 1, "every json_add_object/array is closed");
  return root;
}

interface InitRun {
  code: number;
  stderr: string;
  json: unknown;
  mode: number | undefined;
}

/** Sources the init script under /bin/sh with the shim and runs superpeer_write_json. */
async function writeJson(uci: string): Promise<InitRun> {
  const dir = await mkdtemp(join(tmpdir(), "superpeer-init-"));
  const fixture = join(dir, "superpeer");
  const out = join(dir, "superpeer.json");
  await writeFile(fixture, uci);
  const script = '. "$SHIM"; . "$INIT"; config_load superpeer; superpeer_write_json "$OUT"';
  const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile("/bin/sh", ["-c", script], {
      env: { PATH: "/usr/bin:/bin", SHIM, INIT, OUT: out, UCI_FIXTURE: fixture },
    }, (error, _stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stderr });
    });
  });
  let json: unknown;
  let mode: number | undefined;
  try {
    // jshn writes a string's bytes as they are (json-c passes UTF-8 through), so read UTF-8.
    json = replayJshn(await readFile(out, "utf8"));
    mode = (await stat(out)).mode & 0o777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  return { code, stderr, json, mode };
}

async function configCheck(json: unknown): Promise<{ code: number; out: string }> {
  const dir = await mkdtemp(join(tmpdir(), "superpeer-init-check-"));
  const file = join(dir, "superpeer.json");
  await writeFile(file, JSON.stringify(json));
  const io = fakeIo();
  const code = await superpeerCli(["config", "check", file], io);
  return { code, out: io.out() + io.err() };
}

// Every option the init script knows, with values that need escaping and both list forms.
const FULL_UCI = String.raw`
config superpeer 'main'
	option enabled '1'
	option target 'openwrt-aarch64'
	option data_dir '/etc/superpeer'
	option key_file '/etc/superpeer/node key.pem'
	option shutdown_timeout_ms '4000'
	option log_level 'debug'
	option log_format 'json'
	option log_repeat_window_seconds '10'
	option ops_enabled '1'
	option ops_host '127.0.0.1'
	option ops_port '8470'
	option ops_max_connections '16'
	option heap_mb '48'
	option memory_mb '96'
	option open_files '4096'

config overlay 'overlay'
	option enabled 'on'
	option host '0.0.0.0'
	option port '6084'
	list bootstrap '10.10.0.1:6084'
	list bootstrap '[fd00:10::1]:6084'
	option advertise '10.10.0.2:6084'
	option name 'mesh "west" o'\''brien'
	option admission 'operator'
	option operator_public_key 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
	option certificate_file '/etc/superpeer/enrollment.cert'
	option shared_secret_file '/etc/superpeer/overlay.secret'
	option stabilize_max_ms '20000'
	option peer_timeout_ms '30000'
	option replay_window_seconds '300'

config relay 'relay'
	option enabled '1'
	option host '0.0.0.0'
	option port '3478'
	option relay_host '10.10.0.2'
	option relay_host6 'fd00:10::2'
	option port_min '61000'
	option port_max '61999'
	option realm 'west mesh'
	list users 'alice:2bab5075d10f65351ab9baa513327359'
	list users 'bob smith:2bab5075d10f65351ab9baa513327359'
	list auth_secrets 'sec ret "quoted" and \ backslash'
	list auth_secrets 'it'\''s $HOME ` + "`id`" + String.raw`'
	option max_allocations '150'
	option max_allocations_per_user '5'
	option max_allocations_per_client_ip '10'
	option max_permissions_per_allocation '16'
	option max_channels_per_allocation '16'
	option allocation_bytes_per_second '500000'
	option total_bytes_per_second '12500000000'
	list allow_peers '10.10.0.0/16'
	list deny_peers '192.168.0.0/16'
	list deny_peers 'fd00:99::/32'
	option advertise 'no'
	option tcp '1'
	option tls_port '5349'
	option tls_cert_file '/etc/superpeer/turn.crt'
	option tls_key_file '/etc/superpeer/turn.key'
	option max_stream_clients '32'
	option max_stream_clients_per_ip '8'
	option stream_idle_seconds '60'
	option stream_backlog_bytes '32768'

config sip 'sip'
	option enabled '1'
	option host '0.0.0.0'
	option port '5060'
	option advertise_host '10.10.0.2'
	option tcp 'yes'
	option tls_port '5061'
	option tls_cert_file '/etc/superpeer/sip.crt'
	option tls_key_file '/etc/superpeer/sip.key'
	option ws_port '5066'
	option wss_port '7443'
	list domains 'mesh.example.org'
	list domains 'west.example.org'
	option auth 'digest'
	option realm 'mesh.example.org'
	list digest_algorithms 'MD5'
	option digest_check_uri '0'
	option users_file '/etc/superpeer/sip_users'
	option min_expires_seconds '60'
	option max_expires_seconds '3600'
	option default_expires_seconds '600'
	option max_bindings '2048'
	option max_bindings_per_aor '5'
	option max_transactions '1024'
	option max_stream_clients '64'
	option max_stream_clients_per_ip '8'
	option overlay_refresh_seconds '30'
	option turn_credential_seconds '0'
	option proxy_auth '1'
	list peers '10.10.0.0/16'
	list peering_sources '198.51.100.0/24'
	list peering_sources '2001:db8:5::/48'
	option peering_domains 'partner.example'
	option peering_requests_per_second '5'
	option peering_burst '10'
	option peering_max_sources '1024'
	option max_unauthenticated_invites '8'
	list routes 'partner.example=198.51.100.20:5060'
	list routes 'other.example=gw.other.example;transport=udp'
	option default_route '192.0.2.53:5060'
	option dns 'off'

config mdns 'mdns'
	option enabled 'yes'
	list interfaces 'br-lan'
	list interfaces 'wlan0'
	option deny_interfaces 'eth1'
	option ipv4 '1'
	option ipv6 'off'
	option host_name 'ap-kitchen'
	option instance_name 'Küche "AP" o'\''brien'
	list advertise 'overlay'
	list advertise 'sip-udp'
	list advertise 'turn-udp'
	option bootstrap '0'
	option max_cache_records '2048'
	option max_discovered_peers '16'
	option interface_poll_seconds '30'
`;

test("superpeer.init writes every overlay, relay, sip and mdns option as its JSON key, and config check accepts it", async () => {
  const run = await writeJson(FULL_UCI);
  assert.is(run.code, 0, run.stderr);
  const json = run.json as Record<string, Record<string, unknown>>;
  assert.equal(json.overlay, {
    enabled: true,
    host: "0.0.0.0",
    port: 6084,
    bootstrap: ["10.10.0.1:6084", "[fd00:10::1]:6084"],
    advertise: ["10.10.0.2:6084"],
    name: `mesh "west" o'brien`,
    admission: "operator",
    operatorPublicKey: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    certificateFile: "/etc/superpeer/enrollment.cert",
    sharedSecretFile: "/etc/superpeer/overlay.secret",
    stabilizeMaxMs: 20000,
    peerTimeoutMs: 30000,
    replayWindowSeconds: 300,
  });
  assert.equal(json.relay, {
    enabled: true,
    host: "0.0.0.0",
    port: 3478,
    relayHost: "10.10.0.2",
    relayHost6: "fd00:10::2",
    portMin: 61000,
    portMax: 61999,
    realm: "west mesh",
    users: [
      "alice:2bab5075d10f65351ab9baa513327359",
      "bob smith:2bab5075d10f65351ab9baa513327359",
    ],
    authSecrets: ['sec ret "quoted" and \\ backslash', "it's $HOME `id`"],
    maxAllocations: 150,
    maxAllocationsPerUser: 5,
    maxAllocationsPerClientIp: 10,
    maxPermissionsPerAllocation: 16,
    maxChannelsPerAllocation: 16,
    allocationBytesPerSecond: 500000,
    totalBytesPerSecond: 12_500_000_000,
    allowPeers: ["10.10.0.0/16"],
    denyPeers: ["192.168.0.0/16", "fd00:99::/32"],
    advertise: false,
    tcp: true,
    tlsPort: 5349,
    tlsCertFile: "/etc/superpeer/turn.crt",
    tlsKeyFile: "/etc/superpeer/turn.key",
    maxStreamClients: 32,
    maxStreamClientsPerIp: 8,
    streamIdleSeconds: 60,
    streamBacklogBytes: 32768,
  });
  assert.equal(json.sip, {
    enabled: true,
    host: "0.0.0.0",
    port: 5060,
    advertiseHost: "10.10.0.2",
    tcp: true,
    tlsPort: 5061,
    tlsCertFile: "/etc/superpeer/sip.crt",
    tlsKeyFile: "/etc/superpeer/sip.key",
    wsPort: 5066,
    wssPort: 7443,
    domains: ["mesh.example.org", "west.example.org"],
    auth: "digest",
    realm: "mesh.example.org",
    digestAlgorithms: ["MD5"],
    digestCheckUri: false,
    usersFile: "/etc/superpeer/sip_users",
    minExpiresSeconds: 60,
    maxExpiresSeconds: 3600,
    defaultExpiresSeconds: 600,
    maxBindings: 2048,
    maxBindingsPerAor: 5,
    maxTransactions: 1024,
    maxStreamClients: 64,
    maxStreamClientsPerIp: 8,
    overlayRefreshSeconds: 30,
    turnCredentialSeconds: 0,
    proxyAuth: true,
    peers: ["10.10.0.0/16"],
    peeringSources: ["198.51.100.0/24", "2001:db8:5::/48"],
    peeringDomains: ["partner.example"],
    peeringRequestsPerSecond: 5,
    peeringBurst: 10,
    peeringMaxSources: 1024,
    maxUnauthenticatedInvites: 8,
    routes: ["partner.example=198.51.100.20:5060", "other.example=gw.other.example;transport=udp"],
    defaultRoute: "192.0.2.53:5060",
    dns: false,
  });
  assert.equal(json.mdns, {
    enabled: true,
    interfaces: ["br-lan", "wlan0"],
    denyInterfaces: ["eth1"],
    ipv4: true,
    ipv6: false,
    hostName: "ap-kitchen",
    instanceName: `Küche "AP" o'brien`,
    advertise: ["overlay", "sip-udp", "turn-udp"],
    bootstrap: false,
    maxCacheRecords: 2048,
    maxDiscoveredPeers: 16,
    interfacePollSeconds: 30,
  });
  assert.is(run.mode, 0o600, "the file may hold TURN keys: root only");
  const check = await configCheck(run.json);
  assert.is(check.code, 0, check.out);
});

test("superpeer.init maps every key of its sections except the test-only ones", async () => {
  const run = await writeJson(FULL_UCI);
  assert.is(run.code, 0, run.stderr);
  const written = new Set<string>();
  const walk = (value: unknown, path: string) => {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(v, path === "" ? k : `${path}.${k}`);
    } else written.add(path);
  };
  walk(run.json, "");
  const missing = [...leaves(CONFIG_SCHEMA)].map(([path]) => path)
    .filter((path) => MAPPED_SECTIONS.includes(path.includes(".") ? path.split(".")[0]! : ""))
    .filter((path) => !written.has(path));
  assert.equal(
    missing,
    NOT_IN_UCI,
    "a config key without a UCI option: add it to superpeer.init, superpeer.config and " +
      "firmware-notes/README.md, or to NOT_IN_UCI with the reason in the README",
  );
});

test("superpeer.init writes nothing for the shipped superpeer.config (all options commented out)", async () => {
  const run = await writeJson(await readFile(join(NOTES, "superpeer.config"), "utf8"));
  assert.is(run.code, 0, run.stderr);
  assert.equal(run.json, {
    target: "openwrt-aarch64",
    identity: {},
    log: {},
    ops: {},
    limits: { heapMb: 48, openFiles: 4096 },
    overlay: {},
    relay: {},
    sip: {},
    mdns: { interfaces: ["br-lan"] },
  });
  const check = await configCheck(run.json);
  assert.is(check.code, 0, check.out);
});

test("superpeer.init refuses a non-number or non-boolean relay or overlay option and writes no file", async () => {
  for (
    const [section, line, message] of [
      ["relay", "option port '34x78'", "option relay.port must be a whole number: got '34x78'"],
      ["relay", "option tcp 'maybe'", "option relay.tcp must be 0 or 1: got 'maybe'"],
      [
        "overlay",
        "option peer_timeout_ms '-5'",
        "option overlay.peer_timeout_ms must be a whole number: got '-5'",
      ],
    ] as [string, string, string][]
  ) {
    const run = await writeJson(
      `config superpeer 'main'\n\nconfig ${section} '${section}'\n\t${line}\n`,
    );
    assert.is(run.code, 1, line);
    assert.ok(run.stderr.includes(message), run.stderr);
    assert.is(run.json, undefined, `${line}: no file`);
  }
});

test("superpeer.init mdns: '*' with deny_interfaces, word booleans and one advertise line pass config check", async () => {
  const run = await writeJson(String.raw`
config superpeer 'main'

config mdns 'mdns'
	option enabled 'on'
	list interfaces '*'
	list deny_interfaces 'eth1'
	list deny_interfaces 'pppoe-wan'
	option ipv4 'true'
	option ipv6 'no'
	option advertise 'overlay'
	option bootstrap 'enabled'
`);
  assert.is(run.code, 0, run.stderr);
  assert.equal((run.json as Record<string, unknown>).mdns, {
    enabled: true,
    interfaces: ["*"],
    denyInterfaces: ["eth1", "pppoe-wan"],
    ipv4: true,
    ipv6: false,
    advertise: ["overlay"],
    bootstrap: true,
  });
  const check = await configCheck(run.json);
  assert.is(check.code, 0, check.out);
});

test("superpeer.init mdns: a bad boolean or number exits 1 with no file; bad values fail config check by key", async () => {
  for (
    const [line, message] of [
      ["option ipv6 'maybe'", "option mdns.ipv6 must be 0 or 1: got 'maybe'"],
      [
        "option max_cache_records '1k'",
        "option mdns.max_cache_records must be a whole number: got '1k'",
      ],
    ] as [string, string][]
  ) {
    const run = await writeJson(`config superpeer 'main'\n\nconfig mdns 'mdns'\n\t${line}\n`);
    assert.is(run.code, 1, line);
    assert.ok(run.stderr.includes(message), run.stderr);
    assert.is(run.json, undefined, `${line}: no file`);
  }
  for (
    const [lines, pattern] of [
      [["list interfaces '*'", "list interfaces 'br-lan'"], /mdns\.interfaces: "\*" already means/],
      [["list advertise 'sip'"], /mdns\.advertise/],
      [["option host_name 'ap_kitchen'"], /mdns\.hostName/],
      [[`option instance_name '${"ü".repeat(32)}'`], /mdns\.instanceName: 64 bytes of UTF-8/],
    ] as [string[], RegExp][]
  ) {
    const run = await writeJson(
      `config superpeer 'main'\n\nconfig mdns 'mdns'\n${lines.map((l) => `\t${l}\n`).join("")}`,
    );
    assert.is(run.code, 0, run.stderr);
    const check = await configCheck(run.json);
    assert.is(check.code, 2, lines.join("; "));
    assert.match(check.out, pattern);
  }
});

test("superpeer.init output with relay host 0.0.0.0 and no relay_host fails config check on relay.relayHost", async () => {
  const run = await writeJson(
    "config superpeer 'main'\n\nconfig relay 'relay'\n\toption host '0.0.0.0'\n",
  );
  assert.is(run.code, 0, run.stderr);
  const check = await configCheck(run.json);
  assert.is(check.code, 2);
  assert.match(check.out, /relay\.relayHost: required when relay\.host is a wildcard/);
});

test.run();

import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtemp, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { superpeerCli } from "../../src/cli/superpeer_cli.ts";
import { formatStatusSummary } from "../../src/cli/status_command.ts";
import { VERSION } from "../../src/core/version.ts";
import { fakeIo } from "../helpers/fake_io.ts";

async function tempDir(): Promise<string> {
  return await mkdtemp(join(tmpdir(), "superpeer-cli-"));
}

test("superpeerCli version prints the version and runtime, exit 0", async () => {
  const io = fakeIo();
  assert.is(await superpeerCli(["version"], io), 0);
  assert.match(io.out(), new RegExp(`^superpeer ${VERSION.replace(/\./g, "\\.")} \\((deno|node) `));
});

test("superpeerCli --help works for every command, exit 0", async () => {
  for (
    const argv of [
      ["help"],
      ["--help"],
      ["help", "run"],
      ["run", "--help"],
      ["config", "--help"],
      ["keygen", "--help"],
      ["enroll", "--help"],
      ["help", "enroll"],
      ["status", "--help"],
      ["version", "--help"],
    ]
  ) {
    const io = fakeIo();
    assert.is(await superpeerCli(argv, io), 0, argv.join(" "));
    assert.match(io.out(), /Usage: superpeer/);
  }
});

test("superpeerCli usage errors exit 2: no command, unknown command, unknown option", async () => {
  for (
    const argv of [[], ["frobnicate"], ["run", "--bogus"], ["help", "nope"], ["config", "check"], [
      "config",
      "nope",
    ]]
  ) {
    const io = fakeIo();
    assert.is(await superpeerCli(argv, io), 2, argv.join(" "));
    assert.ok(io.err().length > 0);
  }
});

test("superpeerCli config check exits 2 naming the unknown key, and 0 for a valid file", async () => {
  const dir = await tempDir();
  const bad = join(dir, "bad.json");
  await writeFile(bad, JSON.stringify({ ops: { port: 8470, colour: "blue" } }));
  const io = fakeIo();
  assert.is(await superpeerCli(["config", "check", bad], io), 2);
  assert.match(io.err(), /ops\.colour: unknown key/);
  const good = join(dir, "good.json");
  await writeFile(good, JSON.stringify({ target: "rpi4", log: { level: "debug" } }));
  const io2 = fakeIo();
  assert.is(await superpeerCli(["config", "check", good], io2), 0);
  assert.match(io2.out(), /is valid \(target rpi4\)/);
});

test("superpeerCli config check exits 2 for unreadable and non-JSON files", async () => {
  const dir = await tempDir();
  const notJson = join(dir, "x.json");
  await writeFile(notJson, "{ ops: ");
  const io = fakeIo();
  assert.is(await superpeerCli(["config", "check", notJson], io), 2);
  assert.match(io.err(), /not valid JSON/);
  const io2 = fakeIo();
  assert.is(await superpeerCli(["config", "check", join(dir, "missing.json")], io2), 2);
  assert.match(io2.err(), /Cannot read config/);
});

test("superpeerCli config show prints the effective config with --set applied", async () => {
  const io = fakeIo();
  assert.is(
    await superpeerCli(["config", "show", "--set", "ops.port=9999", "-s", "target=rpi-zero2w"], io),
    0,
  );
  const shown = JSON.parse(io.out());
  assert.is(shown.ops.port, 9999);
  assert.is(shown.limits.heapMb, 64);
});

test("superpeerCli run refuses an invalid config with exit 2 before starting anything", async () => {
  const dir = await tempDir();
  const path = join(dir, "c.json");
  await writeFile(path, JSON.stringify({ dataDir: join(dir, "data"), unknownThing: 1 }));
  const io = fakeIo();
  assert.is(await superpeerCli(["run", "--config", path], io), 2);
  assert.match(io.err(), /unknownThing: unknown key/);
  try {
    await stat(join(dir, "data"));
    assert.unreachable("the data directory must not be created");
  } catch (error) {
    assert.is((error as { code?: string }).code, "ENOENT");
  }
});

test("superpeerCli keygen writes a 0600 key, prints its node id and will not overwrite it", async () => {
  const dir = await tempDir();
  const out = join(dir, "k.pem");
  const io = fakeIo();
  assert.is(await superpeerCli(["keygen", "--out", out], io), 0);
  assert.match(io.out(), /^node id [0-9a-f]{32}\npublic key [A-Za-z0-9_-]{43}\n/);
  assert.is((await stat(out)).mode & 0o777, 0o600);
  const io2 = fakeIo();
  assert.is(await superpeerCli(["keygen", "--out", out], io2), 1);
  assert.match(io2.err(), /exists/);
});

test("superpeerCli keygen without --out writes into the configured data directory", async () => {
  const dir = await tempDir();
  const io = fakeIo();
  assert.is(await superpeerCli(["keygen", "--set", `dataDir=${dir}`], io), 0);
  assert.ok((await stat(join(dir, "node_key.pem"))).isFile());
});

test("superpeerCli status exits 1 with a clear message when no daemon answers", async () => {
  const io = fakeIo();
  assert.is(await superpeerCli(["status", "--url", "http://127.0.0.1:9"], io), 1);
  assert.match(io.err(), /Cannot reach the daemon at http:\/\/127\.0\.0\.1:9\/status/);
});

test("formatStatusSummary renders services and memory, and tolerates missing fields", () => {
  const text = formatStatusSummary({
    version: "0.1.0",
    runtime: { name: "deno", version: "2.9.6" },
    nodeId: "ab",
    target: "dev",
    uptimeSeconds: 5,
    memory: { rssBytes: 50 * 1048576, rssBudgetBytes: 384 * 1048576 },
    services: [{ name: "ops", state: "running" }, {
      name: "relay",
      state: "failed",
      error: "port in use",
    }],
  });
  assert.match(text, /rss 50\.0 MiB of 384\.0 MiB budget/);
  assert.match(text, /relay\s+failed {2}\(port in use\)/);
  assert.match(formatStatusSummary(null), /services:\n {2}\(none\)/);
});

test("formatStatusSummary shows mDNS per interface, the overlay peers it found, and when it is off", () => {
  const on = formatStatusSummary({
    services: [{
      name: "mdns",
      state: "running",
      details: {
        enabled: true,
        notAdvertised: ["sip-udp: listens on 127.0.0.1"],
        overlayPeers: [{ nodeId: "0a1b2c3d4e5f", address: "10.0.0.7:6084" }],
        interfaces: [{
          name: "br-lan",
          host: "ap-2.local",
          records: [{ state: "announced" }, { state: "probing" }],
          services: [{}],
        }],
      },
    }],
  });
  assert.match(
    on,
    /br-lan: ap-2\.local, 2 record sets \(1 still probing or announcing\), 1 services found/,
  );
  assert.match(on, /overlay peers found: 0a1b2c3d@10\.0\.0\.7:6084/);
  assert.match(on, /not advertised: sip-udp: listens on 127\.0\.0\.1/);
  const off = formatStatusSummary({
    services: [{ name: "mdns", state: "running", details: { enabled: false } }],
  });
  assert.match(
    off,
    /mdns\s+running\n {4}off \(mdns\.interfaces is empty or mdns\.enabled is false\)/,
  );
});

test("formatStatusSummary shows the overlay neighbourhood", () => {
  const text = formatStatusSummary({
    services: [{
      name: "overlay",
      state: "running",
      details: {
        udp: "127.0.0.1:6084",
        joined: true,
        predecessors: [{ nodeId: "aaaaaaaabbbb", address: "10.0.0.1:6084" }],
        successors: [],
        fingers: [null, { nodeId: "cccccccc0000", address: "10.0.0.3:6084" }],
        records: { "1": 12 },
      },
    }],
  });
  assert.match(text, /udp 127\.0\.0\.1:6084, joined/);
  assert.match(text, /predecessors aaaaaaaa@10\.0\.0\.1:6084/);
  assert.match(text, /successors {3}\(none\)/);
  assert.match(text, /fingers {6}1 set: cccccccc@10\.0\.0\.3:6084/);
  assert.match(text, /records {6}kind 1: 12/);
});

test.run();

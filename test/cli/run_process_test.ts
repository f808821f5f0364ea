// `superpeer run` as a real process: signals, exit codes and timing, from source on Deno.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DENO_BIN,
  get,
  MAIN_TS,
  runToEnd,
  startDaemonProcess,
} from "../../scripts/lib/daemon_process.ts";
import { parsePrometheusText } from "../helpers/prometheus_parse.ts";

const DENO_ARGS = ["run", "-A", MAIN_TS];

test("superpeer run serves /healthz within 3 s of start and exits 0 within 5 s of SIGTERM", async () => {
  const started = performance.now();
  const daemon = await startDaemonProcess(DENO_BIN, DENO_ARGS);
  const health = await get(`${daemon.opsUrl}/healthz`);
  const readyMs = performance.now() - started;
  assert.is(health.status, 200);
  assert.ok(readyMs < 3000, `ready after ${readyMs.toFixed(0)} ms`);
  const status = JSON.parse((await get(`${daemon.opsUrl}/status`)).body);
  assert.match(status.nodeId, /^[0-9a-f]{32}$/);
  assert.equal(status.services.map((s: { name: string; state: string }) => [s.name, s.state]), [
    ["overlay", "running"],
    ["relay", "running"],
    ["relay-advertiser", "running"],
    ["sip", "running"],
    ["mdns", "running"],
    ["ops", "running"],
  ]);
  // A bare start multicasts nothing: mDNS waits for an interface to be configured.
  const mdns = status.services.find((s: { name: string }) => s.name === "mdns");
  assert.is(mdns.details.enabled, false);
  assert.is(mdns.details.host, null);
  const metrics = parsePrometheusText((await get(`${daemon.opsUrl}/metrics`)).body);
  assert.ok(metrics.get("superpeer_process_resident_memory_bytes")! > 0);
  const signalled = performance.now();
  daemon.kill("SIGTERM");
  const { code } = await daemon.exited;
  assert.is(code, 0);
  assert.ok(performance.now() - signalled < 5000);
  assert.match(daemon.stderr(), /msg="Shutting down" reason=SIGTERM/);
  assert.match(daemon.stderr(), /msg=Stopped code=0/);
  // The built-in defaults use open admission, which is warned about once at start.
  assert.match(
    daemon.stderr(),
    /level=warn .*msg="Overlay admission is open: .*Sybil.*" overlay=superpeer/,
  );
});

test("superpeer run exits 0 on SIGINT too and keeps its node id across restarts", async () => {
  const first = await startDaemonProcess(DENO_BIN, DENO_ARGS);
  const id1 = JSON.parse((await get(`${first.opsUrl}/status`)).body).nodeId;
  first.kill("SIGINT");
  assert.is((await first.exited).code, 0);
  const second = await startDaemonProcess(DENO_BIN, DENO_ARGS, [
    "--set",
    `identity.keyFile=${first.dataDir}/node_key.pem`,
  ]);
  const id2 = JSON.parse((await get(`${second.opsUrl}/status`)).body).nodeId;
  second.kill("SIGTERM");
  await second.exited;
  assert.is(id2, id1);
});

test("superpeer run applies live keys on SIGHUP and keeps running on a bad file", async () => {
  const dir = await mkdtemp(join(tmpdir(), "superpeer-hup-"));
  const path = join(dir, "superpeer.json");
  await writeFile(path, JSON.stringify({ log: { level: "info" } }));
  const daemon = await startDaemonProcess(DENO_BIN, DENO_ARGS, ["--config", path]);
  try {
    await writeFile(
      path,
      JSON.stringify({
        log: { level: "debug", format: "json" },
        limits: { openFiles: 2048 },
        overlay: { replayWindowSeconds: 120 },
      }),
    );
    daemon.kill("SIGHUP");
    await daemon.waitForLog(/"msg":"Reloaded configuration"/);
    assert.match(
      daemon.stderr(),
      /msg="Some changed keys apply only after a restart" keys=limits\.openFiles/,
    );
    assert.match(daemon.stderr(), /"applied":"log.level,log.format,overlay.replayWindowSeconds"/);
    const overlay = JSON.parse((await get(`${daemon.opsUrl}/status`)).body).services
      .find((s: { name: string }) => s.name === "overlay").details;
    assert.is(overlay.replayWindowSeconds, 120, "the running overlay uses the new window");

    await writeFile(
      path,
      JSON.stringify({ log: { level: "debug", format: "json" }, nonsense: true }),
    );
    daemon.kill("SIGHUP");
    await daemon.waitForLog(/Rejected the new configuration/);
    assert.match(daemon.stderr(), /nonsense: unknown key/);
    assert.is(
      (await get(`${daemon.opsUrl}/healthz`)).status,
      200,
      "still serving after a bad reload",
    );
  } finally {
    daemon.kill("SIGTERM");
  }
  assert.is((await daemon.exited).code, 0);
});

test("superpeer run exits 1 when a service cannot start (ops port taken)", async () => {
  const holder = await startDaemonProcess(DENO_BIN, DENO_ARGS);
  const port = new URL(holder.opsUrl).port;
  const dir = await mkdtemp(join(tmpdir(), "superpeer-busy-"));
  const result = await runToEnd(DENO_BIN, [
    ...DENO_ARGS,
    "run",
    "--set",
    `ops.port=${port}`,
    "--set",
    `dataDir=${dir}`,
  ]);
  holder.kill("SIGTERM");
  await holder.exited;
  assert.is(result.code, 1, result.stderr);
  assert.match(result.stderr, /Cannot start ops: cannot listen on 127\.0\.0\.1:\d+/);
});

test("superpeer run with an unknown key exits 2 naming it", async () => {
  const result = await runToEnd(DENO_BIN, [...DENO_ARGS, "run", "--set", "ops.nope=1"]);
  assert.is(result.code, 2);
  assert.match(result.stderr, /ops\.nope: unknown key/);
});

test("superpeer status prints a readable summary of a running daemon", async () => {
  const daemon = await startDaemonProcess(DENO_BIN, DENO_ARGS);
  try {
    const result = await runToEnd(DENO_BIN, [...DENO_ARGS, "status", "--url", daemon.opsUrl]);
    assert.is(result.code, 0, result.stderr);
    assert.match(result.stdout, /node id\s+[0-9a-f]{32}/);
    assert.match(result.stdout, /ops\s+running/);
  } finally {
    daemon.kill("SIGTERM");
    await daemon.exited;
  }
});

test.run();

// The esbuild bundle, built fresh, on the machine's Node and on Deno: start, /healthz, /metrics
// parses, SIGTERM exits 0.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBundle } from "../../scripts/build_bundle.ts";
import { DENO_BIN, get, startDaemonProcess } from "../../scripts/lib/daemon_process.ts";
import { parsePrometheusText } from "../helpers/prometheus_parse.ts";

const dir = await mkdtemp(join(tmpdir(), "superpeer-bundle-"));
const esm = join(dir, "superpeer.mjs");

test.before(async () => {
  await buildBundle({ esm, cjs: join(dir, "superpeer.cjs") });
});

for (
  const [runtime, command, args] of [["node", "node", [esm]], ["deno", DENO_BIN, [
    "run",
    "-A",
    esm,
  ]]] as const
) {
  test(`bundle on ${runtime}: serves /healthz and /metrics, exits 0 on SIGTERM`, async () => {
    const daemon = await startDaemonProcess(command, [...args]);
    try {
      assert.is((await get(`${daemon.opsUrl}/healthz`)).status, 200);
      const status = JSON.parse((await get(`${daemon.opsUrl}/status`)).body);
      assert.is(status.runtime.name, runtime);
      const metrics = parsePrometheusText((await get(`${daemon.opsUrl}/metrics`)).body);
      assert.is(metrics.get('superpeer_service_up{service="ops"}'), 1);
      assert.ok(metrics.get("superpeer_process_resident_memory_bytes")! > 0);
    } finally {
      daemon.kill("SIGTERM");
    }
    const exit = await daemon.exited;
    assert.is(exit.code, 0, daemon.stderr());
    assert.match(daemon.stderr(), /msg=Stopped code=0/);
  });
}

test.run();

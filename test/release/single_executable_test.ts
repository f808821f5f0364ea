// The artifacts of `npm run build` as an operator would run them: the Node single executable
// (no Node installed needed) and the ESM bundle. Run with `npx deno task test:release` after a build.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync } from "node:fs";
import { get, runToEnd, startDaemonProcess } from "../../scripts/lib/daemon_process.ts";

const SEA = new URL("../../dist/superpeer-node-linux-x64", import.meta.url).pathname;
const MIB = 1024 * 1024;

test("single executable exists after npm run build", () => {
  assert.ok(existsSync(SEA), `${SEA} is missing: run npm run build first`);
});

test("single executable: version names its embedded Node 24", async () => {
  const result = await runToEnd(SEA, ["version"]);
  assert.is(result.code, 0, result.stderr);
  assert.match(result.stdout, /^superpeer \d+\.\d+\.\d+ \(node 24\./);
});

test("single executable: run serves /healthz with its baked-in heap limit and exits 0 on SIGTERM", async () => {
  const daemon = await startDaemonProcess(SEA, []);
  try {
    assert.is((await get(`${daemon.opsUrl}/healthz`)).status, 200);
    const status = JSON.parse((await get(`${daemon.opsUrl}/status`)).body);
    assert.is(status.runtime.name, "node");
    // --max-old-space-size=192 (x86_64-minipc) is in the executable's execArgv; without it
    // Node 24 on this machine picks a limit of several GiB.
    assert.ok(
      status.memory.heapLimitBytes < 512 * MIB,
      `heap limit ${status.memory.heapLimitBytes}`,
    );
    assert.not.match(daemon.stderr(), /V8 heap limit is far above/);
  } finally {
    daemon.kill("SIGTERM");
  }
  assert.is((await daemon.exited).code, 0, daemon.stderr());
});

test("single executable: an unknown config key exits 2 naming it", async () => {
  const result = await runToEnd(SEA, ["run", "--set", "limits.nope=1"]);
  assert.is(result.code, 2);
  assert.match(result.stderr, /limits\.nope: unknown key/);
});

test.run();

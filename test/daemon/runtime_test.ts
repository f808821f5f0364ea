import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  checkRuntime,
  compareVersions,
  openFileLimit,
  runtimeInfo,
  sampleMemory,
} from "../../src/daemon/runtime.ts";
import { DENO_BIN, runToEnd } from "../../scripts/lib/daemon_process.ts";

test("compareVersions orders dotted versions numerically", () => {
  assert.ok(compareVersions("2.9.6", "2.9.0") > 0);
  assert.ok(compareVersions("2.10.0", "2.9.9") > 0);
  assert.ok(compareVersions("1.46.3", "2.0.0") < 0);
  assert.is(compareVersions("20.20.2", "20.20.2"), 0);
});

test("checkRuntime refuses a Deno or Node older than the minimum with an install hint", () => {
  assert.throws(
    () => checkRuntime({ name: "deno", version: "1.46.3", v8: "" }),
    /needs Deno >= 2\.9\.0/,
  );
  assert.throws(
    () => checkRuntime({ name: "node", version: "18.19.0", v8: "" }),
    /needs Node >= 20/,
  );
  checkRuntime({ name: "node", version: "20.20.2", v8: "" });
  checkRuntime(runtimeInfo());
});

test("sampleMemory and openFileLimit read real figures on Linux", () => {
  const memory = sampleMemory();
  assert.ok(memory.rssBytes > 1_000_000);
  assert.ok(memory.heapLimitBytes > memory.heapUsedBytes);
  const nofile = openFileLimit();
  assert.ok(nofile === undefined || nofile >= 64);
});

test("installCrashGuards keeps the process alive through a thrown timer and an unhandled rejection", async () => {
  const fixture = new URL("../fixtures/crash_guard_fixture.ts", import.meta.url).pathname;
  const result = await runToEnd(DENO_BIN, ["run", "-A", fixture]);
  assert.is(result.code, 0, result.stderr);
  assert.equal(JSON.parse(result.stdout), [
    "exception:bad packet in a handler",
    "rejection:forgotten promise",
  ]);
});

test.run();

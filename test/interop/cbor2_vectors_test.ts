// An independent decoder (Debian's python3-cbor2, installed by scripts/setup-interop) reads every
// valid overlay vector to the same structure as ours and confirms each level is deterministic.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync } from "node:fs";
import { runToEnd } from "../../scripts/lib/daemon_process.ts";

const PYTHON = "/usr/bin/python3";
const CHECK = new URL("./cbor2_check.py", import.meta.url).pathname;
const FIXTURES = new URL("../fixtures/overlay/", import.meta.url).pathname;

test("python3-cbor2 is installed (scripts/setup-interop)", async () => {
  assert.ok(existsSync(PYTHON), `${PYTHON} missing: run scripts/setup-interop`);
  const probe = await runToEnd(PYTHON, ["-c", "import cbor2"]);
  assert.is(probe.code, 0, `cbor2 missing: run scripts/setup-interop\n${probe.stderr}`);
});

test("cbor2 decodes every valid overlay vector to its .diag meaning, deterministically encoded", async () => {
  const result = await runToEnd(PYTHON, [CHECK, FIXTURES], 60_000);
  const lines = result.stdout.trim().split("\n").map((l) => JSON.parse(l));
  const summary = lines.at(-1);
  const failures = lines.filter((l) => l.ok === false);
  assert.equal(failures, [], JSON.stringify(failures, null, 2));
  assert.ok(summary.checked >= 30, `checked ${summary.checked}`);
  assert.is(summary.failed, 0);
  assert.is(result.code, 0, result.stderr);
});

test.run();

import { test } from "uvu";
import * as assert from "uvu/assert";
import { ManualClock } from "../../src/core/clock.ts";
import { ConfigError, describeError, SuperpeerError } from "../../src/core/errors.ts";

test("ManualClock advances wall and monotonic time together and never backwards", () => {
  const clock = new ManualClock(1000);
  clock.advance(250);
  assert.is(clock.now(), 1250);
  assert.is(clock.monotonic(), 250);
  assert.throws(() => clock.advance(-1), /backwards/);
});

test("ConfigError lists every issue with its key path", () => {
  const error = new ConfigError("a.json", [{ path: "ops.port", message: "expected an integer" }, {
    path: "x",
    message: "unknown key",
  }]);
  assert.is(error.code, "CONFIG_INVALID");
  assert.ok(error instanceof SuperpeerError);
  assert.match(error.message, /ops\.port: expected an integer/);
  assert.match(error.message, /x: unknown key/);
  assert.is(error.name, "ConfigError");
});

test("describeError prefixes superpeer codes and stringifies anything", () => {
  assert.is(
    describeError(new SuperpeerError("DATA_DIR", "Cannot use data directory: /x")),
    "DATA_DIR: Cannot use data directory: /x",
  );
  assert.is(describeError("plain"), "plain");
  assert.is(describeError(new TypeError("bad")), "bad");
});

test.run();

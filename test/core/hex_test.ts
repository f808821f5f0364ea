import { test } from "uvu";
import * as assert from "uvu/assert";
import { bytesToHex } from "../../src/core/hex.ts";
import { prng } from "../../scripts/lib/overlay_fuzz.ts";

test("bytesToHex matches Buffer's hex for every byte value and random lengths", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.is(bytesToHex(all), Buffer.from(all).toString("hex"));
  assert.is(bytesToHex(new Uint8Array(0)), "");
  const random = prng(5);
  for (let n = 0; n < 200; n++) {
    const bytes = Uint8Array.from({ length: n % 40 }, () => Math.floor(random() * 256));
    assert.is(bytesToHex(bytes), Buffer.from(bytes).toString("hex"));
  }
  const view = all.subarray(250, 253);
  assert.is(bytesToHex(view), "fafbfc", "a view: its own bytes only");
});

test.run();

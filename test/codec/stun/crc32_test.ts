import { test } from "uvu";
import * as assert from "uvu/assert";
import { crc32 } from "../../../src/codec/stun/crc32.ts";

const ascii = (s: string) => new TextEncoder().encode(s);

test("crc32() gives the IEEE check value of '123456789'", () => {
  assert.is(crc32(ascii("123456789")), 0xcbf43926);
  assert.is(crc32(ascii("The quick brown fox jumps over the lazy dog")), 0x414fa339);
  assert.is(crc32(new Uint8Array(0)), 0);
});

test("crc32() continues from an earlier value like zlib's crc32(data, value)", () => {
  const whole = ascii("superpeer relays packets");
  for (let split = 0; split <= whole.length; split++) {
    assert.is(crc32(whole.subarray(split), crc32(whole.subarray(0, split))), crc32(whole));
  }
});

test.run();

import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHash } from "node:crypto";
import { formatOverlayId, overlayId, overlayIdForConfig } from "../../src/identity/overlay_id.ts";

test("overlayId is the first 32 bits, big-endian, of SHA-256(name 0x00 fingerprint)", () => {
  // By hand: "mesh" = 6d 65 73 68, then 0x00, then the fingerprint 01 02 03.
  const digest = createHash("sha256").update(
    Buffer.from([0x6d, 0x65, 0x73, 0x68, 0x00, 0x01, 0x02, 0x03]),
  ).digest();
  const expected = ((digest[0]! << 24) | (digest[1]! << 16) | (digest[2]! << 8) | digest[3]!) >>>
    0;
  assert.is(overlayId("mesh", new Uint8Array([1, 2, 3])), expected);
});

test("overlayId of superpeer with an empty fingerprint is 0x0f96e544", () => {
  // `printf 'superpeer\0' | sha256sum` starts 0f96e544.
  assert.is(overlayId("superpeer", new Uint8Array(0)), 0x0f96e544);
  assert.is(formatOverlayId(0x0f96e544), "0x0f96e544");
  assert.is(formatOverlayId(1), "0x00000001");
});

test("overlayId separates name and fingerprint, and refuses empty names and NUL", () => {
  assert.is.not(overlayId("ab", new Uint8Array([0x63])), overlayId("abc", new Uint8Array(0)));
  assert.is.not(overlayId("a", new Uint8Array([1])), overlayId("a", new Uint8Array([2])));
  assert.throws(() => overlayId("", new Uint8Array(0)), RangeError);
  assert.throws(() => overlayId("a\u0000", new Uint8Array(0)), RangeError);
});

test("overlayIdForConfig uses the overlay name and (for now) an empty fingerprint", () => {
  assert.is(overlayIdForConfig({ overlay: { name: "superpeer" } }), 0x0f96e544);
  assert.is(
    overlayIdForConfig({ overlay: { name: "mesh" } }),
    overlayId("mesh", new Uint8Array(0)),
  );
});

test.run();

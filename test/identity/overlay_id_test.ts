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
  assert.throws(() => overlayId("", new Uint8Array(0)), (e: unknown) => e instanceof RangeError);
  assert.throws(
    () => overlayId("a\u0000", new Uint8Array(0)),
    (e: unknown) => e instanceof RangeError,
  );
});

test("overlayIdForConfig hashes the name with a fingerprint of [version, admission, operator key]", () => {
  // Fingerprint input written by hand from RFC 8949: [1, "open", ""] = 83 01 64 6f70656e 60.
  const fingerprint = createHash("sha256").update(Buffer.from("8301646f70656e60", "hex")).digest();
  const expected = createHash("sha256").update(Buffer.from("superpeer\u0000")).update(fingerprint)
    .digest().readUInt32BE(0);
  assert.is(
    overlayIdForConfig({
      overlay: { name: "superpeer", admission: "open", operatorPublicKey: "" },
    }),
    expected,
  );
});

test("overlayIdForConfig separates admission modes and operators, and ignores the key unless operator", () => {
  const id = (admission: string, operatorPublicKey: string) =>
    overlayIdForConfig({ overlay: { name: "mesh", admission, operatorPublicKey } });
  assert.is.not(id("open", ""), id("shared-secret", ""));
  assert.is.not(id("operator", "A".repeat(43)), id("operator", "B".repeat(43)));
  assert.is(id("shared-secret", "A".repeat(43)), id("shared-secret", ""));
});

test.run();

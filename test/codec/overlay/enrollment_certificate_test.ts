import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  ALL_ROLES,
  decodeEnrollmentCertificate,
  encodeCertificateToBeSigned,
  encodeEnrollmentCertificate,
  type EnrollmentCertificate,
  formatRoles,
  isEnrollmentCertificate,
  Role,
} from "../../../src/codec/overlay/enrollment_certificate.ts";
import { MAX_CERTIFICATE_BYTES } from "../../../src/codec/overlay/envelope.ts";
import {
  OverlayDecodeError,
  OverlayEncodeError,
} from "../../../src/codec/overlay/overlay_errors.ts";

const KEY = new Uint8Array(32).fill(0xaa);
const SIGNATURE = new Uint8Array(64).fill(0x55);
const CERT: EnrollmentCertificate = {
  overlayId: 0x0f96e544,
  nodePublicKey: KEY,
  roles: Role.Peer | Role.Proxy,
  notAfter: 1_800_000_000,
  signature: SIGNATURE,
};

// The same certificate written out by hand from the format in enrollment_certificate.ts.
const HAND_ENCODED = Buffer.concat([
  Buffer.from([0x86, 0x01]), // array(6), version 1
  Buffer.from([0x1a, 0x0f, 0x96, 0xe5, 0x44]), // uint32 overlay id
  Buffer.from([0x58, 0x20]), // bstr(32)
  Buffer.from(KEY),
  Buffer.from([0x05]), // roles peer|proxy
  Buffer.from([0x1a, 0x6b, 0x49, 0xd2, 0x00]), // 1800000000
  Buffer.from([0x58, 0x40]), // bstr(64)
  Buffer.from(SIGNATURE),
]);

function placeOf(bytes: Uint8Array): string {
  try {
    decodeEnrollmentCertificate(bytes);
  } catch (error) {
    assert.instance(error, OverlayDecodeError);
    return (error as OverlayDecodeError).place;
  }
  throw new Error("expected an OverlayDecodeError");
}

test("encodeEnrollmentCertificate matches the hand-written encoding and decodes back", () => {
  const bytes = encodeEnrollmentCertificate(CERT);
  assert.is(Buffer.from(bytes).toString("hex"), HAND_ENCODED.toString("hex"));
  assert.is(bytes.length, 113);
  assert.ok(bytes.length <= MAX_CERTIFICATE_BYTES);
  const decoded = decodeEnrollmentCertificate(bytes);
  assert.equal(decoded, CERT);
  assert.is(decoded.nodePublicKey.constructor, Uint8Array);
  assert.ok(isEnrollmentCertificate(bytes));
});

test("encodeCertificateToBeSigned is the array of the first five items", () => {
  const tbs = encodeCertificateToBeSigned(CERT);
  const expected = Buffer.concat([Buffer.from([0x85]), HAND_ENCODED.subarray(1, 113 - 66)]);
  assert.is(Buffer.from(tbs).toString("hex"), expected.toString("hex"));
});

test("encodeEnrollmentCertificate round-trips boundary values", () => {
  for (
    const fields of [
      { overlayId: 0, roles: Role.Peer, notAfter: 0 },
      { overlayId: 0xffff_ffff, roles: ALL_ROLES, notAfter: 0xffff_ffff },
      { overlayId: 23, roles: Role.Relay, notAfter: 24 },
    ]
  ) {
    const cert = { ...CERT, ...fields };
    assert.equal(decodeEnrollmentCertificate(encodeEnrollmentCertificate(cert)), cert);
  }
});

test("encodeEnrollmentCertificate refuses fields out of range", () => {
  for (
    const bad of [
      { overlayId: 2 ** 32 },
      { overlayId: -1 },
      { nodePublicKey: new Uint8Array(31) },
      { roles: 0 },
      { roles: 8 },
      { roles: 1.5 },
      { notAfter: 2 ** 32 },
      { signature: new Uint8Array(63) },
    ]
  ) {
    assert.throws(
      () => encodeEnrollmentCertificate({ ...CERT, ...bad }),
      (e: unknown) => e instanceof OverlayEncodeError,
      JSON.stringify(Object.keys(bad)),
    );
  }
});

test("decodeEnrollmentCertificate names the field at fault", () => {
  const withItem = (index: number, item: number[]): Uint8Array => {
    const items = [
      [0x01],
      [0x1a, 0x0f, 0x96, 0xe5, 0x44],
      [0x58, 0x20, ...KEY],
      [0x05],
      [0x1a, 0x6b, 0x49, 0xd2, 0x00],
      [0x58, 0x40, ...SIGNATURE],
    ];
    items[index] = item;
    return new Uint8Array([0x86, ...items.flat()]);
  };
  assert.is(placeOf(withItem(0, [0x02])), "certificate.version");
  assert.is(placeOf(withItem(1, [0x40])), "certificate.overlayId");
  assert.is(placeOf(withItem(2, [0x58, 0x1f, ...KEY.subarray(1)])), "certificate.nodePublicKey");
  assert.is(placeOf(withItem(3, [0x08])), "certificate.roles");
  assert.is(placeOf(withItem(3, [0x00])), "certificate.roles");
  assert.is(placeOf(withItem(3, [0x60])), "certificate.roles");
  assert.is(placeOf(withItem(4, [0x41, 0x00])), "certificate.notAfter");
  assert.is(placeOf(withItem(5, [0x58, 0x20, ...KEY])), "certificate.signature");
  assert.is(placeOf(new Uint8Array([0x85, 0x01, 0x00, 0x40, 0x01, 0x00])), "certificate");
  assert.is(placeOf(new Uint8Array([0x01])), "certificate");
});

test("decodeEnrollmentCertificate refuses malformed CBOR with the byte offset", () => {
  const truncated = HAND_ENCODED.subarray(0, 100);
  assert.match(placeOf(truncated), /^certificate byte \d+$/);
  // The overlay id 0x05 written in a 4-byte argument: not the shortest form.
  const longForm = Buffer.concat([
    Buffer.from([0x86, 0x01, 0x1a, 0x00, 0x00, 0x00, 0x05]),
    HAND_ENCODED.subarray(7),
  ]);
  assert.is(placeOf(longForm), "certificate byte 2");
  // A nested array is deeper than a certificate can be.
  assert.match(placeOf(new Uint8Array([0x86, 0x81, 0x01, 0, 0, 0, 0])), /^certificate byte \d+$/);
  assert.is(placeOf(new Uint8Array(MAX_CERTIFICATE_BYTES + 1)), "certificate");
  assert.match(placeOf(new Uint8Array(0)), /^certificate byte 0$/);
});

test("decodeEnrollmentCertificate throws only OverlayDecodeError on mutated input (seeded)", () => {
  let seed = 0x5eed;
  const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const valid = encodeEnrollmentCertificate(CERT);
  for (let round = 0; round < 2000; round++) {
    const bytes = valid.slice(0, 1 + Math.floor(random() * valid.length));
    for (let flips = 1 + Math.floor(random() * 3); flips > 0; flips--) {
      bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
    }
    try {
      decodeEnrollmentCertificate(bytes);
    } catch (error) {
      if (!(error instanceof OverlayDecodeError)) throw error;
    }
  }
});

test("formatRoles names the role bits in order", () => {
  assert.is(formatRoles(ALL_ROLES), "peer,relay,proxy");
  assert.is(formatRoles(Role.Proxy | Role.Peer), "peer,proxy");
  assert.is(formatRoles(0), "");
});

test.run();

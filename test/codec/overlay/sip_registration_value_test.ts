import { test } from "uvu";
import * as assert from "uvu/assert";
import { encodeCbor } from "../../../src/codec/cbor/cbor_codec.ts";
import {
  OverlayDecodeError,
  OverlayEncodeError,
} from "../../../src/codec/overlay/overlay_errors.ts";
import {
  decodeSipRegistrationValue,
  encodeSipRegistrationValue,
} from "../../../src/codec/overlay/sip_registration_value.ts";
import { SIP_REGISTRATION } from "../../../src/overlay/storage/kinds.ts";

const isDecodeError = (error: unknown) => error instanceof OverlayDecodeError;

test("encodeSipRegistrationValue() is RFC 7904's URI form [1, uri] and round-trips", () => {
  const value = { uri: "sip:alice@192.0.2.7:5060;transport=udp" };
  const bytes = encodeSipRegistrationValue(value);
  assert.equal(bytes, encodeCbor([1, value.uri]));
  assert.equal(decodeSipRegistrationValue(bytes), value);
  const longest = encodeSipRegistrationValue({ uri: `sips:${"a".repeat(507)}` });
  assert.ok(longest.length <= SIP_REGISTRATION.maxSize, `${longest.length} bytes fit the kind`);
});

test("encodeSipRegistrationValue() refuses what is not a sip:/sips: URI or is too long", () => {
  for (const uri of ["tel:+15551234", "sip:a b@c", `sip:${"a".repeat(600)}`, ""]) {
    assert.throws(
      () => encodeSipRegistrationValue({ uri }),
      (e: unknown) => e instanceof OverlayEncodeError,
      uri,
    );
  }
});

test("decodeSipRegistrationValue() refuses the route form, extra items and a wrong shape", () => {
  assert.throws(() => decodeSipRegistrationValue(encodeCbor([2, "", []])), isDecodeError);
  assert.throws(() => decodeSipRegistrationValue(encodeCbor([1, "sip:a@b", 3])), isDecodeError);
  assert.throws(() => decodeSipRegistrationValue(encodeCbor([1, "http://x"])), isDecodeError);
  assert.throws(() => decodeSipRegistrationValue(encodeCbor([1])), isDecodeError);
  assert.throws(() => decodeSipRegistrationValue(encodeCbor("sip:a@b")), isDecodeError);
});

test.run();

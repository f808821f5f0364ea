// RFC 8489 algorithm negotiation and anonymity attributes, the nonce cookie, and OpaqueString.
// The printed appendix B.1 of RFC 8489 does not agree with itself (its length field and MAC do not
// fit its attribute list); the vector here is the corrected form other implementations test
// against: USERHASH, NONCE, REALM, PASSWORD-ALGORITHM SHA-256, then MESSAGE-INTEGRITY-SHA256 under
// SHA-256("マトリックス:example.org:TheMatrIX"). Our builder reproduces its MAC independently.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Buffer } from "node:buffer";
import { StunAttribute, StunMessageType } from "../../../src/codec/stun/constants.ts";
import { checkMessageIntegritySha256, longTermKey } from "../../../src/codec/stun/integrity.ts";
import { decodeStunMessage } from "../../../src/codec/stun/message.ts";
import { StunMessageBuilder } from "../../../src/codec/stun/message_builder.ts";
import { OpaqueStringError, prepareOpaqueString } from "../../../src/codec/stun/opaque_string.ts";
import {
  decodePasswordAlgorithm,
  decodeUserhash,
  encodePasswordAlgorithm,
  encodeUserhash,
  nonceCookie,
  nonceFeatures,
  passwordAlgorithmsValue,
  SecurityFeature,
  userhash,
} from "../../../src/codec/stun/password_attributes.ts";
import { StunDecodeError } from "../../../src/codec/stun/stun_errors.ts";
import { encodeNonce, encodeRealm } from "../../../src/codec/stun/text_attributes.ts";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const B1_USERNAME = "\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9";
const B1_NONCE = "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA";
const B1_TRANSACTION = Uint8Array.from(Buffer.from("78ad3433c6ad72c029da412e", "hex"));

test("userhash() reproduces the USERHASH of RFC 8489 appendix B.1", () => {
  assert.is(
    hex(userhash(B1_USERNAME, "example.org")),
    "4a3cf38fef6992bda952c6780417da0f24819415569e60b205c46e41407f1704",
  );
});

test("MESSAGE-INTEGRITY-SHA256 of the corrected appendix B.1 request matches", () => {
  const builder = new StunMessageBuilder().begin(StunMessageType.BindingRequest, B1_TRANSACTION);
  encodeUserhash(builder, userhash(B1_USERNAME, "example.org"));
  encodeNonce(builder, B1_NONCE);
  encodeRealm(builder, "example.org");
  encodePasswordAlgorithm(builder, "sha256");
  const key = longTermKey(
    { username: B1_USERNAME, realm: "example.org", password: "TheMatrIX" },
    "sha256",
  );
  const message = decodeStunMessage(builder.finish({ integritySha256Key: key }).slice());
  assert.is(
    hex(message.value(message.integritySha256Index)),
    "b5c7bf005b6c52a21c51c5e892f81924136296cb927c43149309278cc6518e65",
  );
  assert.ok(checkMessageIntegritySha256(message, key));
  assert.is(
    decodePasswordAlgorithm(message, message.indexOf(StunAttribute.PasswordAlgorithm)),
    "sha256",
  );
  assert.is(
    hex(decodeUserhash(message, message.indexOf(StunAttribute.Userhash))).slice(0, 8),
    "4a3cf38f",
  );
});

test("nonceFeatures() reads the cookie bits with bit 0 rightmost (erratum 6290)", () => {
  assert.is(nonceFeatures(B1_NONCE), SecurityFeature.UsernameAnonymity);
  assert.is(nonceCookie(SecurityFeature.PasswordAlgorithms), "obMatJos2AAAB");
  assert.is(
    nonceFeatures(
      nonceCookie(SecurityFeature.PasswordAlgorithms | SecurityFeature.UsernameAnonymity),
    ),
    3,
  );
  assert.is(nonceFeatures("0123456789abcdef"), undefined); // an RFC 5389 server's nonce
  assert.is(nonceFeatures("obMatJos2A"), undefined); // too short
  assert.is(nonceFeatures("obMatJos2AA?B"), undefined); // not base64
});

test("passwordAlgorithmsValue() lists algorithms in order without parameters", () => {
  assert.is(hex(passwordAlgorithmsValue(["sha256", "md5"])), "0002000000010000");
  assert.is(hex(passwordAlgorithmsValue(["md5"])), "00010000");
});

test("decodePasswordAlgorithm() refuses a short value and leaves unknown numbers undefined", () => {
  const build = (value: Uint8Array) => {
    const b = new StunMessageBuilder().begin(StunMessageType.BindingRequest, B1_TRANSACTION);
    b.addBytes(StunAttribute.PasswordAlgorithm, value);
    const message = decodeStunMessage(b.finish().slice());
    return () => decodePasswordAlgorithm(message, 0);
  };
  assert.throws(build(Uint8Array.of(0, 2)), (e: unknown) => e instanceof StunDecodeError);
  assert.throws(build(Uint8Array.of(0, 2, 0, 8)), (e: unknown) => e instanceof StunDecodeError); // parameters past the end
  assert.is(build(Uint8Array.of(0x77, 0x77, 0, 0))(), undefined);
  assert.is(build(Uint8Array.of(0, 1, 0, 0))(), "md5");
});

test("decodeUserhash() refuses a value that is not 32 bytes", () => {
  const b = new StunMessageBuilder().begin(StunMessageType.BindingRequest, B1_TRANSACTION);
  b.addBytes(StunAttribute.Userhash, new Uint8Array(20));
  const message = decodeStunMessage(b.finish().slice());
  assert.throws(() => decodeUserhash(message, 0), (e: unknown) => e instanceof StunDecodeError);
});

test("prepareOpaqueString() maps non-ASCII spaces, normalises to NFC and refuses what is disallowed", () => {
  assert.is(prepareOpaqueString("TheMatrIX"), "TheMatrIX");
  assert.is(prepareOpaqueString("pass\u00a0word\u3000x"), "pass word x");
  assert.is(prepareOpaqueString("e\u0301"), "\u00e9");
  for (const bad of ["", "The\u00adM", "a\u0001", "a\u200bb"]) {
    assert.throws(
      () => prepareOpaqueString(bad),
      (e: unknown) => e instanceof OpaqueStringError,
      JSON.stringify(bad),
    );
  }
});

test.run();

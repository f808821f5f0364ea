import { createHash, createHmac } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { StunAttribute, StunMessageType } from "../../../src/codec/stun/constants.ts";
import {
  checkFingerprint,
  checkMessageIntegrity,
  checkMessageIntegritySha256,
  computeFingerprint,
  computeMessageIntegrity,
  computeMessageIntegritySha256,
  longTermKey,
  shortTermKey,
} from "../../../src/codec/stun/integrity.ts";
import { decodeStunMessage } from "../../../src/codec/stun/message.ts";
import { StunMessageBuilder } from "../../../src/codec/stun/message_builder.ts";
import { encodeLifetime } from "../../../src/codec/stun/turn_attributes.ts";
import {
  RFC5769_PASSWORD,
  RFC5769_TRANSACTION_ID,
  SAMPLE_IPV4_RESPONSE,
  SAMPLE_REQUEST,
  thrown,
  toHex,
} from "./rfc5769_vectors.ts";

const KEY = shortTermKey(RFC5769_PASSWORD);

test("longTermKey() is MD5 or SHA-256 of username:realm:password", () => {
  const credentials = { username: "user", realm: "realm", password: "pass" };
  assert.is(toHex(longTermKey(credentials)), "8493fbc53ba582fb4c044c456bdc40eb");
  assert.is(
    toHex(longTermKey(credentials, "sha256")),
    createHash("sha256").update("user:realm:pass").digest("hex"),
  );
});

test("checkMessageIntegrity() is false without MESSAGE-INTEGRITY", () => {
  const builder = new StunMessageBuilder();
  builder.begin(StunMessageType.BindingRequest, RFC5769_TRANSACTION_ID);
  const message = decodeStunMessage(builder.finish({ fingerprint: true }));
  assert.not.ok(checkMessageIntegrity(message, KEY));
  assert.not.ok(checkMessageIntegritySha256(message, KEY));
  assert.ok(checkFingerprint(message));
});

test("checkMessageIntegrity() runs over raw bytes: a changed padding byte fails it", () => {
  // Padding of USERNAME in RFC 5769 2.1 is 0x20 0x20 0x20 at bytes 73-75; it is covered by MI.
  const bytes = SAMPLE_REQUEST.slice();
  assert.is(bytes[75], 0x20);
  bytes[75] = 0;
  const message = decodeStunMessage(bytes);
  assert.not.ok(checkMessageIntegrity(message, KEY));
  assert.not.ok(checkFingerprint(message));
});

test("checkMessageIntegrity() fails on a changed header byte; FINGERPRINT is not covered by MI", () => {
  const header = SAMPLE_IPV4_RESPONSE.slice();
  header[19]! ^= 0x01; // last transaction id byte
  assert.not.ok(checkMessageIntegrity(decodeStunMessage(header), KEY));
  const fingerprint = SAMPLE_IPV4_RESPONSE.slice();
  fingerprint[fingerprint.length - 1]! ^= 0x01;
  const message = decodeStunMessage(fingerprint);
  assert.ok(checkMessageIntegrity(message, KEY));
  assert.not.ok(checkFingerprint(message));
});

test("checkMessageIntegritySha256() accepts a truncated 16-byte MESSAGE-INTEGRITY-SHA256", () => {
  const key = longTermKey({ username: "u", realm: "r", password: "p" }, "sha256");
  const builder = new StunMessageBuilder();
  builder.begin(StunMessageType.AllocateRequest, RFC5769_TRANSACTION_ID);
  encodeLifetime(builder, 600);
  const mac = computeMessageIntegritySha256(builder.buffer.subarray(0, builder.length), key, {
    length: 16,
  });
  assert.is(mac.length, 16);
  builder.addBytes(StunAttribute.MessageIntegritySha256, mac);
  const message = decodeStunMessage(builder.finish());
  assert.ok(checkMessageIntegritySha256(message, key));
  // By hand: HMAC-SHA256 over header with length 8 + 20 and LIFETIME, first 16 bytes.
  const input = message.bytes.slice(0, 28);
  input[3] = 28;
  assert.is(
    toHex(message.value(1)),
    toHex(createHmac("sha256", key).update(input).digest().subarray(0, 16)),
  );
});

test("computeMessageIntegritySha256() refuses lengths the RFC does not allow", () => {
  const prefix = SAMPLE_REQUEST.subarray(0, 20);
  for (const length of [12, 18, 36]) {
    assert.instance(
      thrown(() => computeMessageIntegritySha256(prefix, KEY, { length })),
      RangeError,
    );
  }
});

test("computeMessageIntegrity() and computeFingerprint() refuse a prefix shorter than a header", () => {
  assert.instance(thrown(() => computeMessageIntegrity(new Uint8Array(8), KEY)), RangeError);
  assert.instance(thrown(() => computeFingerprint(new Uint8Array(19))), RangeError);
});

test("computeFingerprint() of the RFC 5769 2.2 prefix is its FINGERPRINT value", () => {
  const bytes = SAMPLE_IPV4_RESPONSE;
  assert.is(computeFingerprint(bytes.subarray(0, bytes.length - 8)), 0xc07d4c96);
});

test.run();

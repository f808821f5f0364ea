// RFC 5769 sections 2.1-2.4, exactly: decode, check MESSAGE-INTEGRITY with the given password or
// long-term key, check FINGERPRINT, read every attribute, and rebuild each vector byte for byte.
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  DEFAULT_UNDERSTOOD_ATTRIBUTES,
  StunAttribute,
  StunClass,
  StunMessageType,
  StunMethod,
} from "../../../src/codec/stun/constants.ts";
import {
  checkFingerprint,
  checkMessageIntegrity,
  longTermKey,
  shortTermKey,
} from "../../../src/codec/stun/integrity.ts";
import { decodeStunMessage } from "../../../src/codec/stun/message.ts";
import { StunMessageBuilder } from "../../../src/codec/stun/message_builder.ts";
import {
  decodeNonce,
  decodeRealm,
  decodeSoftware,
  decodeUsername,
  encodeNonce,
  encodeRealm,
  encodeSoftware,
  encodeUsername,
} from "../../../src/codec/stun/text_attributes.ts";
import { decodeXorAddress, encodeXorMappedAddress } from "../../../src/codec/stun/xor_address.ts";
import {
  hex,
  LONG_TERM_CREDENTIALS,
  LONG_TERM_NONCE,
  RFC5769_PASSWORD,
  RFC5769_TRANSACTION_ID,
  SAMPLE_IPV4_RESPONSE,
  SAMPLE_IPV6_RESPONSE,
  SAMPLE_LONG_TERM_REQUEST,
  SAMPLE_REQUEST,
  toHex,
} from "./rfc5769_vectors.ts";

const KEY = shortTermKey(RFC5769_PASSWORD);
const ICE = new Set([...DEFAULT_UNDERSTOOD_ATTRIBUTES, StunAttribute.Priority]);

test("decodeStunMessage() reads the RFC 5769 2.1 sample request", () => {
  const message = decodeStunMessage(SAMPLE_REQUEST, { understood: ICE });
  assert.is(message.type, StunMessageType.BindingRequest);
  assert.is(message.method, StunMethod.Binding);
  assert.is(message.messageClass, StunClass.Request);
  assert.is(toHex(message.transactionId), toHex(RFC5769_TRANSACTION_ID));
  assert.is(message.attributeCount, 6);
  assert.equal(
    Array.from({ length: message.attributeCount }, (_, at) => message.attributeType(at)),
    [0x8022, 0x0024, 0x8029, 0x0006, 0x0008, 0x8028],
  );
  assert.is(decodeSoftware(message, message.indexOf(StunAttribute.Software)), "STUN test client");
  assert.is(decodeUsername(message, message.indexOf(StunAttribute.Username)), "evtj:h6vY");
  assert.is(toHex(message.value(message.indexOf(StunAttribute.Priority))), "6e0001ff");
  assert.is(toHex(message.value(message.indexOf(StunAttribute.IceControlled))), "932ff9b151263b36");
  assert.is(message.integrityIndex, 4);
  assert.is(message.fingerprintIndex, 5);
  assert.equal(message.unknownAttributes, []);
});

test("checkMessageIntegrity() and checkFingerprint() accept the RFC 5769 2.1 sample request", () => {
  const message = decodeStunMessage(SAMPLE_REQUEST);
  assert.ok(checkMessageIntegrity(message, KEY));
  assert.ok(checkFingerprint(message));
  assert.not.ok(checkMessageIntegrity(message, shortTermKey("VOkJxbRl1RmTxUk/WvJxBu")));
});

test("decodeStunMessage() lists PRIORITY of the RFC 5769 2.1 request as unknown to a TURN server", () => {
  // PRIORITY (0x0024) is comprehension-required and ICE-only; ICE-CONTROLLED is optional.
  assert.equal(decodeStunMessage(SAMPLE_REQUEST).unknownAttributes, [StunAttribute.Priority]);
});

test("decodeStunMessage() reads the RFC 5769 2.2 sample IPv4 response", () => {
  const message = decodeStunMessage(SAMPLE_IPV4_RESPONSE);
  assert.is(message.type, StunMessageType.BindingSuccess);
  assert.is(message.messageClass, StunClass.SuccessResponse);
  assert.is(decodeSoftware(message, message.indexOf(StunAttribute.Software)), "test vector");
  assert.equal(decodeXorAddress(message, message.indexOf(StunAttribute.XorMappedAddress)), {
    family: 4,
    host: "192.0.2.1",
    port: 32853,
  });
  assert.ok(checkMessageIntegrity(message, KEY));
  assert.ok(checkFingerprint(message));
});

test("decodeStunMessage() reads the RFC 5769 2.3 sample IPv6 response", () => {
  const message = decodeStunMessage(SAMPLE_IPV6_RESPONSE);
  assert.is(message.type, StunMessageType.BindingSuccess);
  assert.is(decodeSoftware(message, message.indexOf(StunAttribute.Software)), "test vector");
  assert.equal(decodeXorAddress(message, message.indexOf(StunAttribute.XorMappedAddress)), {
    family: 6,
    host: "2001:db8:1234:5678:11:2233:4455:6677",
    port: 32853,
  });
  assert.ok(checkMessageIntegrity(message, KEY));
  assert.ok(checkFingerprint(message));
});

test("decodeStunMessage() reads the RFC 5769 2.4 long-term request and its MI checks", () => {
  const message = decodeStunMessage(SAMPLE_LONG_TERM_REQUEST);
  assert.is(message.type, StunMessageType.BindingRequest);
  assert.is(toHex(message.transactionId), "78ad3433c6ad72c029da412e");
  assert.is(
    decodeUsername(message, message.indexOf(StunAttribute.Username)),
    LONG_TERM_CREDENTIALS.username,
  );
  assert.is(decodeNonce(message, message.indexOf(StunAttribute.Nonce)), LONG_TERM_NONCE);
  assert.is(decodeRealm(message, message.indexOf(StunAttribute.Realm)), "example.org");
  assert.is(message.fingerprintIndex, -1);
  assert.not.ok(checkFingerprint(message));
  const key = longTermKey(LONG_TERM_CREDENTIALS);
  assert.is(toHex(key), "e8ca7ad59d5eb0518e312911d2dab2a9");
  assert.ok(checkMessageIntegrity(message, key));
  assert.not.ok(
    checkMessageIntegrity(
      message,
      longTermKey({ ...LONG_TERM_CREDENTIALS, password: "TheMatrix" }),
    ),
  );
});

test("StunMessageBuilder rebuilds the RFC 5769 2.4 request byte for byte (zero padding)", () => {
  const builder = new StunMessageBuilder({ capacity: 256 });
  builder.begin(StunMessageType.BindingRequest, hex("78ad3433c6ad72c029da412e"));
  encodeUsername(builder, LONG_TERM_CREDENTIALS.username);
  encodeNonce(builder, LONG_TERM_NONCE);
  encodeRealm(builder, "example.org");
  const bytes = builder.finish({ integrityKey: longTermKey(LONG_TERM_CREDENTIALS) });
  assert.is(toHex(bytes), toHex(SAMPLE_LONG_TERM_REQUEST));
});

/** The RFC 5769 vectors pad with 0x20; a builder zero-pads, so the tests overwrite the padding. */
function padWithSpaces(builder: StunMessageBuilder, from: number): void {
  builder.buffer.fill(0x20, from, builder.length);
}

test("StunMessageBuilder rebuilds the RFC 5769 2.1 request: MI with FINGERPRINT after it", () => {
  const builder = new StunMessageBuilder();
  builder.begin(StunMessageType.BindingRequest, RFC5769_TRANSACTION_ID);
  encodeSoftware(builder, "STUN test client");
  builder.addBytes(StunAttribute.Priority, hex("6e0001ff"));
  builder.addBytes(StunAttribute.IceControlled, hex("932ff9b151263b36"));
  const at = builder.length + 4;
  encodeUsername(builder, "evtj:h6vY");
  padWithSpaces(builder, at + 9);
  const bytes = builder.finish({ integrityKey: KEY, fingerprint: true });
  assert.is(toHex(bytes), toHex(SAMPLE_REQUEST));
});

test("StunMessageBuilder rebuilds the RFC 5769 2.2 and 2.3 responses byte for byte", () => {
  for (
    const [vector, host, family] of [
      [SAMPLE_IPV4_RESPONSE, "192.0.2.1", 4],
      [SAMPLE_IPV6_RESPONSE, "2001:db8:1234:5678:11:2233:4455:6677", 6],
    ] as const
  ) {
    const builder = new StunMessageBuilder({ buffer: new Uint8Array(128) });
    builder.begin(StunMessageType.BindingSuccess, RFC5769_TRANSACTION_ID);
    const at = builder.length + 4;
    encodeSoftware(builder, "test vector");
    padWithSpaces(builder, at + 11);
    encodeXorMappedAddress(builder, { family, host, port: 32853 });
    const bytes = builder.finish({ integrityKey: KEY, fingerprint: true });
    assert.is(toHex(bytes), toHex(vector));
  }
});

test.run();

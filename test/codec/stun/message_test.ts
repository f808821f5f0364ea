import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  MAX_UNKNOWN_ATTRIBUTES_LISTED,
  StunAttribute,
  StunClass,
  StunMessageType,
  StunMethod,
} from "../../../src/codec/stun/constants.ts";
import {
  attributeName,
  decodeStunHeader,
  decodeStunMessage,
  encodeStunHeader,
  isStunMessage,
  stunClassOf,
  stunMessageType,
  stunMethodOf,
} from "../../../src/codec/stun/message.ts";
import { StunDecodeError, StunEncodeError } from "../../../src/codec/stun/stun_errors.ts";
import {
  hex,
  rawMessage,
  RFC5769_TRANSACTION_ID,
  SAMPLE_IPV4_RESPONSE,
  SAMPLE_REQUEST,
  thrown,
  toHex,
} from "./rfc5769_vectors.ts";

const REQ = StunMessageType.BindingRequest;
const four = hex("00000001");
const mi = new Uint8Array(20);
const fp = new Uint8Array(4);

function decodeError(bytes: Uint8Array): StunDecodeError {
  const error = thrown(() => decodeStunMessage(bytes));
  assert.instance(error, StunDecodeError);
  return error as StunDecodeError;
}

test("stunMessageType() interleaves method and class as RFC 8489 figure 3 and RFC 8656 list", () => {
  assert.is(stunMessageType(StunMethod.Binding, StunClass.Request), 0x0001);
  assert.is(stunMessageType(StunMethod.Binding, StunClass.SuccessResponse), 0x0101);
  assert.is(stunMessageType(StunMethod.Allocate, StunClass.ErrorResponse), 0x0113);
  assert.is(stunMessageType(StunMethod.Send, StunClass.Indication), 0x0016);
  assert.is(stunMessageType(StunMethod.Data, StunClass.Indication), 0x0017);
  assert.is(stunMessageType(StunMethod.ChannelBind, StunClass.SuccessResponse), 0x0109);
  assert.is(stunMessageType(0xfff, StunClass.ErrorResponse), 0x3fff);
});

test("stunMethodOf() and stunClassOf() invert stunMessageType() for every method and class", () => {
  for (let method = 0; method <= 0xfff; method++) {
    for (const cls of [0, 1, 2, 3] as const) {
      const type = stunMessageType(method, cls);
      if (stunMethodOf(type) !== method || stunClassOf(type) !== cls) {
        assert.unreachable(`method ${method} class ${cls} -> 0x${type.toString(16)}`);
      }
    }
  }
  for (const [name, type] of Object.entries(StunMessageType)) {
    assert.is(stunMessageType(stunMethodOf(type), stunClassOf(type)), type, name);
  }
});

test("isStunMessage() sniffs the top bits and the cookie only", () => {
  assert.ok(isStunMessage(SAMPLE_REQUEST));
  assert.ok(isStunMessage(rawMessage(REQ, [])));
  assert.not.ok(isStunMessage(SAMPLE_REQUEST.subarray(0, 19)));
  assert.not.ok(isStunMessage(hex("40000000 2112a442 000000000000000000000000")));
  assert.not.ok(isStunMessage(hex("00010000 2112a443 000000000000000000000000")));
});

test("decodeStunHeader() and encodeStunHeader() round-trip a header", () => {
  const target = new Uint8Array(20);
  encodeStunHeader(target, { type: 0x0113, length: 8, transactionId: RFC5769_TRANSACTION_ID });
  const header = decodeStunHeader(new Uint8Array([...target, 0, 0, 0, 0, 0, 0, 0, 0]));
  assert.is(header.type, 0x0113);
  assert.is(header.length, 8);
  assert.is(toHex(header.transactionId), toHex(RFC5769_TRANSACTION_ID));
});

test("encodeStunHeader() refuses a type over 14 bits, an odd length and a short transaction id", () => {
  const target = new Uint8Array(20);
  const tid = RFC5769_TRANSACTION_ID;
  for (
    const header of [
      { type: 0x4001, length: 0, transactionId: tid },
      { type: 1, length: 6, transactionId: tid },
      { type: 1, length: 0x10000, transactionId: tid },
      { type: 1, length: 0, transactionId: tid.subarray(1) },
    ]
  ) {
    assert.instance(thrown(() => encodeStunHeader(target, header)), StunEncodeError);
  }
  assert.instance(
    thrown(() => encodeStunHeader(new Uint8Array(19), { type: 1, length: 0, transactionId: tid })),
    StunEncodeError,
  );
});

test("decodeStunMessage() rejects fewer than 20 bytes", () => {
  const error = decodeError(SAMPLE_REQUEST.subarray(0, 19));
  assert.is(error.place, "header");
  assert.is(error.code, "STUN_DECODE");
  decodeError(new Uint8Array(0));
});

test("decodeStunMessage() rejects a message whose two top bits are not zero", () => {
  for (const top of [0x40, 0x80, 0xc0]) {
    const bytes = rawMessage(REQ, []);
    bytes[0]! |= top;
    assert.match(decodeError(bytes).message, /two most significant bits/);
  }
});

test("decodeStunMessage() rejects a bad magic cookie", () => {
  const bytes = SAMPLE_REQUEST.slice();
  bytes[7]! ^= 1;
  assert.match(decodeError(bytes).message, /magic cookie 0x2112a443/);
});

test("decodeStunMessage() rejects a length that is not a multiple of 4", () => {
  assert.match(decodeError(rawMessage(REQ, [], { length: 2 })).message, /not a multiple of 4/);
});

test("decodeStunMessage() rejects a declared length past the datagram", () => {
  assert.match(decodeError(SAMPLE_REQUEST.subarray(0, 100)).message, /runs past the 80 bytes/);
  assert.match(decodeError(rawMessage(REQ, [], { length: 4 })).message, /runs past/);
});

test("decodeStunMessage() rejects bytes after the declared length", () => {
  const bytes = new Uint8Array([...rawMessage(REQ, [[StunAttribute.Lifetime, four]]), 0, 0, 0, 0]);
  assert.match(decodeError(bytes).message, /leaves 4 bytes unread/);
});

test("decodeStunMessage() rejects an attribute running past the end", () => {
  const bytes = rawMessage(REQ, [[StunAttribute.Lifetime, four]]);
  bytes[23] = 5; // LIFETIME claims 5 bytes: 8 with padding, only 4 there
  const error = decodeError(bytes);
  assert.is(error.place, "attribute 0 at byte 20");
  assert.match(error.message, /LIFETIME of 5 bytes runs past the message end at byte 28/);
  const long = rawMessage(REQ, [[StunAttribute.Software, hex("41424344")], [0x8099, four]]);
  long[31] = 200;
  assert.match(decodeError(long).message, /attribute 0x8099 of 200 bytes runs past/);
});

test("decodeStunMessage() rejects MESSAGE-INTEGRITY, -SHA256 and FINGERPRINT of the wrong size", () => {
  assert.match(
    decodeError(rawMessage(REQ, [[StunAttribute.MessageIntegrity, new Uint8Array(16)]])).message,
    /MESSAGE-INTEGRITY of 16 bytes, not 20/,
  );
  for (const size of [12, 18, 36]) {
    const bytes = rawMessage(REQ, [[StunAttribute.MessageIntegritySha256, new Uint8Array(size)]]);
    assert.match(decodeError(bytes).message, /MESSAGE-INTEGRITY-SHA256 of/);
  }
  for (const size of [16, 20, 24, 28, 32]) {
    const bytes = rawMessage(REQ, [[StunAttribute.MessageIntegritySha256, new Uint8Array(size)]]);
    assert.is(decodeStunMessage(bytes).integritySha256Index, 0);
  }
  assert.match(
    decodeError(rawMessage(REQ, [[StunAttribute.Fingerprint, new Uint8Array(8)]])).message,
    /FINGERPRINT of 8 bytes, not 4/,
  );
});

test("decodeStunMessage() rejects any attribute after FINGERPRINT", () => {
  const bytes = rawMessage(REQ, [[StunAttribute.Fingerprint, fp], [StunAttribute.Software, four]]);
  const error = decodeError(bytes);
  assert.is(error.place, "attribute 1 at byte 28");
  assert.match(error.message, /SOFTWARE after FINGERPRINT/);
});

test("decodeStunMessage() refuses more attributes than maxAttributes", () => {
  const attributes = Array.from({ length: 5 }, () => [0x8099, four] as const);
  const bytes = rawMessage(REQ, attributes);
  assert.is(decodeStunMessage(bytes, { maxAttributes: 5 }).attributeCount, 5);
  const error = thrown(() => decodeStunMessage(bytes, { maxAttributes: 4 }));
  assert.instance(error, StunDecodeError);
  assert.match((error as Error).message, /more than 4 attributes/);
});

test("decodeStunMessage() accepts an empty message and zero-length attributes", () => {
  const empty = decodeStunMessage(rawMessage(REQ, []));
  assert.is(empty.attributeCount, 0);
  assert.is(empty.integrityIndex, -1);
  const flag = decodeStunMessage(
    rawMessage(REQ, [[StunAttribute.DontFragment, new Uint8Array(0)]]),
  );
  assert.is(flag.valueLength(0), 0);
  assert.is(flag.valueOffset(0), 24);
});

test("decodeStunMessage() ignores attributes after MESSAGE-INTEGRITY except -SHA256 and FINGERPRINT", () => {
  const message = decodeStunMessage(rawMessage(REQ, [
    [StunAttribute.Username, hex("61")],
    [StunAttribute.MessageIntegrity, mi],
    [StunAttribute.Lifetime, four], // ignored
    [0x0077, four], // ignored, so not listed as unknown
    [StunAttribute.MessageIntegrity, mi], // ignored (a second MI)
    [StunAttribute.MessageIntegritySha256, new Uint8Array(32)],
    [StunAttribute.Software, four], // ignored
    [StunAttribute.Fingerprint, fp],
  ]));
  assert.equal(
    Array.from({ length: message.attributeCount }, (_, at) => message.attributeType(at)),
    [0x0006, 0x0008, 0x001c, 0x8028],
  );
  assert.is(message.integrityIndex, 1);
  assert.is(message.integritySha256Index, 2);
  assert.is(message.fingerprintIndex, 3);
  assert.is(message.indexOf(StunAttribute.Lifetime), -1);
  assert.equal(message.unknownAttributes, []);
});

test("decodeStunMessage() ignores everything but FINGERPRINT after MESSAGE-INTEGRITY-SHA256", () => {
  const message = decodeStunMessage(rawMessage(REQ, [
    [StunAttribute.MessageIntegritySha256, new Uint8Array(32)],
    [StunAttribute.MessageIntegrity, mi], // after MI-SHA256: ignored
    [StunAttribute.Lifetime, four],
    [StunAttribute.Fingerprint, fp],
  ]));
  assert.is(message.attributeCount, 2);
  assert.is(message.integrityIndex, -1);
  assert.is(message.integritySha256Index, 0);
  assert.is(message.fingerprintIndex, 1);
});

test("StunMessage.indexOf() finds the first of duplicate attributes", () => {
  const message = decodeStunMessage(rawMessage(REQ, [
    [StunAttribute.Lifetime, hex("00000001")],
    [StunAttribute.Lifetime, hex("00000002")],
  ]));
  assert.is(message.attributeCount, 2);
  assert.is(message.indexOf(StunAttribute.Lifetime), 0);
  assert.is(message.has(StunAttribute.Lifetime), true);
  assert.is(message.has(StunAttribute.Data), false);
});

test("decodeStunMessage() lists unknown comprehension-required types once, in order", () => {
  const message = decodeStunMessage(rawMessage(REQ, [
    [0x7001, four],
    [StunAttribute.Lifetime, four],
    [0x8123, four], // comprehension-optional: ignored
    [0x0002, four], // RFC 3489 RESPONSE-ADDRESS, not understood
    [0x7001, four], // duplicate
    [StunAttribute.Userhash, new Uint8Array(32)], // understood since RFC 8489 USERHASH support
    [0x0003, four], // RFC 3489 CHANGE-REQUEST, not understood
  ]));
  assert.equal(message.unknownAttributes, [0x7001, 0x0002, 0x0003]);
});

test("decodeStunMessage() lists against the caller's understood set (a relay without DF)", () => {
  const bytes = rawMessage(REQ, [[StunAttribute.DontFragment, new Uint8Array(0)]]);
  assert.equal(decodeStunMessage(bytes).unknownAttributes, []);
  assert.equal(
    decodeStunMessage(bytes, { understood: new Set([StunAttribute.Lifetime]) }).unknownAttributes,
    [StunAttribute.DontFragment],
  );
});

test("decodeStunMessage() caps the unknown list at MAX_UNKNOWN_ATTRIBUTES_LISTED", () => {
  const attributes = Array.from({ length: 50 }, (_, i) => [0x7000 + i, four] as const);
  const message = decodeStunMessage(rawMessage(REQ, attributes));
  assert.is(message.unknownAttributes.length, MAX_UNKNOWN_ATTRIBUTES_LISTED);
  assert.is(message.unknownAttributes[0], 0x7000);
});

test("StunMessage values are views into the caller's bytes, not copies", () => {
  const bytes = SAMPLE_IPV4_RESPONSE.slice();
  const message = decodeStunMessage(bytes);
  assert.is(message.bytes, bytes);
  const value = message.value(message.indexOf(StunAttribute.Software));
  assert.is(value.buffer, bytes.buffer);
  assert.is(value.byteOffset, 24);
  assert.is(value.length, 11);
  assert.is(message.transactionId.buffer, bytes.buffer);
});

test("StunMessage accessors throw RangeError for an index out of range", () => {
  const message = decodeStunMessage(SAMPLE_IPV4_RESPONSE);
  assert.instance(thrown(() => message.valueOffset(4)), RangeError);
  assert.instance(thrown(() => message.attributeType(-1)), RangeError);
  assert.instance(thrown(() => message.valueLength(0.5)), RangeError);
});

test("StunMessage.attributePlace() and attributeName() name an attribute for error messages", () => {
  const message = decodeStunMessage(SAMPLE_IPV4_RESPONSE);
  assert.is(message.attributePlace(1), "XOR-MAPPED-ADDRESS at byte 36");
  assert.is(attributeName(0x7f01), "attribute 0x7f01");
});

test.run();

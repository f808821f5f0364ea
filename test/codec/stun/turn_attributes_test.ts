import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  StunAttribute,
  StunErrorCode,
  StunMessageType,
  TRANSPORT_PROTOCOL_TCP,
  TRANSPORT_PROTOCOL_UDP,
} from "../../../src/codec/stun/constants.ts";
import { decodeStunMessage } from "../../../src/codec/stun/message.ts";
import { StunDecodeError, StunEncodeError } from "../../../src/codec/stun/stun_errors.ts";
import {
  decodeAdditionalAddressFamily,
  decodeAddressErrorCode,
  decodeChannelNumber,
  decodeData,
  decodeDontFragment,
  decodeEvenPort,
  decodeLifetime,
  decodeRequestedAddressFamily,
  decodeRequestedTransport,
  decodeReservationToken,
  encodeAdditionalAddressFamily,
  encodeAddressErrorCode,
  encodeChannelNumber,
  encodeData,
  encodeDontFragment,
  encodeEvenPort,
  encodeLifetime,
  encodeRequestedAddressFamily,
  encodeRequestedTransport,
  encodeReservationToken,
  UNSUPPORTED_FAMILY,
} from "../../../src/codec/stun/turn_attributes.ts";
import { built, hex, rawMessage, thrown, toHex } from "./rfc5769_vectors.ts";

const ALLOCATE = StunMessageType.AllocateRequest;
const one = (type: number, value: Uint8Array) =>
  decodeStunMessage(rawMessage(ALLOCATE, [[type, value]]));

function decodeFails(fn: () => unknown, pattern: RegExp): void {
  const error = thrown(fn);
  assert.instance(error, StunDecodeError);
  assert.match((error as Error).message, pattern);
}

test("encodeLifetime() / decodeLifetime() round-trip 32-bit seconds", () => {
  for (const seconds of [0, 600, 3600, 0xffffffff]) {
    const message = built((b) => encodeLifetime(b, seconds));
    assert.is(message.attributeType(0), StunAttribute.Lifetime);
    assert.is(decodeLifetime(message, 0), seconds);
  }
  for (const bad of [-1, 2 ** 32, 1.5]) {
    assert.instance(thrown(() => built((b) => encodeLifetime(b, bad))), StunEncodeError);
  }
  decodeFails(
    () => decodeLifetime(one(StunAttribute.Lifetime, hex("000258")), 0),
    /3 bytes, not 4/,
  );
});

test("encodeChannelNumber() / decodeChannelNumber() round-trip the number and zero the RFFU bits", () => {
  for (const channel of [0x4000, 0x4fff, 0x7fff]) {
    const message = built((b) => encodeChannelNumber(b, channel));
    assert.is(decodeChannelNumber(message, 0), channel);
    assert.is(toHex(message.value(0)).slice(4), "0000");
  }
  assert.is(decodeChannelNumber(one(StunAttribute.ChannelNumber, hex("4001ffff")), 0), 0x4001);
  decodeFails(
    () => decodeChannelNumber(one(StunAttribute.ChannelNumber, hex("4001")), 0),
    /2 bytes/,
  );
  assert.instance(thrown(() => built((b) => encodeChannelNumber(b, 0x10000))), StunEncodeError);
});

test("encodeRequestedTransport() / decodeRequestedTransport() round-trip the protocol number", () => {
  for (const protocol of [TRANSPORT_PROTOCOL_UDP, TRANSPORT_PROTOCOL_TCP, 0, 255]) {
    const message = built((b) => encodeRequestedTransport(b, protocol));
    assert.is(decodeRequestedTransport(message, 0), protocol);
    assert.is(toHex(message.value(0)).slice(2), "000000");
  }
  decodeFails(
    () => decodeRequestedTransport(one(StunAttribute.RequestedTransport, hex("11")), 0),
    /1 bytes, not 4/,
  );
  assert.instance(thrown(() => built((b) => encodeRequestedTransport(b, 256))), StunEncodeError);
});

test("encodeRequestedAddressFamily() / decode...() round-trip; an unknown family is 'unsupported'", () => {
  for (const family of [4, 6] as const) {
    assert.is(
      decodeRequestedAddressFamily(built((b) => encodeRequestedAddressFamily(b, family)), 0),
      family,
    );
    const additional = built((b) => encodeAdditionalAddressFamily(b, family));
    assert.is(additional.attributeType(0), StunAttribute.AdditionalAddressFamily);
    assert.is(decodeAdditionalAddressFamily(additional, 0), family);
  }
  assert.is(toHex(built((b) => encodeRequestedAddressFamily(b, 6)).value(0)), "02000000");
  const unknown = one(StunAttribute.RequestedAddressFamily, hex("03000000"));
  assert.is(decodeRequestedAddressFamily(unknown, 0), UNSUPPORTED_FAMILY);
  decodeFails(
    () => decodeRequestedAddressFamily(one(StunAttribute.RequestedAddressFamily, hex("01")), 0),
    /1 bytes, not 4/,
  );
  assert.instance(
    thrown(() => built((b) => encodeRequestedAddressFamily(b, 5 as unknown as 4))),
    StunEncodeError,
  );
});

test("encodeEvenPort() / decodeEvenPort() round-trip the R bit in one padded byte", () => {
  const reserve = built((b) => encodeEvenPort(b, true));
  assert.is(reserve.valueLength(0), 1);
  assert.is(toHex(reserve.bytes.subarray(20)), "0018000180000000");
  assert.is(decodeEvenPort(reserve, 0), true);
  assert.is(decodeEvenPort(built((b) => encodeEvenPort(b, false)), 0), false);
  assert.is(decodeEvenPort(one(StunAttribute.EvenPort, hex("7f")), 0), false, "RFFU bits ignored");
  decodeFails(() => decodeEvenPort(one(StunAttribute.EvenPort, hex("8000")), 0), /2 bytes, not 1/);
});

test("encodeReservationToken() / decodeReservationToken() round-trip 8 bytes as a view", () => {
  const token = hex("0102030405060708");
  const message = built((b) => encodeReservationToken(b, token));
  const decoded = decodeReservationToken(message, 0);
  assert.is(toHex(decoded), "0102030405060708");
  assert.is(decoded.buffer, message.bytes.buffer);
  decodeFails(
    () => decodeReservationToken(one(StunAttribute.ReservationToken, hex("01020304")), 0),
    /4 bytes, not 8/,
  );
  assert.instance(
    thrown(() => built((b) => encodeReservationToken(b, hex("01")))),
    StunEncodeError,
  );
});

test("encodeDontFragment() / decodeDontFragment() are about presence", () => {
  const message = built((b) => encodeDontFragment(b));
  assert.is(message.valueLength(0), 0);
  assert.is(decodeDontFragment(message), true);
  assert.is(decodeDontFragment(built(() => {})), false);
});

test("encodeAddressErrorCode() / decodeAddressErrorCode() round-trip family, code and reason", () => {
  const message = built(
    (b) => encodeAddressErrorCode(b, { family: 6, code: StunErrorCode.InsufficientCapacity }),
    StunMessageType.AllocateSuccess,
  );
  assert.is(message.attributeType(0), StunAttribute.AddressErrorCode);
  assert.is(toHex(message.value(0)).slice(0, 8), "02000508");
  assert.equal(decodeAddressErrorCode(message, 0), {
    family: 6,
    code: 508,
    reason: "Insufficient Capacity",
  });
  const v4 = built((b) => encodeAddressErrorCode(b, { family: 4, code: 440, reason: "no" }));
  assert.equal(decodeAddressErrorCode(v4, 0), { family: 4, code: 440, reason: "no" });
  decodeFails(
    () => decodeAddressErrorCode(one(StunAttribute.AddressErrorCode, hex("03000508")), 0),
    /address family 0x3/,
  );
  decodeFails(
    () => decodeAddressErrorCode(one(StunAttribute.AddressErrorCode, hex("02000208")), 0),
    /error class 2/,
  );
  assert.instance(
    thrown(() => built((b) => encodeAddressErrorCode(b, { family: 5 as unknown as 4, code: 440 }))),
    StunEncodeError,
  );
});

test("encodeData() / decodeData() round-trip payloads of any length as views, empty included", () => {
  for (const length of [0, 1, 3, 4, 5, 1200]) {
    const payload = Uint8Array.from({ length }, (_, i) => (i * 7) & 0xff);
    const message = built((b) => encodeData(b, payload), StunMessageType.SendIndication);
    const data = decodeData(message, message.indexOf(StunAttribute.Data));
    assert.equal(Array.from(data), Array.from(payload));
    assert.is(data.buffer, message.bytes.buffer);
  }
});

test.run();

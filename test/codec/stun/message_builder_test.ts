import { createHmac } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  StunAttribute,
  StunClass,
  StunMessageType,
  StunMethod,
} from "../../../src/codec/stun/constants.ts";
import {
  checkFingerprint,
  checkMessageIntegrity,
  checkMessageIntegritySha256,
  longTermKey,
} from "../../../src/codec/stun/integrity.ts";
import { decodeStunMessage } from "../../../src/codec/stun/message.ts";
import { StunMessageBuilder } from "../../../src/codec/stun/message_builder.ts";
import { StunEncodeError } from "../../../src/codec/stun/stun_errors.ts";
import { decodeLifetime, encodeLifetime } from "../../../src/codec/stun/turn_attributes.ts";
import { decodeSoftware, encodeSoftware } from "../../../src/codec/stun/text_attributes.ts";
import { RFC5769_TRANSACTION_ID, SAMPLE_REQUEST, thrown, toHex } from "./rfc5769_vectors.ts";

const TID = RFC5769_TRANSACTION_ID;
const CREDENTIALS = { username: "user", realm: "realm", password: "pass" };

test("StunMessageBuilder.finish() writes a bare header with length 0", () => {
  const builder = new StunMessageBuilder({ capacity: 64 });
  const bytes = builder.begin(StunMessageType.BindingRequest, TID).finish();
  assert.is(toHex(bytes), `000100002112a442${toHex(TID)}`);
});

test("StunMessageBuilder.beginResponse() keeps the request's method and transaction id", () => {
  const request = decodeStunMessage(SAMPLE_REQUEST);
  const builder = new StunMessageBuilder();
  const bytes = builder.beginResponse(request, StunClass.ErrorResponse).finish();
  const response = decodeStunMessage(bytes);
  assert.is(response.type, 0x0111);
  assert.is(response.method, StunMethod.Binding);
  assert.is(toHex(response.transactionId), toHex(request.transactionId));
});

test("StunMessageBuilder zeroes the padding even over a dirty reused buffer", () => {
  const buffer = new Uint8Array(64).fill(0xee);
  const builder = new StunMessageBuilder({ buffer });
  builder.begin(StunMessageType.AllocateSuccess, TID);
  encodeSoftware(builder, "abcde"); // 5 bytes + 3 padding
  const bytes = builder.finish();
  assert.is(bytes.length, 32);
  assert.is(toHex(bytes.subarray(20)), "802200056162636465000000");
  assert.is(bytes.buffer, buffer.buffer, "the message is a view of the caller's buffer");
});

test("StunMessageBuilder reuses its buffer: the next message replaces the last", () => {
  const builder = new StunMessageBuilder({ capacity: 128 });
  builder.begin(StunMessageType.RefreshRequest, TID);
  encodeLifetime(builder, 600);
  encodeSoftware(builder, "first");
  const first = builder.finish().slice();
  builder.begin(StunMessageType.RefreshSuccess, TID);
  encodeLifetime(builder, 0);
  const second = decodeStunMessage(builder.finish());
  assert.is(second.attributeCount, 1);
  assert.is(decodeLifetime(second, 0), 0);
  const kept = decodeStunMessage(first);
  assert.is(decodeSoftware(kept, kept.indexOf(StunAttribute.Software)), "first");
});

test("StunMessageBuilder.finish() computes MI over a length that ends at MI, then FINGERPRINT", () => {
  const key = longTermKey(CREDENTIALS);
  const builder = new StunMessageBuilder();
  builder.begin(StunMessageType.AllocateSuccess, TID);
  encodeLifetime(builder, 600);
  const bytes = builder.finish({ integrityKey: key, fingerprint: true });
  // 20 header + 8 LIFETIME + 24 MI + 8 FINGERPRINT
  assert.is(bytes.length, 60);
  assert.is((bytes[2]! << 8) | bytes[3]!, 40);
  // RFC 8489 section 14.5 by hand: HMAC over header (length = 8 + 24 = 32) and LIFETIME
  const input = bytes.slice(0, 28);
  input[3] = 32;
  const mac = createHmac("sha1", key).update(input).digest();
  assert.is(toHex(bytes.subarray(32, 52)), toHex(mac));
  const message = decodeStunMessage(bytes);
  assert.ok(checkMessageIntegrity(message, key));
  assert.ok(checkFingerprint(message));
});

test("StunMessageBuilder.finish() writes MI, MI-SHA256 and FINGERPRINT in that order, all valid", () => {
  const key = longTermKey(CREDENTIALS);
  const key256 = longTermKey(CREDENTIALS, "sha256");
  const builder = new StunMessageBuilder();
  builder.begin(StunMessageType.RefreshSuccess, TID);
  encodeLifetime(builder, 300);
  const message = decodeStunMessage(
    builder.finish({ integrityKey: key, integritySha256Key: key256, fingerprint: true }),
  );
  assert.equal(
    Array.from({ length: message.attributeCount }, (_, at) => message.attributeType(at)),
    [StunAttribute.Lifetime, 0x0008, 0x001c, 0x8028],
  );
  assert.is(message.valueLength(2), 32);
  assert.ok(checkMessageIntegrity(message, key));
  assert.ok(checkMessageIntegritySha256(message, key256));
  assert.not.ok(checkMessageIntegritySha256(message, key));
  assert.ok(checkFingerprint(message));
});

test("StunMessageBuilder refuses a message larger than the caller's buffer, and stays usable", () => {
  const builder = new StunMessageBuilder({ buffer: new Uint8Array(40) });
  builder.begin(StunMessageType.DataIndication, TID);
  const error = thrown(() => builder.addBytes(StunAttribute.Data, new Uint8Array(17)));
  assert.instance(error, StunEncodeError);
  assert.match((error as Error).message, /does not fit the 40-byte buffer/);
  assert.is(builder.length, 20);
  builder.addBytes(StunAttribute.Data, new Uint8Array(16));
  assert.is(builder.finish().length, 40);
  builder.begin(StunMessageType.DataIndication, TID);
  builder.addBytes(StunAttribute.Data, new Uint8Array(16));
  assert.instance(thrown(() => builder.finish({ fingerprint: true })), StunEncodeError);
});

test("StunMessageBuilder refuses misuse: no begin(), a bad id, a bad type, a value over 64 KiB", () => {
  const builder = new StunMessageBuilder();
  assert.instance(thrown(() => builder.reserve(StunAttribute.Data, 0)), StunEncodeError);
  assert.instance(thrown(() => builder.finish()), StunEncodeError);
  assert.instance(thrown(() => builder.begin(1, new Uint8Array(11))), StunEncodeError);
  assert.instance(thrown(() => builder.begin(0x4000, TID)), StunEncodeError);
  builder.begin(1, TID);
  assert.instance(thrown(() => builder.reserve(0x10000, 0)), StunEncodeError);
  assert.instance(thrown(() => builder.reserve(StunAttribute.Data, 0x10000)), StunEncodeError);
  builder.finish();
  assert.instance(thrown(() => builder.reserve(StunAttribute.Data, 0)), StunEncodeError);
  assert.instance(thrown(() => new StunMessageBuilder({ capacity: 10 })), RangeError);
  assert.instance(thrown(() => new StunMessageBuilder({ buffer: new Uint8Array(19) })), RangeError);
});

test("StunMessageBuilder writes a 64 KiB DATA value in place through reserve()", () => {
  const builder = new StunMessageBuilder();
  builder.begin(StunMessageType.SendIndication, TID);
  const offset = builder.reserve(StunAttribute.Data, 0xfff0);
  builder.buffer.fill(7, offset, offset + 0xfff0);
  const message = decodeStunMessage(builder.finish({ fingerprint: true }));
  assert.is(message.valueLength(0), 0xfff0);
  assert.ok(checkFingerprint(message));
});

test.run();

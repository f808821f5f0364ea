import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  MAX_TEXT_DECODE_BYTES,
  MAX_USERNAME_ENCODE_BYTES,
  StunAttribute,
} from "../../../src/codec/stun/constants.ts";
import { decodeStunMessage } from "../../../src/codec/stun/message.ts";
import type { StunMessage } from "../../../src/codec/stun/message.ts";
import type { StunMessageBuilder } from "../../../src/codec/stun/message_builder.ts";
import { StunDecodeError, StunEncodeError } from "../../../src/codec/stun/stun_errors.ts";
import {
  decodeNonce,
  decodeRealm,
  decodeSoftware,
  decodeUsername,
  encodeNonce,
  encodeRealm,
  encodeSoftware,
  encodeUsername,
  utf8ByteLength,
} from "../../../src/codec/stun/text_attributes.ts";
import { built, rawMessage, thrown } from "./rfc5769_vectors.ts";

type Pair = [
  string,
  number,
  (b: StunMessageBuilder, s: string) => void,
  (m: StunMessage, at: number) => string,
];
const PAIRS: Pair[] = [
  ["USERNAME", StunAttribute.Username, encodeUsername, decodeUsername],
  ["REALM", StunAttribute.Realm, encodeRealm, decodeRealm],
  ["NONCE", StunAttribute.Nonce, encodeNonce, decodeNonce],
  ["SOFTWARE", StunAttribute.Software, encodeSoftware, decodeSoftware],
];
const SAMPLES = [
  "",
  "a",
  "abcd",
  "alice:1700000000",
  "\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9",
  "\u00e9t\u00e9 \u{1F600}",
  "obMatJos2AAAAf//499k954d6OL34oL9FSTvy64sA",
];

test("encodeUsername(), encodeRealm(), encodeNonce(), encodeSoftware() round-trip UTF-8 text", () => {
  for (const [name, type, encode, decode] of PAIRS) {
    for (const text of SAMPLES) {
      const message = built((b) => encode(b, text));
      assert.is(message.attributeType(0), type, name);
      assert.is(message.valueLength(0), new TextEncoder().encode(text).length);
      assert.is(decode(message, 0), text, `${name} ${text}`);
    }
  }
});

test("utf8ByteLength() agrees with TextEncoder, lone surrogates included", () => {
  for (
    const text of [...SAMPLES, "\ud800", "a\udc00b", "\ud83d\ude00\ud83d", "\u07ff\u0800\uffff"]
  ) {
    assert.is(utf8ByteLength(text), new TextEncoder().encode(text).length, JSON.stringify(text));
    const message = built((b) => encodeSoftware(b, text));
    assert.equal(Array.from(message.value(0)), Array.from(new TextEncoder().encode(text)));
  }
});

test("encodeUsername() accepts 508 bytes and refuses 509 (RFC 8489 section 14.3)", () => {
  const max = "a".repeat(MAX_USERNAME_ENCODE_BYTES);
  assert.is(decodeUsername(built((b) => encodeUsername(b, max)), 0), max);
  const error = thrown(() => built((b) => encodeUsername(b, max + "a")));
  assert.instance(error, StunEncodeError);
  assert.match((error as Error).message, /USERNAME of 509 bytes exceeds 508/);
});

test("encodeRealm(), encodeNonce(), encodeSoftware() accept 127 characters and refuse 128", () => {
  for (const [name, , encode, decode] of PAIRS.slice(1)) {
    for (const char of ["a", "\u00e9", "\u30DE", "\u{1F600}"]) {
      const max = char.repeat(127);
      assert.is(decode(built((b) => encode(b, max)), 0), max);
      const error = thrown(() => built((b) => encode(b, max + char)));
      assert.instance(error, StunEncodeError, `${name} ${char}`);
      assert.match((error as Error).message, new RegExp(name));
    }
  }
});

test("decodeUsername() and the others accept 763 bytes and refuse 764", () => {
  for (const [name, type, , decode] of PAIRS) {
    const ok = decodeStunMessage(
      rawMessage(1, [[type, new Uint8Array(MAX_TEXT_DECODE_BYTES).fill(0x61)]]),
    );
    assert.is(decode(ok, 0).length, 763);
    const long = decodeStunMessage(rawMessage(1, [[type, new Uint8Array(764).fill(0x61)]]));
    const error = thrown(() => decode(long, 0));
    assert.instance(error, StunDecodeError, name);
    assert.match((error as Error).message, /764 bytes exceeds 763/);
  }
});

test("decodeUsername() rejects invalid UTF-8 with the attribute's place", () => {
  for (const bytes of [[0xff], [0xc3], [0xe3, 0x83], [0xed, 0xa0, 0x80], [0xc0, 0x80]]) {
    const message = decodeStunMessage(
      rawMessage(1, [[StunAttribute.Username, new Uint8Array(bytes)]]),
    );
    const error = thrown(() => decodeUsername(message, 0));
    assert.instance(error, StunDecodeError);
    assert.is((error as StunDecodeError).place, "USERNAME at byte 20");
  }
});

test.run();

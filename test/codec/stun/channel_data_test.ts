import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  channelDataFrameLength,
  type ChannelDataHeader,
  decodeChannelDataHeader,
  encodeChannelDataHeader,
  isChannelData,
  isValidChannelNumber,
} from "../../../src/codec/stun/channel_data.ts";
import { isStunMessage } from "../../../src/codec/stun/message.ts";
import { StunDecodeError, StunEncodeError } from "../../../src/codec/stun/stun_errors.ts";
import { hex, SAMPLE_REQUEST, thrown, toHex } from "./rfc5769_vectors.ts";

const header = (): ChannelDataHeader => ({ channel: 0, length: 0 });

function decodeFails(bytes: Uint8Array, pattern: RegExp, rfc5766 = false): void {
  const error = thrown(() =>
    decodeChannelDataHeader(bytes, header(), { allowRfc5766Range: rfc5766 })
  );
  assert.instance(error, StunDecodeError);
  assert.is((error as StunDecodeError).place, "channel data header");
  assert.match((error as Error).message, pattern);
}

test("isChannelData() sniffs first bits 01 and tells ChannelData from STUN", () => {
  assert.ok(isChannelData(hex("40000000")));
  assert.ok(isChannelData(hex("7fff0000")));
  assert.not.ok(isChannelData(hex("80000000")));
  assert.not.ok(isChannelData(hex("3fff0000")));
  assert.not.ok(isChannelData(hex("400000")));
  assert.not.ok(isChannelData(SAMPLE_REQUEST));
  assert.not.ok(isStunMessage(hex("4000000c2112a442000000000000000000000000")));
});

test("isValidChannelNumber() allows 0x4000-0x4FFF, or up to 0x7FFF with the RFC 5766 option", () => {
  assert.ok(isValidChannelNumber(0x4000));
  assert.ok(isValidChannelNumber(0x4fff));
  assert.not.ok(isValidChannelNumber(0x5000));
  assert.not.ok(isValidChannelNumber(0x3fff));
  assert.ok(isValidChannelNumber(0x7fff, { allowRfc5766Range: true }));
  assert.not.ok(isValidChannelNumber(0x8000, { allowRfc5766Range: true }));
  assert.not.ok(isValidChannelNumber(0x4000 + 0.5));
});

test("decodeChannelDataHeader() reads an unpadded UDP datagram", () => {
  const out = header();
  const result = decodeChannelDataHeader(hex("40010005 0102030405"), out);
  assert.is(result, out, "fills the caller's object");
  assert.equal(out, { channel: 0x4001, length: 5 });
});

test("decodeChannelDataHeader() accepts UDP padding up to a multiple of 4 and ignores it", () => {
  for (const padding of ["", "00", "0000", "000000"]) {
    const out = decodeChannelDataHeader(hex(`40010001 aa${padding}`), header());
    assert.equal(out, { channel: 0x4001, length: 1 });
  }
  assert.equal(decodeChannelDataHeader(hex("4fff0000"), header()), { channel: 0x4fff, length: 0 });
  decodeFails(hex("40010001 aa00000000"), /4 bytes after a 1-byte payload, more than its padding/);
  decodeFails(hex("40010000 00000000"), /4 bytes after a 0-byte payload/);
});

test("decodeChannelDataHeader() rejects a datagram shorter than 4 + length", () => {
  decodeFails(hex("40010005 01020304"), /payload of 5 bytes runs past the 4 bytes/);
  decodeFails(hex("4001ffff"), /payload of 65535 bytes runs past the 0 bytes/);
  decodeFails(hex("400100"), /3 bytes, a header needs 4/);
});

test("decodeChannelDataHeader() rejects reserved channels unless the RFC 5766 range is allowed", () => {
  decodeFails(hex("50000000"), /channel number 0x5000/);
  decodeFails(hex("7fff0000"), /channel number 0x7fff/);
  assert.equal(
    decodeChannelDataHeader(hex("7fff0000"), header(), { allowRfc5766Range: true }),
    { channel: 0x7fff, length: 0 },
  );
  decodeFails(hex("80000000"), /channel number 0x8000/, true);
  decodeFails(hex("00010000"), /channel number 0x1/, true);
});

test("encodeChannelDataHeader() writes four bytes at an offset, nothing else", () => {
  const target = new Uint8Array(12).fill(0xee);
  encodeChannelDataHeader(target, { channel: 0x4abc, length: 3 }, { offset: 2 });
  assert.is(toHex(target), "eeee4abc0003eeeeeeeeeeee");
});

test("encodeChannelDataHeader() zeroes the stream padding when asked", () => {
  const target = new Uint8Array(12).fill(0xee);
  encodeChannelDataHeader(target, { channel: 0x4000, length: 5 }, { zeroPadding: true });
  assert.is(toHex(target), "40000005eeeeeeeeee000000");
  const exact = new Uint8Array(8).fill(0xee);
  encodeChannelDataHeader(exact, { channel: 0x4000, length: 4 }, { zeroPadding: true });
  assert.is(toHex(exact), "40000004eeeeeeee");
});

test("encodeChannelDataHeader() refuses a bad channel, a bad length and a short target", () => {
  const target = new Uint8Array(16);
  const bad: Array<[ChannelDataHeader, Parameters<typeof encodeChannelDataHeader>[2]]> = [
    [{ channel: 0x5000, length: 0 }, {}],
    [{ channel: 0x8000, length: 0 }, { allowRfc5766Range: true }],
    [{ channel: 0x4000, length: 0x10000 }, {}],
    [{ channel: 0x4000, length: -1 }, {}],
    [{ channel: 0x4000, length: 0 }, { offset: 13 }],
    [{ channel: 0x4000, length: 13 }, { zeroPadding: true }],
  ];
  for (const [h, options] of bad) {
    assert.instance(thrown(() => encodeChannelDataHeader(target, h, options)), StunEncodeError);
  }
  encodeChannelDataHeader(target, { channel: 0x7000, length: 0 }, { allowRfc5766Range: true });
  assert.is(toHex(target.subarray(0, 4)), "70000000");
});

test("channelDataFrameLength() pads to 4 in full precision", () => {
  assert.equal([0, 1, 2, 3, 4, 5].map(channelDataFrameLength), [4, 8, 8, 8, 8, 12]);
  assert.is(channelDataFrameLength(65535), 65540);
});

test.run();

// Shared by the message body tests: hex helpers, round trips through the registry, and catching
// the typed errors so tests can assert on their place.
import * as assert from "uvu/assert";
import { type CborValue, encodeCbor } from "../../../../src/codec/cbor/cbor_codec.ts";
import {
  decodeMessageBody,
  encodeMessageBody,
  type MessageBody,
} from "../../../../src/codec/overlay/message_body.ts";
import {
  OverlayDecodeError,
  OverlayEncodeError,
} from "../../../../src/codec/overlay/overlay_errors.ts";

export const hex = (s: string) =>
  new Uint8Array(s.replace(/\s+/g, "").match(/../g)!.map((b) => parseInt(b, 16)));
export const toHex = (b: Uint8Array) =>
  Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
/** A 16-byte id filled with one byte. */
export const id = (fill: number, length = 16) => new Uint8Array(length).fill(fill);
export const ipv4 = (a: number, b: number, c: number, d: number) => new Uint8Array([a, b, c, d]);

/** Encodes, decodes and checks that the body comes back equal; returns the bytes. */
export function roundTrip(body: MessageBody): Uint8Array {
  const bytes = encodeMessageBody(body);
  assert.equal(decodeMessageBody(bytes), body);
  return bytes;
}

/** Checks the encoding of `body` against hand-written hex, and that the hex decodes to `body`. */
export function assertWire(body: MessageBody, expectedHex: string): void {
  const expected = expectedHex.replace(/\s+/g, "");
  assert.is(toHex(encodeMessageBody(body)), expected);
  assert.equal(decodeMessageBody(hex(expected)), body);
}

/** Decodes `[code, ...]` built as a CBOR value and returns the OverlayDecodeError it must raise. */
export function decodeError(value: CborValue): OverlayDecodeError {
  try {
    decodeMessageBody(encodeCbor(value));
  } catch (error) {
    if (error instanceof OverlayDecodeError) return error;
    throw error;
  }
  throw new Error("expected an OverlayDecodeError");
}

/** Asserts that decoding `value` fails at exactly `place`. */
export function assertDecodeFails(value: CborValue, place: string): void {
  assert.is(decodeError(value).place, place);
}

/** Asserts that encoding `body` (deliberately invalid, hence unknown) fails naming `place`. */
export function assertEncodeFails(body: unknown, place: string): void {
  try {
    encodeMessageBody(body as MessageBody);
  } catch (error) {
    if (!(error instanceof OverlayEncodeError)) throw error;
    assert.ok(error.message.includes(`${place}:`), `expected place ${place} in: ${error.message}`);
    return;
  }
  throw new Error(`expected an OverlayEncodeError at ${place}`);
}

/** `n` copies of `item`. */
export const times = <T>(n: number, item: T): T[] => Array.from({ length: n }, () => item);

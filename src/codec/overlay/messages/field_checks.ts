// Encode-side twins of ../shape.ts, plus the few decode checks shape.ts lacks (ids, text with a
// minimum). Each encode check refuses one field of an outgoing message with an OverlayEncodeError
// naming the place ("StoreReq.kindData[0].kind"), before any byte is written: a message we
// could not decode ourselves must never leave this node.
import type { CborValue } from "../../cbor/cbor_codec.ts";
import { NODE_ID_BYTES } from "../constants.ts";
import { type Destination, encodeDestination } from "../destination.ts";
import { OverlayDecodeError, OverlayEncodeError } from "../overlay_errors.ts";
import { asBytes, asText } from "../shape.ts";
import { encodeTransportAddress, type TransportAddress } from "../transport_address.ts";

const utf8 = new TextEncoder();

/** An unsigned integer of at most `max` (uint32 unless told). */
export function checkUint(value: number, place: string, max = 0xffff_ffff): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > max) {
    throw new OverlayEncodeError(
      `${place}: ${String(value)} is not an unsigned integer up to ${max}`,
    );
  }
  return value;
}

/** A byte string of `min` to `max` bytes. */
export function checkBytes(bytes: Uint8Array, place: string, min: number, max: number): Uint8Array {
  if (!(bytes instanceof Uint8Array)) {
    throw new OverlayEncodeError(`${place}: expected a byte string`);
  }
  if (bytes.length < min || bytes.length > max) {
    throw new OverlayEncodeError(
      `${place}: ${bytes.length} bytes (expected ${min === max ? min : `${min} to ${max}`})`,
    );
  }
  return bytes;
}

/** A well-formed text string of `min` to `max` UTF-8 bytes. */
export function checkText(text: string, place: string, min: number, max: number): string {
  if (typeof text !== "string") throw new OverlayEncodeError(`${place}: expected a text string`);
  // A lone surrogate has no UTF-8 form: the receiver's UTF-8 check would refuse the message.
  if (!text.isWellFormed()) throw new OverlayEncodeError(`${place}: text has a lone surrogate`);
  const length = utf8.encode(text).length;
  if (length < min || length > max) {
    throw new OverlayEncodeError(`${place}: text of ${length} bytes (expected ${min} to ${max})`);
  }
  return text;
}

export function checkBool(value: boolean, place: string): boolean {
  if (typeof value !== "boolean") throw new OverlayEncodeError(`${place}: expected true or false`);
  return value;
}

/** One of the listed codes. */
export function checkCode<T extends number>(value: T, place: string, codes: readonly T[]): T {
  if (!codes.includes(value)) {
    throw new OverlayEncodeError(
      `${place}: unknown code ${String(value)} (expected ${codes.join(", ")})`,
    );
  }
  return value;
}

/** Encodes each item of a list of at most `max` items with `item`. */
export function encodeList<T>(
  list: readonly T[],
  place: string,
  max: number,
  item: (value: T, place: string) => CborValue,
): CborValue[] {
  if (!Array.isArray(list)) throw new OverlayEncodeError(`${place}: expected a list`);
  if (list.length > max) {
    throw new OverlayEncodeError(`${place}: ${list.length} items (at most ${max})`);
  }
  return list.map((value, i) => item(value, `${place}[${i}]`));
}

/** A 16-byte node id or resource id. */
export function checkId(id: Uint8Array, place: string): Uint8Array {
  return checkBytes(id, place, NODE_ID_BYTES, NODE_ID_BYTES);
}

/** A transport address, checked here so that a fault names its place. */
export function encodeAddressAt(address: TransportAddress, place: string): CborValue {
  if (address === null || typeof address !== "object") {
    throw new OverlayEncodeError(`${place}: expected an address`);
  }
  const ip = checkBytes(address.ip, `${place}.ip`, 4, 16);
  if (ip.length !== 4 && ip.length !== 16) {
    throw new OverlayEncodeError(`${place}.ip: ${ip.length} bytes (expected 4 or 16)`);
  }
  checkUint(address.port, `${place}.port`, 0xffff);
  return encodeTransportAddress(address);
}

/** A destination, checked here so that a fault names its place. */
export function encodeDestinationAt(destination: Destination, place: string): CborValue {
  if (destination === null || typeof destination !== "object") {
    throw new OverlayEncodeError(`${place}: expected a destination`);
  }
  switch (destination.type) {
    case "node":
    case "resource":
      checkId(destination.id, `${place}.id`);
      break;
    case "opaque":
      checkUint(destination.id, `${place}.id`, 0xffff);
      break;
    default:
      throw new OverlayEncodeError(`${place}: unknown destination type`);
  }
  return encodeDestination(destination);
}

/** Decodes a 16-byte node id or resource id. */
export function asId(value: CborValue | undefined, place: string): Uint8Array {
  return asBytes(value, place, NODE_ID_BYTES, NODE_ID_BYTES);
}

/** Decodes a text string of `min` to `max` UTF-8 bytes. */
export function asTextBetween(
  value: CborValue | undefined,
  place: string,
  min: number,
  max: number,
): string {
  const text = asText(value, place, max);
  // UTF-8 takes at least one byte per UTF-16 unit: measure only when it could be short.
  if (text.length < min && utf8.encode(text).length < min) {
    throw new OverlayDecodeError(place, `text shorter than ${min} bytes`);
  }
  return text;
}

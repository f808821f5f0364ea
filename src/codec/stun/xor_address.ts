/**
 * Address attributes: XOR-MAPPED-ADDRESS (RFC 8489 section 14.2), XOR-PEER-ADDRESS and
 * XOR-RELAYED-ADDRESS (RFC 8656 sections 18.3 and 18.5, same encoding), and the plain
 * MAPPED-ADDRESS of RFC 3489 clients (RFC 8489 section 14.1).
 *
 * Value: a reserved byte, the family (0x01 IPv4, 0x02 IPv6), the port, then 4 or 16 address bytes.
 * The XOR forms XOR the port with the top 16 bits of the magic cookie and the address with the
 * cookie (IPv4) or the cookie and transaction id (IPv6).
 *
 * Addresses are text, as node:dgram takes and gives them: dotted quads, RFC 5952 IPv6
 * ("2001:db8::1", "::ffff:192.0.2.1" for IPv4-mapped). Encoding parses the text without allocating
 * and writes straight into the builder's buffer; a zone ("fe80::1%eth0") is dropped, since it has no
 * meaning on the wire. Decoding builds the one string.
 *
 * @module
 */
import {
  type AddressFamily,
  StunAttribute,
  WIRE_FAMILY_IPV4,
  WIRE_FAMILY_IPV6,
} from "./constants.ts";
import { formatIpv4Bytes, formatIpv6Bytes } from "../../core/ip_address.ts";
import type { StunMessage } from "./message.ts";
import type { StunMessageBuilder } from "./message_builder.ts";
import { StunDecodeError, StunEncodeError } from "./stun_errors.ts";

/** A transport address as node:dgram has it: `socket.send(data, port, host)`. */
export interface StunAddress {
  readonly family: AddressFamily;
  readonly host: string;
  readonly port: number;
}

/** RFC 8489 section 14.2: the port is XORed with the most significant 16 bits of the cookie. */
const PORT_XOR = 0x2112;
const IPV4_VALUE_BYTES = 8;
const IPV6_VALUE_BYTES = 20;
const scratch = new Uint8Array(16);
const quad = new Uint8Array(4);
const groups = new Uint16Array(8);

/**
 * Appends XOR-MAPPED-ADDRESS (RFC 8489 section 14.2): the client's reflexive address.
 *
 * @example
 * ```ts
 * encodeXorMappedAddress(builder, { family: 4, host: rinfo.address, port: rinfo.port });
 * ```
 */
export function encodeXorMappedAddress(builder: StunMessageBuilder, address: StunAddress): void {
  writeAddress(builder, address, StunAttribute.XorMappedAddress, true);
}

/**
 * Appends XOR-PEER-ADDRESS (RFC 8656 section 18.3), as in a Data indication.
 *
 * @example
 * ```ts
 * encodeXorPeerAddress(builder, { family: 4, host: "198.51.100.7", port: 5004 });
 * ```
 */
export function encodeXorPeerAddress(builder: StunMessageBuilder, address: StunAddress): void {
  writeAddress(builder, address, StunAttribute.XorPeerAddress, true);
}

/**
 * Appends XOR-RELAYED-ADDRESS (RFC 8656 section 18.5), as in an Allocate success response.
 *
 * @example
 * ```ts
 * encodeXorRelayedAddress(builder, { family: 6, host: "2001:db8::10", port: 49152 });
 * ```
 */
export function encodeXorRelayedAddress(builder: StunMessageBuilder, address: StunAddress): void {
  writeAddress(builder, address, StunAttribute.XorRelayedAddress, true);
}

/**
 * Reads XOR-MAPPED-ADDRESS, XOR-PEER-ADDRESS or XOR-RELAYED-ADDRESS (RFC 8489 section 14.2, RFC
 * 8656 sections 18.3, 18.5) at index `at`; refuses a truncated value and an unknown family.
 *
 * @example
 * ```ts
 * for (let at = 0; at < message.attributeCount; at++) {
 *   if (message.attributeType(at) === StunAttribute.XorPeerAddress) peers.push(decodeXorAddress(message, at));
 * }
 * ```
 */
export function decodeXorAddress(message: StunMessage, at: number): StunAddress {
  return readAddress(message, at, true);
}

/**
 * Appends MAPPED-ADDRESS (RFC 8489 section 14.1), for RFC 3489 clients only.
 *
 * @example
 * ```ts
 * encodeMappedAddress(builder, { family: 4, host: "192.0.2.1", port: 32853 });
 * ```
 */
export function encodeMappedAddress(builder: StunMessageBuilder, address: StunAddress): void {
  writeAddress(builder, address, StunAttribute.MappedAddress, false);
}

/**
 * Reads MAPPED-ADDRESS (RFC 8489 section 14.1), or anything in its format (ALTERNATE-SERVER).
 *
 * @example
 * ```ts
 * const mapped = decodeMappedAddress(message, message.indexOf(StunAttribute.MappedAddress));
 * ```
 */
export function decodeMappedAddress(message: StunMessage, at: number): StunAddress {
  return readAddress(message, at, false);
}

function writeAddress(
  builder: StunMessageBuilder,
  address: StunAddress,
  type: number,
  xor: boolean,
): void {
  const { family, port } = address;
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
    throw new StunEncodeError(`port ${port} of ${address.host}`);
  }
  let size: number;
  if (family === 4) {
    if (!parseIpv4Into(address.host, 0, address.host.length, scratch, 0)) {
      throw new StunEncodeError(`"${address.host}" is not an IPv4 address`);
    }
    size = 4;
  } else if (family === 6) {
    if (!parseIpv6(address.host, scratch)) {
      throw new StunEncodeError(`"${address.host}" is not an IPv6 address`);
    }
    size = 16;
  } else {
    throw new StunEncodeError(`address family ${String(family)}, not 4 or 6`);
  }
  const buffer = builder.buffer;
  const offset = builder.reserve(type, 4 + size);
  buffer[offset] = 0;
  buffer[offset + 1] = family === 4 ? WIRE_FAMILY_IPV4 : WIRE_FAMILY_IPV6;
  const wirePort = xor ? port ^ PORT_XOR : port;
  buffer[offset + 2] = wirePort >>> 8;
  buffer[offset + 3] = wirePort;
  // The XOR pad is the cookie, then the transaction id: header bytes 4 to 19 (begin() wrote them).
  for (let i = 0; i < size; i++) {
    buffer[offset + 4 + i] = xor ? scratch[i]! ^ buffer[4 + i]! : scratch[i]!;
  }
}

function readAddress(message: StunMessage, at: number, xor: boolean): StunAddress {
  const offset = message.valueOffset(at);
  const length = message.valueLength(at);
  const bytes = message.bytes;
  if (length < 4) {
    throw new StunDecodeError(message.attributePlace(at), `${length} bytes, truncated address`);
  }
  // RFC 8489 section 14.1: the first byte MUST be ignored by receivers
  const wireFamily = bytes[offset + 1]!;
  let size: number;
  if (wireFamily === WIRE_FAMILY_IPV4) size = IPV4_VALUE_BYTES;
  else if (wireFamily === WIRE_FAMILY_IPV6) size = IPV6_VALUE_BYTES;
  else {
    throw new StunDecodeError(message.attributePlace(at), `address family 0x${hex2(wireFamily)}`);
  }
  if (length !== size) {
    throw new StunDecodeError(
      message.attributePlace(at),
      `${length} bytes for an IPv${wireFamily === WIRE_FAMILY_IPV4 ? 4 : 6} address, not ${size}`,
    );
  }
  const wirePort = (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
  const port = xor ? wirePort ^ PORT_XOR : wirePort;
  for (let i = 0; i < size - 4; i++) {
    const b = bytes[offset + 4 + i]!;
    scratch[i] = xor ? b ^ bytes[4 + i]! : b;
  }
  return size === IPV4_VALUE_BYTES
    ? { family: 4, host: formatIpv4Bytes(scratch, 0), port }
    : { family: 6, host: formatIpv6Bytes(scratch), port };
}

function hex2(b: number): string {
  return b.toString(16).padStart(2, "0");
}

/** Parses a dotted quad in `text[start..end)` into `out[at..at+4)`; no leading zeros (not octal). */
function parseIpv4Into(
  text: string,
  start: number,
  end: number,
  out: Uint8Array,
  at: number,
): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = start; i <= end; i++) {
    const c = i < end ? text.charCodeAt(i) : 0x2e; // a virtual "." closes the last part
    if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && value === 0) return false; // leading zero
      value = value * 10 + (c - 0x30);
      if (++digits > 3 || value > 255) return false;
    } else if (c === 0x2e) {
      if (digits === 0 || part > 3) return false;
      out[at + part++] = value;
      value = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  return part === 4;
}

/** Parses RFC 4291 section 2.2 text (with "::" and a dotted-quad tail) into `out[0..16)`. */
function parseIpv6(text: string, out: Uint8Array): boolean {
  let end = text.indexOf("%");
  if (end < 0) end = text.length;
  if (end < 2) return false;
  let head = 0; // groups before "::"
  let tail = -1; // groups after "::" (-1: no "::" yet)
  let i = 0;
  if (text.charCodeAt(0) === 0x3a) {
    if (text.charCodeAt(1) !== 0x3a) return false;
    tail = 0;
    i = 2;
    if (i === end) {
      out.fill(0, 0, 16);
      return true;
    }
  }
  const words = groups;
  for (;;) {
    const start = i;
    let value = 0;
    while (i < end && i - start < 5) {
      const d = hexDigit(text.charCodeAt(i));
      if (d < 0) break;
      value = (value << 4) | d;
      i++;
    }
    const count = head + Math.max(tail, 0);
    if (i < end && text.charCodeAt(i) === 0x2e) {
      // a dotted-quad tail takes the last two groups
      if (count > 6 || !parseIpv4Into(text, start, end, quad, 0)) return false;
      words[count] = (quad[0]! << 8) | quad[1]!;
      words[count + 1] = (quad[2]! << 8) | quad[3]!;
      if (tail >= 0) tail += 2;
      else head += 2;
      break;
    }
    if (i === start || i - start > 4 || count >= 8) return false;
    words[count] = value;
    if (tail >= 0) tail++;
    else head++;
    if (i === end) break;
    if (text.charCodeAt(i) !== 0x3a) return false;
    i++;
    if (i < end && text.charCodeAt(i) === 0x3a) {
      if (tail >= 0) return false; // a second "::"
      tail = 0;
      i++;
      if (i === end) break;
    } else if (i === end) {
      return false; // a trailing single ":"
    }
  }
  const total = head + Math.max(tail, 0);
  if (tail < 0 ? total !== 8 : total > 7) return false;
  out.fill(0, 0, 16);
  for (let g = 0; g < head; g++) {
    out[2 * g] = words[g]! >>> 8;
    out[2 * g + 1] = words[g]!;
  }
  for (let g = 0; g < Math.max(tail, 0); g++) {
    const to = 8 - tail + g;
    out[2 * to] = words[head + g]! >>> 8;
    out[2 * to + 1] = words[head + g]!;
  }
  return true;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

import type { CborValue } from "../cbor/cbor_codec.ts";
import { OverlayDecodeError, OverlayEncodeError } from "./overlay_errors.ts";
import { asArray, asBytes, asUint } from "./shape.ts";

/** An IP address (4 or 16 bytes, network order) and a port: `[ip, port]` on the wire. */
export interface TransportAddress {
  readonly ip: Uint8Array;
  readonly port: number;
}

export function encodeTransportAddress(address: TransportAddress): CborValue {
  if (address.ip.length !== 4 && address.ip.length !== 16) {
    throw new OverlayEncodeError(`IP address of ${address.ip.length} bytes`);
  }
  if (!Number.isInteger(address.port) || address.port < 0 || address.port > 0xffff) {
    throw new OverlayEncodeError(`port ${address.port}`);
  }
  return [address.ip, address.port];
}

export function decodeTransportAddress(value: CborValue, place: string): TransportAddress {
  const [ip, port] = asArray(value, place, 2, 2);
  const bytes = asBytes(ip, `${place}[0]`, 4, 16);
  if (bytes.length !== 4 && bytes.length !== 16) {
    throw new OverlayDecodeError(`${place}[0]`, `expected 4 or 16 bytes, got ${bytes.length}`);
  }
  return { ip: bytes, port: asUint(port, `${place}[1]`, 0xffff) };
}

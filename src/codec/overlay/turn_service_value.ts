// The data of a TURN-SERVICE value (RFC 6940 section 9): where a relay serves TURN. RFC 6940's
// TurnServer is `{ uint8 iteration; IpAddressAndPort server_address; }`; ours lists one address
// per transport the relay serves, since one relay answers on UDP, TCP and TLS:
//   [iteration, [[transport, [ip, port]], ...]]    transport: 1 UDP, 2 TCP, 3 TLS
import type { CborSubsetLimits } from "../cbor/cbor_subset.ts";
import { type CborValue, decodeCbor, encodeCbor } from "../cbor/cbor_codec.ts";
import { OverlayEncodeError } from "./overlay_errors.ts";
import { asArray, asCode, asList, asUint } from "./shape.ts";
import {
  decodeTransportAddress,
  encodeTransportAddress,
  type TransportAddress,
} from "./transport_address.ts";

/** How a client reaches a relay's TURN server. */
export const TurnServiceTransport = { Udp: 1, Tcp: 2, Tls: 3 } as const;
export type TurnServiceTransport = typeof TurnServiceTransport[keyof typeof TurnServiceTransport];

/** Most addresses in one value: three transports on IPv4 and IPv6. */
export const MAX_TURN_SERVICE_ADDRESSES = 6;

/** One TURN-SERVICE value: the discovery iteration it was stored under, and its addresses. */
export interface TurnServiceValue {
  /** RFC 6940 section 9: the `d` of H(node id || d) this value is stored at (0-255). */
  readonly iteration: number;
  readonly addresses: readonly {
    readonly transport: TurnServiceTransport;
    readonly address: TransportAddress;
  }[];
}

const LIMITS: CborSubsetLimits = { maxDepth: 4, maxArrayItems: 8, maxItems: 48 };
const TRANSPORTS = [
  TurnServiceTransport.Udp,
  TurnServiceTransport.Tcp,
  TurnServiceTransport.Tls,
] as const;

/**
 * Encodes a TURN-SERVICE value's data.
 *
 * @example
 * ```ts
 * encodeTurnServiceValue({
 *   iteration: 0,
 *   addresses: [{ transport: TurnServiceTransport.Udp, address: { ip: new Uint8Array([192, 0, 2, 1]), port: 3478 } }],
 * });
 * ```
 */
export function encodeTurnServiceValue(value: TurnServiceValue): Uint8Array {
  if (!Number.isInteger(value.iteration) || value.iteration < 0 || value.iteration > 0xff) {
    throw new OverlayEncodeError(`TURN-SERVICE iteration ${value.iteration} is not a uint8`);
  }
  const n = value.addresses.length;
  if (n < 1 || n > MAX_TURN_SERVICE_ADDRESSES) {
    throw new OverlayEncodeError(`TURN-SERVICE with ${n} addresses (1 to 6)`);
  }
  const addresses: CborValue[] = value.addresses.map((entry) => {
    if (!(TRANSPORTS as readonly number[]).includes(entry.transport)) {
      throw new OverlayEncodeError(`TURN-SERVICE transport ${entry.transport}`);
    }
    return [entry.transport, encodeTransportAddress(entry.address)];
  });
  return encodeCbor([value.iteration, addresses]);
}

/**
 * Decodes a TURN-SERVICE value's data; throws OverlayDecodeError (or CborFormatError) naming the
 * place of anything malformed.
 *
 * @example
 * ```ts
 * const { addresses } = decodeTurnServiceValue(stored.value.data);
 * ```
 */
export function decodeTurnServiceValue(bytes: Uint8Array): TurnServiceValue {
  const [iteration, addresses] = asArray(decodeCbor(bytes, LIMITS), "turn", 2, 2);
  asArray(addresses, "turn[1]", 1, MAX_TURN_SERVICE_ADDRESSES);
  const list = asList(addresses, "turn[1]", MAX_TURN_SERVICE_ADDRESSES, (item, place) => {
    const [transport, address] = asArray(item, place, 2, 2);
    return {
      transport: asCode(transport, `${place}[0]`, TRANSPORTS),
      address: decodeTransportAddress(address!, `${place}[1]`),
    };
  });
  return { iteration: asUint(iteration, "turn[0]", 0xff), addresses: list };
}

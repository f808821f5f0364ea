// The data of a SIP-REGISTRATION value (RFC 7904 section 3). RFC 7904's SipRegistration is a type
// and then either a URI (sip_registration_uri, 1) or contact preferences and a destination list
// (sip_registration_route, 2). Superpeers publish the first form: the URI at which the serving
// Proxy Peer delivers requests for the address-of-record (its own SIP address, with the AOR's
// user part), so a caller's peer forwards there directly.
//   [1, uri]
// The route form (reaching a peer only through the overlay with AppAttach) is refused on decode:
// access points on one mesh reach each other's SIP ports directly.
import type { CborSubsetLimits } from "../cbor/cbor_subset.ts";
import { decodeCbor, encodeCbor } from "../cbor/cbor_codec.ts";
import { OverlayDecodeError, OverlayEncodeError } from "./overlay_errors.ts";
import { asArray, asText, asUint } from "./shape.ts";

/** RFC 7904 section 3: SipRegistrationType. */
export const SipRegistrationType = { Uri: 1, Route: 2 } as const;

/** Longest URI in a value (the kind's max-size, 1024 bytes, bounds the whole value). */
export const MAX_SIP_REGISTRATION_URI_BYTES = 512;

/** A SIP-REGISTRATION value of the URI form. */
export interface SipRegistrationValue {
  /** Where requests for the AOR go: "sip:alice@192.0.2.7:5060;transport=udp". */
  readonly uri: string;
}

const LIMITS: CborSubsetLimits = { maxDepth: 2, maxArrayItems: 4, maxItems: 8 };
const SIP_URI = /^sips?:[^\s<>"]+$/i;

/**
 * Encodes a SIP-REGISTRATION value's data (the URI form).
 *
 * @example
 * ```ts
 * encodeSipRegistrationValue({ uri: "sip:alice@192.0.2.7:5060" });
 * ```
 */
export function encodeSipRegistrationValue(value: SipRegistrationValue): Uint8Array {
  const bytes = new TextEncoder().encode(value.uri).length;
  if (!SIP_URI.test(value.uri) || bytes > MAX_SIP_REGISTRATION_URI_BYTES) {
    throw new OverlayEncodeError(`SIP-REGISTRATION URI "${value.uri}" (${bytes} bytes)`);
  }
  return encodeCbor([SipRegistrationType.Uri, value.uri]);
}

/**
 * Decodes a SIP-REGISTRATION value's data; throws OverlayDecodeError (or CborFormatError) naming
 * the place of anything malformed, and for the route form, which this overlay does not use.
 *
 * @example
 * ```ts
 * const { uri } = decodeSipRegistrationValue(stored.value.data);
 * ```
 */
export function decodeSipRegistrationValue(bytes: Uint8Array): SipRegistrationValue {
  const items = asArray(decodeCbor(bytes, LIMITS), "sip", 2, 3);
  const type = asUint(items[0], "sip[0]", 0xff);
  if (type !== SipRegistrationType.Uri) {
    throw new OverlayDecodeError("sip[0]", `registration type ${type} is not the URI form (1)`);
  }
  if (items.length !== 2) throw new OverlayDecodeError("sip", "URI form with extra items");
  const uri = asText(items[1], "sip[1]", MAX_SIP_REGISTRATION_URI_BYTES);
  if (!SIP_URI.test(uri)) throw new OverlayDecodeError("sip[1]", "not a sip: or sips: URI");
  return { uri };
}

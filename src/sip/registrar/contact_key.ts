/**
 * Keys that make RFC 3261's URI comparisons map lookups: the canonical address-of-record of a To
 * URI (section 10.3 step 5) and the comparison key of a Contact URI (section 19.1.4).
 *
 * @module
 */
import { getParam, parseSipUri, type SipUri } from "../../codec/sip/mod.ts";

/** The parameters section 19.1.4 says must match when either URI has them. */
const COMPARED_PARAMS = ["transport", "user", "ttl", "method", "maddr"] as const;

/**
 * The canonical AOR of a To URI (RFC 3261 section 10.3 step 5): URI parameters and headers removed,
 * escapes resolved, host lower-cased, `sips` folded into `sip` (one user, either scheme). A URI
 * that does not parse throws SipParseError; a tel: URI or one without a user part, RangeError.
 *
 * @example
 * ```ts
 * canonicalAor("sips:Alice@Example.ORG;transport=tls"); // "sip:Alice@example.org"
 * ```
 */
export function canonicalAor(uri: string): string {
  const parsed = parseSipUri(uri);
  if (parsed.scheme === "tel") {
    throw new RangeError(`Cannot register a tel: address-of-record: ${uri}`);
  }
  if (parsed.user === undefined) {
    throw new RangeError(`Cannot register an address-of-record without a user part: ${uri}`);
  }
  const port = parsed.port === undefined ? "" : `:${parsed.port}`;
  return `sip:${parsed.user}@${parsed.host.toLowerCase()}${port}`;
}

/**
 * The comparison key of a Contact URI (RFC 3261 section 19.1.4): scheme, user and password
 * case-sensitive, host case-insensitive, an explicit port differs from none, and transport, user,
 * ttl, method and maddr compared when present; other parameters and headers are ignored (the
 * section compares them only when both URIs carry them, which a key cannot express: two contacts
 * that differ only there are taken as one binding).
 *
 * @example
 * ```ts
 * contactKey("sip:alice@PC33.example.org;transport=UDP") ===
 *   contactKey("sip:alice@pc33.example.org;transport=udp;ob"); // true
 * ```
 */
export function contactKey(uri: string): string {
  const parsed = parseSipUri(uri);
  if (parsed.scheme === "tel") return `tel:${parsed.number.replace(/[-.()]/g, "")}`;
  return sipKey(parsed);
}

function sipKey(uri: SipUri): string {
  let key = `${uri.scheme}:${uri.user ?? ""}:${uri.password ?? ""}@${uri.host.toLowerCase()}:${
    uri.port ?? ""
  }`;
  for (const name of COMPARED_PARAMS) {
    const value = getParam(uri.params, name);
    // methods are case-sensitive (section 7.1); transport, user, ttl and maddr are not
    if (value !== undefined) key += `;${name}=${name === "method" ? value : value.toLowerCase()}`;
  }
  return key;
}

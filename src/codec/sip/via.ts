/**
 * One Via value (RFC 3261 sections 18.2.1, 20.42 and 25.1, rport from RFC 3581): sent-protocol,
 * sent-by and the parameters a transport and a proxy act on.
 *
 * @module
 */
import {
  getParam,
  parseHeaderParams,
  serializeHeaderParams,
  type SipParam,
} from "./header_params.ts";
import { MAX_MAX_FORWARDS, RFC3261_BRANCH_COOKIE } from "./constants.ts";
import { SipParseError } from "./sip_errors.ts";
import {
  isHost,
  isIpv4,
  isIpv6,
  isToken,
  isWs,
  parseDigits,
  parsePort,
  skipWs,
  tokenEnd,
} from "./sip_syntax.ts";

/** A parsed Via value. Parameters keep their order; the well-known ones are also lifted out. */
export interface Via {
  /** protocol-name "/" protocol-version, SWS removed: "SIP/2.0". */
  readonly protocol: string;
  /** Upper-cased: "UDP", "TCP", "TLS", "SCTP", "WS", "WSS" or any other token. */
  readonly transport: string;
  /** sent-by host as written (an IPv6 reference keeps its brackets). */
  readonly host: string;
  readonly port: number | undefined;
  readonly params: readonly SipParam[];
  readonly branch: string | undefined;
  /** received= (RFC 3261 section 18.2.1): an IPv4 or IPv6 address. */
  readonly received: string | undefined;
  /** rport (RFC 3581): undefined when absent, null when present without a value, else the port. */
  readonly rport: number | null | undefined;
  readonly maddr: string | undefined;
  readonly ttl: number | undefined;
}

/**
 * Parses one Via value (one element of the comma list). Throws SipParseError ("VALUE") on a
 * malformed sent-protocol or sent-by, an empty parameter (RFC 4475 section 3.1.2.1), or a branch,
 * received, rport, maddr or ttl value outside its grammar.
 *
 * @example
 * ```ts
 * const via = parseVia("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds;rport");
 * via.transport; // "UDP"
 * via.rport; // null: the server fills it in (RFC 3581 section 4)
 * ```
 */
export function parseVia(value: string, place = "Via"): Via {
  // sent-protocol = protocol-name SLASH protocol-version SLASH transport, SLASH = SWS "/" SWS
  const parts: string[] = [];
  let i = skipWs(value, 0);
  for (let k = 0; k < 3; k++) {
    if (k > 0) {
      i = skipWs(value, i);
      if (value.charCodeAt(i) !== 0x2f) {
        throw new SipParseError("VALUE", place, "bad sent-protocol");
      }
      i = skipWs(value, i + 1);
    }
    const end = tokenEnd(value, i);
    if (end === i) throw new SipParseError("VALUE", place, "bad sent-protocol");
    parts.push(value.slice(i, end));
    i = end;
  }
  // LWS before sent-by
  if (!isWs(value.charCodeAt(i))) {
    throw new SipParseError("VALUE", place, "no space before sent-by");
  }
  i = skipWs(value, i);
  const hostStart = i;
  const n = value.length;
  if (value.charCodeAt(i) === 0x5b) {
    const close = value.indexOf("]", i);
    if (close < 0) throw new SipParseError("VALUE", place, "unterminated IPv6 reference");
    i = close + 1;
  } else {
    while (i < n) {
      const c = value.charCodeAt(i);
      if (c === 0x3a || c === 0x3b || isWs(c)) break;
      i++;
    }
  }
  const host = value.slice(hostStart, i);
  if (!isHost(host)) throw new SipParseError("VALUE", place, `bad sent-by host "${host}"`);
  i = skipWs(value, i);
  let port: number | undefined;
  if (value.charCodeAt(i) === 0x3a) {
    i = skipWs(value, i + 1);
    let end = i;
    while (end < n && value.charCodeAt(end) >= 0x30 && value.charCodeAt(end) <= 0x39) end++;
    const p = parsePort(value.slice(i, end));
    if (p < 0) throw new SipParseError("VALUE", place, "bad sent-by port");
    port = p;
    i = end;
  }
  const params = parseHeaderParams(value, i, place);
  const branch = getParam(params, "branch");
  const received = getParam(params, "received");
  const maddr = getParam(params, "maddr");
  const ttlText = getParam(params, "ttl");
  const rportText = getParam(params, "rport");
  let rport: number | null | undefined;
  let ttl: number | undefined;
  for (const p of params) {
    const name = p.name.toLowerCase();
    if (name === "rport" && p.value === undefined) rport = null;
    if (p.value === undefined && (name === "branch" || name === "received" || name === "maddr")) {
      throw new SipParseError("VALUE", place, `${name} without a value`);
    }
  }
  if (branch !== undefined && !isToken(branch)) {
    throw new SipParseError("VALUE", place, "branch is not a token");
  }
  if (received !== undefined && !isAddress(received)) {
    throw new SipParseError("VALUE", place, `received "${received}" is not an IP address`);
  }
  if (maddr !== undefined && !isHost(maddr)) {
    throw new SipParseError("VALUE", place, `bad maddr "${maddr}"`);
  }
  if (ttlText !== undefined) {
    ttl = parseDigits(ttlText, 3);
    if (ttl < 0 || ttl > MAX_MAX_FORWARDS) throw new SipParseError("VALUE", place, "bad ttl");
  }
  if (rportText !== undefined) {
    const p = parsePort(rportText);
    if (p < 0) throw new SipParseError("VALUE", place, "bad rport");
    rport = p;
  }
  return {
    protocol: `${parts[0]}/${parts[1]}`,
    transport: parts[2]!.toUpperCase(),
    host,
    port,
    params,
    branch,
    received,
    rport,
    maddr,
    ttl,
  };
}

/** IPv4address / IPv6address, the latter bare or as a reference (RFC 5118 section 4.5). */
function isAddress(text: string): boolean {
  if (text.charCodeAt(0) === 0x5b) return text.endsWith("]") && isIpv6(text.slice(1, -1));
  return isIpv4(text) || isIpv6(text);
}

/**
 * True when the branch has RFC 3261's magic cookie and something after it, so it identifies the
 * transaction (section 17.2.3). RFC 4475 section 3.2.1: "z9hG4bK" alone must not be taken as one.
 */
export function hasRfc3261Branch(via: Via): boolean {
  const b = via.branch;
  return b !== undefined && b.length > RFC3261_BRANCH_COOKIE.length &&
    b.startsWith(RFC3261_BRANCH_COOKIE);
}

/**
 * The canonical text of a Via value: no SWS inside sent-protocol, one space before sent-by,
 * parameters as stored.
 *
 * @example
 * ```ts
 * serializeVia(parseVia("SIP / 2.0 / udp host ; branch = z9hG4bKx")); // "SIP/2.0/UDP host;branch=z9hG4bKx"
 * ```
 */
export function serializeVia(via: Via): string {
  const port = via.port === undefined ? "" : `:${via.port}`;
  return `${via.protocol}/${via.transport} ${via.host}${port}${serializeHeaderParams(via.params)}`;
}

/**
 * Transaction identities (RFC 3261 sections 17.1.3 and 17.2.3): which transaction a response or a
 * request belongs to, as a string usable as a Map key.
 *
 * Server side, two kinds of key:
 * - a top Via branch with the magic cookie `z9hG4bK` (and something after it): branch, sent-by
 *   and method, ACK counting as INVITE;
 * - any other branch, or none (an RFC 2543 element): Request-URI, Call-ID, From tag, To tag, CSeq
 *   number, top Via and method (section 17.2.3's backwards-compatible rule). An ACK there carries
 *   the To tag of the response, which the INVITE did not have; `serverAckKeys` gives both
 *   candidates and the table checks the tag against the response it sent.
 *
 * Client side our own branches always carry the cookie, so a response matches on its top Via
 * branch and its CSeq method (a CANCEL shares the INVITE's branch and differs by method).
 *
 * Accessors of SipMessage throw SipParseError on a missing or malformed header; these functions
 * let it through and the table turns it into an "invalid" result.
 *
 * @module
 */
import { getParam, hasRfc3261Branch, serializeVia, type SipMessage } from "../../codec/sip/mod.ts";

/** A transaction's identity; compare with `===`. */
export type TransactionKey = string;

const SEP = "\u0000";

/**
 * Makes a branch for a new client transaction: the magic cookie and 96 random bits, unique in
 * space and time as RFC 3261 section 8.1.1.7 asks.
 *
 * @example
 * ```ts
 * const via = `SIP/2.0/UDP 192.0.2.1:5060;branch=${generateBranch()}`;
 * ```
 */
export function generateBranch(): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  let hex = "";
  for (const b of bytes) hex += (b < 16 ? "0" : "") + b.toString(16);
  return `z9hG4bK${hex}`;
}

/**
 * The key of a client transaction (section 17.1.3): its branch and the method of its request.
 *
 * @example
 * ```ts
 * clientTransactionKey("z9hG4bK74bf9", "INVITE");
 * ```
 */
export function clientTransactionKey(branch: string, method: string): TransactionKey {
  return `c${SEP}${branch}${SEP}${method}`;
}

/**
 * The key of the client transaction a response belongs to (section 17.1.3: top Via branch and
 * CSeq method), or undefined when its top Via has no branch.
 *
 * @example
 * ```ts
 * const key = clientKeyOfResponse(response); // then table lookup
 * ```
 */
export function clientKeyOfResponse(response: SipMessage): TransactionKey | undefined {
  const branch = response.topVia().branch;
  if (branch === undefined) return undefined;
  return clientTransactionKey(branch, response.cseq().method);
}

/**
 * The key of the server transaction `request` creates or belongs to (section 17.2.3). For an ACK
 * with an RFC 3261 branch it is the INVITE's key; for an RFC 2543 ACK use `serverAckKeys`.
 *
 * @example
 * ```ts
 * serverTransactionKey(invite) === serverTransactionKey(inviteRetransmission); // true
 * ```
 */
export function serverTransactionKey(request: SipMessage): TransactionKey {
  const method = request.method === "ACK" ? "INVITE" : request.method;
  const via = request.topVia();
  if (hasRfc3261Branch(via)) return rfc3261Key(request, method);
  return rfc2543Key(request, method, toTag(request));
}

/**
 * Where an ACK may belong: one key for an RFC 3261 branch; for an RFC 2543 ACK first the key of an
 * INVITE that already had the ACK's To tag (a re-INVITE), then the key of one that had none (the
 * tag came with the response, so the caller checks it against the response sent). The second is
 * undefined when it would equal the first.
 */
export function serverAckKeys(
  ack: SipMessage,
): { readonly key: TransactionKey; readonly untagged: TransactionKey | undefined } {
  if (hasRfc3261Branch(ack.topVia())) {
    return { key: rfc3261Key(ack, "INVITE"), untagged: undefined };
  }
  const tag = toTag(ack);
  return {
    key: rfc2543Key(ack, "INVITE", tag),
    untagged: tag === "" ? undefined : rfc2543Key(ack, "INVITE", ""),
  };
}

/**
 * The key of the INVITE server transaction a CANCEL refers to (section 9.2): the CANCEL's own
 * key with method INVITE, since a CANCEL copies the INVITE's top Via, Request-URI, Call-ID, To,
 * From and CSeq number (section 9.1).
 *
 * @example
 * ```ts
 * const invite = table.server(inviteKeyOfCancel(cancel));
 * ```
 */
export function inviteKeyOfCancel(cancel: SipMessage): TransactionKey {
  const via = cancel.topVia();
  if (hasRfc3261Branch(via)) return rfc3261Key(cancel, "INVITE");
  return rfc2543Key(cancel, "INVITE", toTag(cancel));
}

/** The To tag of a message, "" when there is none. */
export function toTag(message: SipMessage): string {
  return getParam(message.to().params, "tag") ?? "";
}

function rfc3261Key(request: SipMessage, method: string): TransactionKey {
  const via = request.topVia();
  // Section 17.2.3: branch, sent-by (host and port) and method; host names are case-insensitive.
  const sentBy = `${via.host.toLowerCase()}:${via.port ?? ""}`;
  return `s${SEP}${via.branch}${SEP}${sentBy}${SEP}${method}`;
}

function rfc2543Key(request: SipMessage, method: string, tag: string): TransactionKey {
  const from = getParam(request.from().params, "tag") ?? "";
  return [
    "o",
    method,
    request.uri,
    request.callId(),
    from,
    tag,
    String(request.cseq().seq),
    serializeVia(request.topVia()),
  ].join(SEP);
}

/**
 * Messages the transaction layer builds itself, and the CANCEL a proxy builds next to them: the
 * 100 (Trying) of an INVITE server transaction (section 17.2.1 with 8.2.6), the ACK for a non-2xx
 * final response (section 17.1.1.3) and a CANCEL (section 9.1). Other responses (the 503 when the
 * table is full, ...) come from `createResponse` in ../sip_response.ts.
 *
 * @module
 */
import { SipMessage } from "../../codec/sip/mod.ts";
import { createResponse } from "../sip_response.ts";

/** Max-Forwards for a request we originate when the original had none (section 8.1.1.6). */
const DEFAULT_MAX_FORWARDS = "70";

/**
 * The 100 (Trying) an INVITE server transaction sends (section 17.2.1): Via, From, To (no tag
 * added), Call-ID, CSeq and Timestamp copied.
 *
 * @example
 * ```ts
 * send(buildTrying(invite));
 * ```
 */
export function buildTrying(request: SipMessage): SipMessage {
  // Section 8.2.6.1: a Timestamp in the request is copied into the 100 (Trying).
  const timestamp = request.headers.get("timestamp");
  return createResponse(request, 100, "Trying", {
    headers: timestamp === undefined ? [] : [["Timestamp", timestamp]],
  });
}

/**
 * The ACK an INVITE client transaction sends for a 300-699 response (section 17.1.1.3): the
 * INVITE's Request-URI, Call-ID, From and CSeq number with method ACK, the response's To (its
 * tag), one Via equal to the INVITE's top Via, and the INVITE's Route fields.
 *
 * @example
 * ```ts
 * const ack = buildNon2xxAck(invite, busyHere);
 * ```
 */
export function buildNon2xxAck(invite: SipMessage, response: SipMessage): SipMessage {
  const h = invite.headers;
  const topVia = h.values("via")?.[0];
  if (topVia === undefined) throw new TypeError("Cannot build an ACK: the INVITE has no Via");
  const fields: [string, string][] = [["Via", topVia]];
  // Section 17.1.1.3: Route header fields of the INVITE MUST appear in the ACK.
  for (const route of h.getAll("route")) fields.push(["Route", route]);
  fields.push(["Max-Forwards", h.get("max-forwards") ?? DEFAULT_MAX_FORWARDS]);
  fields.push(["From", requireHeader(invite, "From")]);
  // Section 17.1.1.3: To of the ACK equals To of the response being acknowledged.
  fields.push(["To", requireHeader(response, "To")]);
  fields.push(["Call-ID", requireHeader(invite, "Call-ID")]);
  fields.push(["CSeq", `${invite.cseq().seq} ACK`]);
  return SipMessage.request({ method: "ACK", uri: invite.uri, headers: fields });
}

/**
 * A CANCEL for `request` (section 9.1): same Request-URI, Call-ID, To, From and CSeq number, one
 * Via equal to the request's top Via (so it reaches the same server transaction's neighbour), the
 * request's Route fields, CSeq method CANCEL. Send it in a client transaction of its own, only
 * once the INVITE's client transaction has had a provisional response (state "proceeding").
 *
 * @example
 * ```ts
 * if (branch.cancellable) {
 *   table.createClient(buildCancel(branch.request), branch.destination, user);
 * }
 * ```
 */
export function buildCancel(request: SipMessage): SipMessage {
  const h = request.headers;
  const topVia = h.values("via")?.[0];
  if (topVia === undefined) throw new TypeError("Cannot build a CANCEL: the request has no Via");
  const fields: [string, string][] = [["Via", topVia]];
  for (const route of h.getAll("route")) fields.push(["Route", route]);
  fields.push(["Max-Forwards", h.get("max-forwards") ?? DEFAULT_MAX_FORWARDS]);
  fields.push(["From", requireHeader(request, "From")]);
  fields.push(["To", requireHeader(request, "To")]);
  fields.push(["Call-ID", requireHeader(request, "Call-ID")]);
  fields.push(["CSeq", `${request.cseq().seq} CANCEL`]);
  return SipMessage.request({ method: "CANCEL", uri: request.uri, headers: fields });
}

function requireHeader(message: SipMessage, name: string): string {
  const value = message.headers.get(name);
  if (value === undefined) throw new TypeError(`Cannot copy ${name}: the message has none`);
  return value;
}

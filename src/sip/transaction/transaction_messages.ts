/**
 * Messages the transaction layer builds itself, and the CANCEL a proxy builds next to them: the
 * 100 (Trying) of an INVITE server transaction (section 17.2.1 with 8.2.6), the ACK for a non-2xx
 * final response (section 17.1.1.3), a CANCEL (section 9.1), and any response to a request
 * (section 8.2.6.2), e.g. the 503 a caller sends when the table is full.
 *
 * @module
 */
import { SipMessage } from "../../codec/sip/mod.ts";

/** Max-Forwards for a request we originate when the original had none (section 8.1.1.6). */
const DEFAULT_MAX_FORWARDS = "70";

/** Options of `buildResponse`. */
export interface BuildResponseOptions {
  /** Added to To as `;tag=` when To has no tag yet (section 8.2.6.2); never for a 100. */
  readonly toTag?: string;
  /** Extra header fields appended after the copied ones (Retry-After, Contact, ...). */
  readonly headers?: Iterable<readonly [name: string, value: string]>;
}

/**
 * A response to `request` (section 8.2.6.2): every Via in order, From, To (with `toTag` added when
 * it has none), Call-ID and CSeq copied; for a 100 also Timestamp (section 8.2.6.1).
 *
 * @example
 * ```ts
 * const busy = buildResponse(request, 503, "Service Unavailable", {
 *   toTag: "a6c85cf", headers: [["Retry-After", "5"]],
 * });
 * ```
 */
export function buildResponse(
  request: SipMessage,
  status: number,
  reason: string,
  options: BuildResponseOptions = {},
): SipMessage {
  if (!request.isRequest) throw new TypeError("Cannot build a response: the message is a response");
  const fields: [string, string][] = [];
  const h = request.headers;
  for (const via of h.getAll("via")) fields.push(["Via", via]);
  for (const name of ["From", "To", "Call-ID", "CSeq"] as const) {
    let value = h.get(name);
    if (value === undefined) continue;
    if (name === "To" && options.toTag !== undefined && status !== 100 && !hasTag(request)) {
      value = `${value};tag=${options.toTag}`;
    }
    fields.push([name, value]);
  }
  if (status === 100) {
    const timestamp = h.get("timestamp");
    if (timestamp !== undefined) fields.push(["Timestamp", timestamp]);
  }
  if (options.headers !== undefined) { for (const [n, v] of options.headers) fields.push([n, v]); }
  return SipMessage.response({ status, reason, headers: fields });
}

/**
 * The 100 (Trying) an INVITE server transaction sends (section 17.2.1): no To tag added.
 *
 * @example
 * ```ts
 * send(buildTrying(invite));
 * ```
 */
export function buildTrying(request: SipMessage): SipMessage {
  return buildResponse(request, 100, "Trying");
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

function hasTag(message: SipMessage): boolean {
  return message.to().params.some((p) => p.name.toLowerCase() === "tag");
}

function requireHeader(message: SipMessage, name: string): string {
  const value = message.headers.get(name);
  if (value === undefined) throw new TypeError(`Cannot copy ${name}: the message has none`);
  return value;
}

/**
 * Responses built from a request (RFC 3261 section 8.2.6): the headers a UAS, registrar or
 * stateful proxy copies, and the To tag it adds.
 *
 * @module
 */
import { hasParam, SipMessage } from "../codec/sip/mod.ts";

/** The headers a response copies from its request (RFC 3261 section 8.2.6.2), in this order. */
const COPIED = ["via", "from", "to", "call-id", "cseq"] as const;

/** Options of createResponse(). */
export interface CreateResponseOptions {
  /**
   * The To tag to add when the request's To has none (section 8.2.6.2: every response but 100
   * carries one). Leave out for a 100 Trying.
   */
  readonly toTag?: string;
  /** Extra header fields appended after the copied ones. */
  readonly headers?: Iterable<readonly [name: string, value: string]>;
  readonly body?: Uint8Array;
}

/**
 * A response to `request` with Via (every value, in order), From, To, Call-ID and CSeq copied
 * (RFC 3261 section 8.2.6.2), and a To tag added when asked and missing. Timestamp is not echoed.
 *
 * @example
 * ```ts
 * const ok = createResponse(request, 200, "OK", { toTag: "a6c85cf", headers: [["Expires", "600"]] });
 * ```
 */
export function createResponse(
  request: SipMessage,
  status: number,
  reason: string,
  options: CreateResponseOptions = {},
): SipMessage {
  const fields: Array<readonly [string, string]> = [];
  const headers = request.headers;
  const addTag = options.toTag !== undefined && !toHasTag(request);
  for (const key of COPIED) {
    for (let i = 0; i < headers.length; i++) {
      if (headers.key(i) !== key) continue;
      let value = headers.value(i);
      // RFC 3261 section 8.2.6.2: a To without a tag gets one in every response but 100
      if (key === "to" && addTag) {
        value = `${value};tag=${options.toTag}`;
      }
      fields.push([headers.name(i), value]);
    }
  }
  if (options.headers !== undefined) { for (const field of options.headers) fields.push(field); }
  return SipMessage.response({
    status,
    reason,
    headers: fields,
    ...(options.body !== undefined ? { body: options.body } : {}),
  });
}

function toHasTag(request: SipMessage): boolean {
  try {
    return hasParam(request.to().params, "tag");
  } catch {
    return false; // a To that does not parse is copied as it is, without a tag
  }
}

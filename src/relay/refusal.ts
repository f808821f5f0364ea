/**
 * The error answer a TURN request handler decides on, and the helpers that raise it.
 *
 * @module
 */
import { type StunAddress, StunErrorCode } from "../codec/stun/mod.ts";
import type { HostPort } from "./five_tuple.ts";
import type { RefusalReason } from "./turn_actions.ts";

/**
 * Thrown inside request handling to answer with an error response; the TurnServer catches it and
 * never lets it escape.
 *
 * @example
 * ```ts
 * throw new Refusal(StunErrorCode.Forbidden, "forbidden");
 * ```
 */
export class Refusal {
  constructor(
    readonly code: number,
    readonly reason: RefusalReason,
    readonly text?: string,
  ) {}
}

/**
 * Runs an attribute decode inside a handler: a malformed attribute is a 400 (RFC 8489 section
 * 6.3.1).
 *
 * @example
 * ```ts
 * const lifetime = attempt(() => decodeLifetime(message, at));
 * ```
 */
export function attempt<T>(decode: () => T): T {
  try {
    return decode();
  } catch {
    throw new Refusal(StunErrorCode.BadRequest, "bad_request", "Malformed attribute");
  }
}

/**
 * A host and port as a STUN address, the family read from the literal.
 *
 * @example
 * ```ts
 * stunAddress({ host: "192.0.2.7", port: 5000 }); // { family: 4, host: "192.0.2.7", port: 5000 }
 * ```
 */
export function stunAddress(address: HostPort): StunAddress {
  return { family: address.host.includes(":") ? 6 : 4, host: address.host, port: address.port };
}

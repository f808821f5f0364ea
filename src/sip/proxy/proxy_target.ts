/**
 * Where a proxied request goes (RFC 3261 section 16.5): the target set a TargetResolver builds
 * from the location service, the overlay or the Request-URI itself.
 *
 * @module
 */
import type { SipMessage } from "../../codec/sip/mod.ts";
import type { SipAddress } from "../via_handling.ts";

/** One branch's target. */
export interface ProxyTarget {
  /** The Request-URI of the forwarded request (section 16.6 step 2). */
  readonly uri: string;
  /** Where to send it when no Route remains (a phone's flow, a peer's address). */
  readonly destination: SipAddress;
  /** Route values to put first (a binding's Path, RFC 3327 section 5.3). */
  readonly routes?: readonly string[];
  /**
   * Further addresses of the same target, tried in order when the destination answers 503 or
   * does not answer (RFC 3263 section 4.3: the next SRV or A/AAAA record).
   */
  readonly alternates?: readonly SipAddress[];
}

/** The resolver's answer: targets, or the final response the proxy sends instead. */
export type TargetResolution =
  | { readonly kind: "targets"; readonly targets: readonly ProxyTarget[] }
  | { readonly kind: "refuse"; readonly status: number; readonly reason: string };

/** Builds the target set of a request the proxy has to route by its Request-URI. */
export interface TargetResolver {
  resolve(request: SipMessage, options: { signal: AbortSignal }): Promise<TargetResolution>;
  /** The address to send to for a URI (the next hop of a Route), or undefined if unknown. */
  addressOf(uri: string): SipAddress | undefined;
}

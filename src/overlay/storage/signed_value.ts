/**
 * A stored value signed by the storing node (RFC 6940 section 7.1: every StoredData carries the
 * storer's signature over resource, kind, storage time and value), as the services that publish
 * in the overlay make them: the relay advertiser, the SIP registrations, the test harnesses.
 *
 * @module
 */
import {
  encodeStoredDataToBeSigned,
  type StoredData,
  type StoredValue,
} from "../../codec/overlay/messages/stored_data.ts";
import type { NodeKey } from "../../identity/node_key.ts";
import { SignatureDomain, signInDomain } from "../../identity/signatures.ts";

/**
 * `value` of `kind` at `resource`, stored now (`nowMs`, wall clock) for `lifetime` seconds and
 * signed with `key`.
 *
 * @example
 * ```ts
 * const stored = signStoredValue(key, resource, TURN_SERVICE.id, { model: "single", exists: true, data }, {
 *   nowMs: clock.now(),
 *   lifetime: 600,
 * });
 * ```
 */
export function signStoredValue(
  key: NodeKey,
  resource: Uint8Array,
  kind: number,
  value: StoredValue,
  options: { readonly nowMs: number; readonly lifetime: number },
): StoredData {
  const storageTime = Math.floor(options.nowMs / 1000);
  const sig = signInDomain(
    key.privateKey,
    SignatureDomain.StoredData,
    encodeStoredDataToBeSigned(resource, kind, storageTime, value),
  );
  return {
    storageTime,
    lifetime: options.lifetime,
    value,
    signature: { signerKey: key.publicKeyRaw, sig },
  };
}

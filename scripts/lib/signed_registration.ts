// A SIP-REGISTRATION value as a serving peer stores it (RFC 7904: a dictionary entry keyed by the
// peer's node id), signed with the peer's key. Shared by the simulator and the overlay tests.
import type { StoredData } from "../../src/codec/overlay/messages/stored_data.ts";
import type { NodeKey } from "../../src/identity/node_key.ts";
import { SIP_REGISTRATION } from "../../src/overlay/storage/kinds.ts";
import { signStoredValue } from "../../src/overlay/storage/signed_value.ts";

/** The signed registration of `contact` at `resource`, stored at `nowMs` (wall-clock ms). */
export function signedRegistration(
  key: NodeKey,
  resource: Uint8Array,
  contact: string,
  nowMs: number,
  lifetime = 3600,
): StoredData {
  const value = {
    model: "dictionary" as const,
    key: key.nodeId,
    exists: true,
    data: new TextEncoder().encode(contact),
  };
  return signStoredValue(key, resource, SIP_REGISTRATION.id, value, { nowMs, lifetime });
}

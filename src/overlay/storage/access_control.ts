// RFC 6940 section 7.3 access control policies, plus NODE-DICTIONARY-KEY (see kinds.ts): whether
// the signer of a stored value may write it at a resource. The signature itself is checked by the
// caller first; this only compares ids.
import type { StoredValue } from "../../codec/overlay/messages/stored_data.ts";
import { resourceId as hashToResourceId } from "../../identity/resource_id.ts";
import { equalBytes, toHex as hex } from "./bytes.ts";
import type { KindDefinition } from "./kinds.ts";
import { StorageError } from "./storage_error.ts";

/** Who signed a value: its node id, and its user name when one is known (from a certificate). */
export interface StorageSigner {
  readonly nodeId: Uint8Array;
  readonly userName?: string;
}

/**
 * H(node id): the one resource id a node may write under NODE-MATCH (RFC 6940 section 7.3.2).
 *
 * @example
 * ```ts
 * nodeMatchResourceId(nodeKey.nodeId); // 16 bytes
 * ```
 */
export function nodeMatchResourceId(nodeId: Uint8Array): Uint8Array {
  return hashToResourceId(nodeId);
}

/**
 * H(node id || i), i as 4 bytes big-endian: the i-th resource id a node may write under
 * NODE-MULTIPLE (RFC 6940 section 7.3.4), e.g. where a relay advertises TURN-SERVICE.
 *
 * @example
 * ```ts
 * const at = nodeMultipleResourceId(nodeKey.nodeId, 3); // TURN-SERVICE slot 3
 * ```
 */
export function nodeMultipleResourceId(nodeId: Uint8Array, index: number): Uint8Array {
  if (!Number.isInteger(index) || index < 0 || index > 0xffff_ffff) {
    throw new RangeError(`Cannot hash node id with index ${index}: not a uint32`);
  }
  const input = new Uint8Array(nodeId.length + 4);
  input.set(nodeId, 0);
  new DataView(input.buffer).setUint32(nodeId.length, index, false);
  return hashToResourceId(input);
}

/** The USER-MATCH check shared by USER-MATCH and USER-NODE-MATCH (RFC 6940 section 7.3.1). */
function checkUserMatch(
  kind: KindDefinition,
  resourceId: Uint8Array,
  signer: StorageSigner,
): void {
  if (signer.userName === undefined) {
    throw new StorageError(
      "forbidden",
      `Cannot store kind ${kind.id}: ${kind.accessPolicy} needs the signer's user name, and none is known`,
      { kind: kind.id },
    );
  }
  if (!equalBytes(resourceId, hashToResourceId(signer.userName))) {
    throw new StorageError(
      "forbidden",
      `Cannot store kind ${kind.id}: resource ${hex(resourceId)} is not H(user name) of the signer`,
      { kind: kind.id },
    );
  }
}

/** The dictionary-key check of USER-NODE-MATCH and NODE-DICTIONARY-KEY. */
function checkKeyIsNode(kind: KindDefinition, value: StoredValue, signer: StorageSigner): void {
  if (value.model !== "dictionary") {
    throw new StorageError(
      "wrong-model",
      `Cannot store kind ${kind.id}: ${kind.accessPolicy} needs a dictionary value, got ${value.model}`,
      { kind: kind.id },
    );
  }
  if (!equalBytes(value.key, signer.nodeId)) {
    throw new StorageError(
      "forbidden",
      `Cannot store kind ${kind.id}: dictionary key ${hex(value.key)} is not the signer's node id ${
        hex(signer.nodeId)
      }`,
      { kind: kind.id },
    );
  }
}

/**
 * Checks that `signer` may write `value` of `kind` at `resourceId` under the kind's access policy
 * (RFC 6940 section 7.3: a storing peer MUST refuse values that fail it); throws
 * StorageError("forbidden") with the reason, or returns.
 *
 * @example
 * ```ts
 * checkAccess(SIP_REGISTRATION, resourceId("sip:alice@mesh.example.org"),
 *   { model: "dictionary", key: node.nodeId, exists: true, data }, { nodeId: node.nodeId });
 * ```
 */
export function checkAccess(
  kind: KindDefinition,
  resourceId: Uint8Array,
  value: StoredValue,
  signer: StorageSigner,
): void {
  switch (kind.accessPolicy) {
    case "USER-MATCH":
      checkUserMatch(kind, resourceId, signer);
      return;
    case "USER-NODE-MATCH":
      checkUserMatch(kind, resourceId, signer);
      checkKeyIsNode(kind, value, signer);
      return;
    case "NODE-DICTIONARY-KEY":
      checkKeyIsNode(kind, value, signer);
      return;
    case "NODE-MATCH":
      if (!equalBytes(resourceId, nodeMatchResourceId(signer.nodeId))) {
        throw new StorageError(
          "forbidden",
          `Cannot store kind ${kind.id}: resource ${hex(resourceId)} is not H(signer's node id)`,
          { kind: kind.id },
        );
      }
      return;
    case "NODE-MULTIPLE": {
      const max = kind.maxNodeMultiple ?? 0;
      for (let i = 0; i < max; i++) {
        if (equalBytes(resourceId, nodeMultipleResourceId(signer.nodeId, i))) return;
      }
      throw new StorageError(
        "forbidden",
        `Cannot store kind ${kind.id}: resource ${
          hex(resourceId)
        } is not H(signer's node id || i) for any i below ${max}`,
        { kind: kind.id },
      );
    }
    default:
      throw new StorageError(
        "forbidden",
        `Cannot store kind ${kind.id}: unknown access policy ${
          String((kind as { accessPolicy: unknown }).accessPolicy)
        }`,
        { kind: kind.id },
      );
  }
}

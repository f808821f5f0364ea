import type { CborValue } from "../cbor/cbor_codec.ts";
import { NODE_ID_BYTES, RESOURCE_ID_BYTES } from "./constants.ts";
import { OverlayDecodeError, OverlayEncodeError } from "./overlay_errors.ts";
import { asArray, asBytes, asUint } from "./shape.ts";

/**
 * RFC 6940 section 6.3.2.2 Destination: a node, a resource, or a compressed opaque id.
 * Wire form (overlay.cddl `destination`): a node id is a bare 16-byte string (the common case in
 * via lists), a resource is `[2, id]`, a compressed opaque id is an unsigned integer below 2^16.
 */
export type Destination =
  | { readonly type: "node"; readonly id: Uint8Array }
  | { readonly type: "resource"; readonly id: Uint8Array }
  | { readonly type: "opaque"; readonly id: number };

const RESOURCE_TAG = 2;

export function encodeDestination(destination: Destination): CborValue {
  switch (destination.type) {
    case "node":
      if (destination.id.length !== NODE_ID_BYTES) {
        throw new OverlayEncodeError(`node id of ${destination.id.length} bytes`);
      }
      return destination.id;
    case "resource":
      if (destination.id.length !== RESOURCE_ID_BYTES) {
        throw new OverlayEncodeError(`resource id of ${destination.id.length} bytes`);
      }
      return [RESOURCE_TAG, destination.id];
    case "opaque":
      if (!Number.isInteger(destination.id) || destination.id < 0 || destination.id > 0xffff) {
        throw new OverlayEncodeError(`opaque id ${destination.id} is not a 16-bit value`);
      }
      return destination.id;
  }
}

export function decodeDestination(value: CborValue, place: string): Destination {
  if (value instanceof Uint8Array) {
    return { type: "node", id: asBytes(value, place, NODE_ID_BYTES, NODE_ID_BYTES) };
  }
  if (typeof value === "number") return { type: "opaque", id: asUint(value, place, 0xffff) };
  if (Array.isArray(value)) {
    const [tag, id] = asArray(value, place, 2, 2);
    if (tag !== RESOURCE_TAG) {
      throw new OverlayDecodeError(`${place}[0]`, `unknown destination type ${String(tag)}`);
    }
    return {
      type: "resource",
      id: asBytes(id, `${place}[1]`, RESOURCE_ID_BYTES, RESOURCE_ID_BYTES),
    };
  }
  throw new OverlayDecodeError(place, "expected a node id, [2, resource id] or a compressed id");
}

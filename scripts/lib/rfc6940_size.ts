// Sizes the same messages would have in RFC 6940's binary (TLS presentation language) encoding,
// computed from the RFC's structures, for the codec benchmark's comparison. Lower bounds: RELOAD
// carries X.509 certificates in the security block, counted here as absent (cached by receivers),
// and its Ed25519-sized signature is taken as 64 bytes.
import type { Destination } from "../../src/codec/overlay/destination.ts";
import { MessageCode } from "../../src/codec/overlay/constants.ts";
import type { MessageBody } from "../../src/codec/overlay/message_body.ts";
import type { StoredData } from "../../src/codec/overlay/messages/stored_data.ts";
import type { DataSelector } from "../../src/codec/overlay/messages/specifier.ts";

const utf8 = (s: string) => new TextEncoder().encode(s).length;

/** Section 6.3.2: 38 fixed bytes (relo_token .. options_length), then the lists. */
export function forwardingHeaderSize(
  destinations: readonly Destination[],
  via: readonly Destination[],
): number {
  return 38 + [...destinations, ...via].reduce((n, d) => n + destinationSize(d), 0);
}

/** Section 6.3.2.2: a compressed id is 2 bytes; others type + length + value (ResourceId has its own length byte). */
export function destinationSize(destination: Destination): number {
  if (destination.type === "opaque") return 2;
  return destination.type === "node" ? 2 + 16 : 2 + 1 + 16;
}

/**
 * Section 6.3.4 SecurityBlock without certificates: certificates length (2), signature algorithm
 * (2), SignerIdentity of type cert_hash (1 + 2 + 1 + 1 + 32), signature value (2 + 64).
 */
export const SECURITY_BLOCK_BYTES = 2 + 2 + (1 + 2 + 1 + 1 + 32) + 2 + 64;

/** Section 6.3.3 MessageContents: code (2) + body length (4) + body + extensions length (4). */
export function messageContentsSize(bodySize: number): number {
  return 2 + 4 + bodySize + 4;
}

const signatureSize = SECURITY_BLOCK_BYTES - 2; // a Signature structure without the certificate list
const resourceIdSize = 1 + 16;
const nodeIds = (n: number) => 2 + 16 * n;

function storedDataSize(stored: StoredData): number {
  const v = stored.value;
  const dataValue = 1 + 4 + v.data.length; // exists + opaque<0..2^32-1>
  const value = v.model === "single"
    ? dataValue
    : v.model === "array"
    ? 4 + dataValue
    : 2 + v.key.length + dataValue;
  return 4 + 8 + 4 + value + signatureSize; // length, storage_time, lifetime, value, signature
}

function selectorSize(selector: DataSelector): number {
  switch (selector.model) {
    case "single":
      return 0;
    case "array":
      return 2 + 8 * selector.ranges.length;
    case "dictionary":
      return 2 + selector.keys.reduce((n, k) => n + 2 + k.length, 0);
  }
}

/** The message_body of `body` in RFC 6940's encoding (Chord-RELOAD structures for the topology messages). */
export function rfc6940BodySize(body: MessageBody): number {
  switch (body.code) {
    case MessageCode.PingReq:
      return 2 + body.padding.length;
    case MessageCode.PingAns:
      return 8 + 8;
    case MessageCode.JoinReq:
      return 16 + 2 + body.overlayData.length;
    case MessageCode.JoinAns:
      return 2 + body.overlayData.length;
    case MessageCode.LeaveReq:
      return 16 + 2 + (1 + nodeIds(body.neighbors.length)); // ChordLeaveData
    case MessageCode.UpdateReq:
      return 4 + 1 + nodeIds(body.predecessors.length) + nodeIds(body.successors.length) +
        nodeIds(body.fingers.length);
    case MessageCode.RouteQueryReq:
      return 1 + destinationSize(body.destination) + 2 + body.overlayData.length;
    case MessageCode.RouteQueryAns:
      return 16;
    case MessageCode.StoreReq:
      return resourceIdSize + 1 + 4 +
        body.kindData.reduce(
          (n, k) => n + 4 + 8 + 4 + k.values.reduce((m, s) => m + storedDataSize(s), 0),
          0,
        );
    case MessageCode.StoreAns:
      return 2 + body.kindResponses.reduce((n, r) => n + 4 + 8 + nodeIds(r.replicas.length), 0);
    case MessageCode.FetchReq:
    case MessageCode.StatReq:
      return resourceIdSize + 2 +
        body.specifiers.reduce((n, s) => n + 4 + 8 + 2 + selectorSize(s.selector), 0);
    case MessageCode.FetchAns:
      return 4 +
        body.kindData.reduce(
          (n, k) => n + 4 + 8 + 4 + k.values.reduce((m, s) => m + storedDataSize(s), 0),
          0,
        );
    case MessageCode.StatAns:
      return 4 + body.kindResponses.reduce((n, r) =>
        n + 4 + 8 + 4 + r.values.reduce((m, v) => {
          const meta = 1 + 4 + 1 + 1 + v.meta.hash.length; // exists, value_length, hash_algorithm, hash_value
          const model = v.meta.model === "single"
            ? 0
            : v.meta.model === "array"
            ? 4
            : 2 + v.meta.key.length;
          return m + 4 + 8 + 4 + model + meta;
        }, 0), 0);
    case MessageCode.FindReq:
      return resourceIdSize + 1 + 4 * body.kinds.length;
    case MessageCode.FindAns:
      return 2 + body.results.length * (4 + resourceIdSize);
    case MessageCode.AppAttachReq:
    case MessageCode.AppAttachAns:
      return 1 + utf8(body.ufrag) + 1 + utf8(body.password) + 2 + 1 + 2 +
        body.candidates.reduce((n, c) => {
          const addr = 2 + c.address.ip.length + 2;
          const related = c.relatedAddress === null ? 0 : 2 + c.relatedAddress.ip.length + 2;
          return n + addr + 1 + 1 + utf8(c.foundation) + 4 + 1 + related + 2;
        }, 0);
    case MessageCode.ConfigUpdateReq:
      return 1 + 4 +
        (body.type === 1
          ? 3 + body.configDocument.length
          : 3 + body.kindDescriptions.reduce((n, k) => n + 2 + k.length, 0));
    case MessageCode.Error:
      return 2 + 1 + utf8(body.reasonPhrase) + 2 + body.errorInfo.length;
    case MessageCode.LeaveAns:
    case MessageCode.UpdateAns:
    case MessageCode.ConfigUpdateAns:
      return 0;
  }
}

/** A whole RFC 6940 message: forwarding header, message contents and security block. */
export function rfc6940MessageSize(
  body: MessageBody,
  destinations: readonly Destination[],
  via: readonly Destination[] = [],
): number {
  return forwardingHeaderSize(destinations, via) + messageContentsSize(rfc6940BodySize(body)) +
    SECURITY_BLOCK_BYTES;
}

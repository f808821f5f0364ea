import { type CborValue, decodeCbor, encodeCbor } from "../cbor/cbor_codec.ts";
import { CborFormatError } from "../cbor/cbor_subset.ts";
import { ENVELOPE_CBOR_LIMITS } from "./cbor_limits.ts";
import {
  ADMISSION_MAC_BYTES,
  ErrorCode,
  MAX_DESTINATIONS,
  MAX_FORWARDING_OPTIONS,
  MAX_MESSAGE_BYTES,
  OVERLAY_PROTOCOL_VERSION,
  PUBLIC_KEY_BYTES,
  TRANSACTION_ID_BYTES,
} from "./constants.ts";
import { decodeDestination, type Destination, encodeDestination } from "./destination.ts";
import { OverlayDecodeError, OverlayEncodeError } from "./overlay_errors.ts";
import { asArray, asBytes, asCode, asList, asUint } from "./shape.ts";

/** Largest encoded enrollment certificate carried in an envelope. */
export const MAX_CERTIFICATE_BYTES = 256;

/** How the sender proves it was admitted to the overlay (see identity/admission.ts). */
export type AdmissionProof =
  | { readonly type: "none" }
  | { readonly type: "certificate"; readonly certificate: Uint8Array }
  | { readonly type: "mac"; readonly mac: Uint8Array };

/** RFC 6940 section 6.3.2.3 forwarding option: type, flags (0x01 FORWARD_CRITICAL, 0x02 DESTINATION_CRITICAL, 0x04 RESPONSE_COPY), data. */
export interface ForwardingOption {
  readonly type: number;
  readonly flags: number;
  readonly data: Uint8Array;
}

/**
 * The signed, end-to-end part of a message: RFC 6940's forwarding header fields that do not change
 * per hop, the sender's identity and admission proof, and the message body as opaque bytes, so
 * that the signature is verified before the body is decoded (overlay.cddl `envelope`).
 */
export interface Envelope {
  readonly overlayId: number;
  readonly transactionId: Uint8Array;
  readonly destinations: readonly Destination[];
  readonly options: readonly ForwardingOption[];
  /** RFC 6940 max_response_length; 0 means no limit. */
  readonly maxResponseLength: number;
  /** Seconds since the Unix epoch when the sender made the message (replay window). */
  readonly sentAt: number;
  /** The sender's raw Ed25519 public key; its node id is the first 16 bytes of SHA-256 of it. */
  readonly senderKey: Uint8Array;
  readonly admission: AdmissionProof;
  /** The encoded message body (message_body.ts). */
  readonly body: Uint8Array;
}

const PROOF_CERTIFICATE = 1;
const PROOF_MAC = 2;

function encodeProof(proof: AdmissionProof): CborValue {
  switch (proof.type) {
    case "none":
      return null;
    case "certificate":
      if (proof.certificate.length > MAX_CERTIFICATE_BYTES) {
        throw new OverlayEncodeError("certificate too large");
      }
      return [PROOF_CERTIFICATE, proof.certificate];
    case "mac":
      if (proof.mac.length !== ADMISSION_MAC_BYTES) {
        throw new OverlayEncodeError(`admission MAC of ${proof.mac.length} bytes`);
      }
      return [PROOF_MAC, proof.mac];
  }
}

function decodeProof(value: CborValue | undefined, place: string): AdmissionProof {
  if (value === null) return { type: "none" };
  const [type, data] = asArray(value, place, 2, 2);
  const code = asCode(type, `${place}[0]`, [PROOF_CERTIFICATE, PROOF_MAC]);
  return code === PROOF_CERTIFICATE
    ? { type: "certificate", certificate: asBytes(data, `${place}[1]`, 1, MAX_CERTIFICATE_BYTES) }
    : { type: "mac", mac: asBytes(data, `${place}[1]`, ADMISSION_MAC_BYTES, ADMISSION_MAC_BYTES) };
}

function checkUint(value: number, name: string, max = 0xffff_ffff): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new OverlayEncodeError(`${name} ${value} out of range`);
  }
}

/** Encodes an envelope; these bytes are what the sender signs. */
export function encodeEnvelope(envelope: Envelope): Uint8Array {
  if (envelope.transactionId.length !== TRANSACTION_ID_BYTES) {
    throw new OverlayEncodeError("transaction id must be 8 bytes");
  }
  if (envelope.senderKey.length !== PUBLIC_KEY_BYTES) {
    throw new OverlayEncodeError("sender key must be 32 bytes");
  }
  if (envelope.destinations.length < 1 || envelope.destinations.length > MAX_DESTINATIONS) {
    throw new OverlayEncodeError(
      `${envelope.destinations.length} destinations (1 to ${MAX_DESTINATIONS})`,
    );
  }
  if (envelope.options.length > MAX_FORWARDING_OPTIONS) {
    throw new OverlayEncodeError("too many forwarding options");
  }
  if (envelope.body.length > MAX_MESSAGE_BYTES) {
    throw new OverlayEncodeError(`body of ${envelope.body.length} bytes`);
  }
  checkUint(envelope.overlayId, "overlay id");
  checkUint(envelope.maxResponseLength, "max response length");
  checkUint(envelope.sentAt, "sent-at time");
  for (const o of envelope.options) {
    checkUint(o.type, "option type", 0xff);
    checkUint(o.flags, "option flags", 0xff);
  }
  return encodeCbor([
    OVERLAY_PROTOCOL_VERSION,
    envelope.overlayId,
    envelope.transactionId,
    envelope.destinations.map(encodeDestination),
    envelope.options.map((o) => [o.type, o.flags, o.data]),
    envelope.maxResponseLength,
    envelope.sentAt,
    envelope.senderKey,
    encodeProof(envelope.admission),
    envelope.body,
  ]);
}

/** Decodes an envelope; the body stays bytes until the signature over these bytes is verified. */
export function decodeEnvelope(bytes: Uint8Array): Envelope {
  let value: CborValue;
  try {
    value = decodeCbor(bytes, ENVELOPE_CBOR_LIMITS);
  } catch (error) {
    if (error instanceof CborFormatError) {
      throw new OverlayDecodeError(`envelope byte ${error.offset}`, error.message);
    }
    throw error;
  }
  const fields = asArray(value, "envelope", 1, 10);
  const version = asUint(fields[0], "envelope.version");
  if (version !== OVERLAY_PROTOCOL_VERSION) {
    throw new OverlayDecodeError(
      "envelope.version",
      `version ${version}, this node speaks ${OVERLAY_PROTOCOL_VERSION}`,
      ErrorCode.IncompatibleWithOverlay,
    );
  }
  asArray(value, "envelope", 10, 10);
  return {
    overlayId: asUint(fields[1], "envelope.overlayId"),
    transactionId: asBytes(
      fields[2],
      "envelope.transactionId",
      TRANSACTION_ID_BYTES,
      TRANSACTION_ID_BYTES,
    ),
    destinations: (() => {
      const list = asList(fields[3], "envelope.destinations", MAX_DESTINATIONS, decodeDestination);
      if (list.length === 0) {
        throw new OverlayDecodeError("envelope.destinations", "expected at least one destination");
      }
      return list;
    })(),
    options: asList(fields[4], "envelope.options", MAX_FORWARDING_OPTIONS, (o, place) => {
      const [type, flags, data] = asArray(o, place, 3, 3);
      return {
        type: asUint(type, `${place}[0]`, 0xff),
        flags: asUint(flags, `${place}[1]`, 0xff),
        data: asBytes(data, `${place}[2]`, 0, 255),
      };
    }),
    maxResponseLength: asUint(fields[5], "envelope.maxResponseLength"),
    sentAt: asUint(fields[6], "envelope.sentAt"),
    senderKey: asBytes(fields[7], "envelope.senderKey", PUBLIC_KEY_BYTES, PUBLIC_KEY_BYTES),
    admission: decodeProof(fields[8], "envelope.admission"),
    body: asBytes(fields[9], "envelope.body", 1, MAX_MESSAGE_BYTES),
  };
}

// Enrollment certificate: the operator's statement "this node key may join this overlay in these
// roles until then". It plays the part of RFC 6940 section 11.3's enrollment-server certificate in
// a form small enough to ride in every envelope (overlay.cddl `admission-proof`):
//
//   enrollment-certificate = [
//     version: 1,
//     overlay-id: uint .size 4,
//     node-public-key: bstr .size 32,        ; Ed25519; node id = SHA-256(key)[0..16]
//     roles: uint .le 7,                     ; bitmask: 1 peer, 2 relay, 4 proxy; at least one
//     not-after: uint .size 4,               ; seconds since the Unix epoch, inclusive
//     operator-signature: bstr .size 64,     ; Ed25519 over the first five items, see below
//   ]
//
// The signature covers encodeCertificateToBeSigned(): the deterministic CBOR array of the first
// five items, signed in SignatureDomain.EnrollmentCertificate (identity/enrollment.ts). The subset
// decoder only accepts shortest forms, so re-encoding decoded fields gives back exactly the bytes
// that were signed.
import { type CborValue, decodeCbor, encodeCbor } from "../cbor/cbor_codec.ts";
import { CborFormatError, type CborSubsetLimits } from "../cbor/cbor_subset.ts";
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from "./constants.ts";
import { MAX_CERTIFICATE_BYTES } from "./envelope.ts";
import { OverlayDecodeError, OverlayEncodeError } from "./overlay_errors.ts";
import { asArray, asBytes, asUint } from "./shape.ts";

/** Version of the certificate format (its first item). */
export const CERTIFICATE_VERSION = 1;

/** What an enrolled node may do in the overlay; a certificate's `roles` is a bitmask of these. */
export const Role = {
  /** Joins the ring, routes and stores (RFC 6940 peer). */
  Peer: 1,
  /** Offers a STUN/TURN relay to others. */
  Relay: 2,
  /** Acts as a SIP Proxy Peer for phones and ordinary SIP domains. */
  Proxy: 4,
} as const;
export type Role = (typeof Role)[keyof typeof Role];

/** Every role bit; a certificate with any other bit set is refused. */
export const ALL_ROLES = Role.Peer | Role.Relay | Role.Proxy;

/** The signed content of a certificate. */
export interface CertificateFields {
  readonly overlayId: number;
  /** Raw 32-byte Ed25519 public key of the enrolled node. */
  readonly nodePublicKey: Uint8Array;
  /** Bitmask of Role values, at least one. */
  readonly roles: number;
  /** Last second (since the Unix epoch) at which the certificate is valid. */
  readonly notAfter: number;
}

/** A certificate: its fields and the operator's 64-byte Ed25519 signature over them. */
export interface EnrollmentCertificate extends CertificateFields {
  readonly signature: Uint8Array;
}

// A flat array of six items; anything deeper or longer is not a certificate.
const CERTIFICATE_CBOR_LIMITS: CborSubsetLimits = { maxDepth: 1, maxArrayItems: 6, maxItems: 7 };

function checkFields(fields: CertificateFields): void {
  const { overlayId, nodePublicKey, roles, notAfter } = fields;
  if (!Number.isInteger(overlayId) || overlayId < 0 || overlayId > 0xffff_ffff) {
    throw new OverlayEncodeError(`certificate overlay id ${overlayId} is not a 32-bit value`);
  }
  if (nodePublicKey.length !== PUBLIC_KEY_BYTES) {
    throw new OverlayEncodeError(`certificate node key of ${nodePublicKey.length} bytes`);
  }
  if (!Number.isInteger(roles) || roles < 1 || (roles & ~ALL_ROLES) !== 0) {
    throw new OverlayEncodeError(`certificate roles ${roles} (expected a bitmask from 1 to 7)`);
  }
  if (!Number.isInteger(notAfter) || notAfter < 0 || notAfter > 0xffff_ffff) {
    throw new OverlayEncodeError(`certificate not-after ${notAfter} is not a 32-bit time`);
  }
}

/**
 * The bytes the operator signs: the deterministic CBOR array of the first five items.
 *
 * @example
 * ```ts
 * const tbs = encodeCertificateToBeSigned({ overlayId, nodePublicKey, roles: Role.Peer, notAfter });
 * ```
 */
export function encodeCertificateToBeSigned(fields: CertificateFields): Uint8Array {
  checkFields(fields);
  return encodeCbor([
    CERTIFICATE_VERSION,
    fields.overlayId,
    fields.nodePublicKey,
    fields.roles,
    fields.notAfter,
  ]);
}

/**
 * Encodes a signed certificate (at most MAX_CERTIFICATE_BYTES; in practice 113 bytes).
 *
 * @example
 * ```ts
 * const bytes = encodeEnrollmentCertificate({ ...fields, signature });
 * ```
 */
export function encodeEnrollmentCertificate(certificate: EnrollmentCertificate): Uint8Array {
  checkFields(certificate);
  if (certificate.signature.length !== SIGNATURE_BYTES) {
    throw new OverlayEncodeError(`certificate signature of ${certificate.signature.length} bytes`);
  }
  const bytes = encodeCbor([
    CERTIFICATE_VERSION,
    certificate.overlayId,
    certificate.nodePublicKey,
    certificate.roles,
    certificate.notAfter,
    certificate.signature,
  ]);
  if (bytes.length > MAX_CERTIFICATE_BYTES) {
    throw new OverlayEncodeError(`certificate of ${bytes.length} bytes`);
  }
  return bytes;
}

/**
 * Decodes a certificate's shape; it does not check the signature (identity/enrollment.ts does).
 * Throws OverlayDecodeError naming the place: "certificate byte 3", "certificate.roles", ...
 *
 * @example
 * ```ts
 * const { nodePublicKey, notAfter } = decodeEnrollmentCertificate(bytes);
 * ```
 */
export function decodeEnrollmentCertificate(bytes: Uint8Array): EnrollmentCertificate {
  if (bytes.length > MAX_CERTIFICATE_BYTES) {
    throw new OverlayDecodeError(
      "certificate",
      `${bytes.length} bytes, more than ${MAX_CERTIFICATE_BYTES}`,
    );
  }
  let value: CborValue;
  try {
    value = decodeCbor(bytes, CERTIFICATE_CBOR_LIMITS);
  } catch (error) {
    if (error instanceof CborFormatError) {
      throw new OverlayDecodeError(`certificate byte ${error.offset}`, error.message);
    }
    throw error;
  }
  const items = asArray(value, "certificate", 1, 6);
  const version = asUint(items[0], "certificate.version");
  if (version !== CERTIFICATE_VERSION) {
    throw new OverlayDecodeError(
      "certificate.version",
      `version ${version}, this node reads ${CERTIFICATE_VERSION}`,
    );
  }
  asArray(value, "certificate", 6, 6);
  const roles = asUint(items[3], "certificate.roles", ALL_ROLES);
  if (roles === 0) throw new OverlayDecodeError("certificate.roles", "expected at least one role");
  return {
    overlayId: asUint(items[1], "certificate.overlayId"),
    nodePublicKey: asBytes(
      items[2],
      "certificate.nodePublicKey",
      PUBLIC_KEY_BYTES,
      PUBLIC_KEY_BYTES,
    ),
    roles,
    notAfter: asUint(items[4], "certificate.notAfter"),
    signature: asBytes(items[5], "certificate.signature", SIGNATURE_BYTES, SIGNATURE_BYTES),
  };
}

/**
 * Cheap sniffer: whether `bytes` starts like a version-1 certificate (a six-item array whose
 * first item is 1). A true answer still needs decodeEnrollmentCertificate.
 */
export function isEnrollmentCertificate(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x86 && bytes[1] === CERTIFICATE_VERSION;
}

/** Role names, in bit order, as the CLI and logs spell them. */
export const ROLE_NAMES: Readonly<Record<string, Role>> = {
  peer: Role.Peer,
  relay: Role.Relay,
  proxy: Role.Proxy,
};

/** "peer,relay" for Role.Peer | Role.Relay. */
export function formatRoles(roles: number): string {
  return Object.entries(ROLE_NAMES).filter(([, bit]) => (roles & bit) !== 0).map(([name]) => name)
    .join(",");
}

// Operator enrollment (RFC 6940 section 11.3, "enrollment server" in spirit): the overlay's
// operator signs a small certificate for each node key it admits; peers refuse messages from
// nodes without a valid one. The certificate format is codec/overlay/enrollment_certificate.ts.
import type { KeyObject } from "node:crypto";
import {
  type CertificateFields,
  decodeEnrollmentCertificate,
  encodeCertificateToBeSigned,
  encodeEnrollmentCertificate,
  type EnrollmentCertificate,
  formatRoles,
} from "../codec/overlay/enrollment_certificate.ts";
import { OverlayDecodeError } from "../codec/overlay/overlay_errors.ts";
import { AdmissionError } from "./admission_error.ts";
import { nodeIdFromPublicKey } from "./node_key.ts";
import { formatOverlayId } from "./overlay_id.ts";
import { SignatureDomain, signInDomain, verifyInDomain } from "./signatures.ts";

/** What to certify, and the operator's private key to sign it with. */
export interface IssueCertificateOptions extends CertificateFields {
  /** The operator's Ed25519 private key. */
  readonly operatorKey: KeyObject;
}

/**
 * Issues an enrollment certificate: signs the fields with the operator key in
 * SignatureDomain.EnrollmentCertificate and returns the encoded certificate.
 *
 * @example
 * ```ts
 * const cert = issueCertificate({
 *   operatorKey: operator.privateKey, nodePublicKey: node.publicKeyRaw,
 *   overlayId: overlayIdForConfig(config), roles: Role.Peer | Role.Relay, notAfter: now + 365 * 86400,
 * });
 * ```
 */
export function issueCertificate(options: IssueCertificateOptions): Uint8Array {
  const { operatorKey, ...fields } = options;
  if (operatorKey.type !== "private" || operatorKey.asymmetricKeyType !== "ed25519") {
    throw new TypeError(
      "Cannot issue a certificate: the operator key must be an Ed25519 private key",
    );
  }
  const signature = signInDomain(
    operatorKey,
    SignatureDomain.EnrollmentCertificate,
    encodeCertificateToBeSigned(fields),
  );
  return encodeEnrollmentCertificate({ ...fields, signature });
}

/** What a certificate must say to be accepted. */
export interface CertificateExpectation {
  /** The overlay's operator public key (raw 32 bytes). */
  readonly operatorPublicKey: Uint8Array;
  /** Our overlay id. */
  readonly overlayId: number;
  /** The key of the node presenting the certificate (the envelope's sender key). */
  readonly nodePublicKey: Uint8Array;
  /** Current time, seconds since the Unix epoch. */
  readonly now: number;
  /** Role bits the certificate must all grant; default none beyond being enrolled. */
  readonly requiredRoles?: number;
}

/** A certificate that passed every check. */
export interface CertificateCheck {
  readonly certificate: EnrollmentCertificate;
  /** Node id of the certified key. */
  readonly nodeId: Uint8Array;
  readonly roles: number;
  readonly notAfter: number;
}

/**
 * Decodes a certificate and verifies the operator's signature; the claims are not checked yet.
 * Throws AdmissionError `bad-certificate` or `wrong-operator`.
 */
export function decodeSignedCertificate(
  bytes: Uint8Array,
  operatorPublicKey: Uint8Array,
): EnrollmentCertificate {
  let certificate: EnrollmentCertificate;
  try {
    certificate = decodeEnrollmentCertificate(bytes);
  } catch (error) {
    if (error instanceof OverlayDecodeError) {
      throw new AdmissionError("bad-certificate", error.message, { cause: error });
    }
    throw error;
  }
  // Deterministic CBOR: the re-encoded fields are exactly the bytes the operator signed.
  const signed = verifyInDomain(
    operatorPublicKey,
    SignatureDomain.EnrollmentCertificate,
    encodeCertificateToBeSigned(certificate),
    certificate.signature,
  );
  if (!signed) {
    throw new AdmissionError(
      "wrong-operator",
      "the signature does not verify with the overlay's operator key (another operator's, or altered)",
    );
  }
  return certificate;
}

/**
 * Checks the claims of a certificate whose signature is already verified: overlay, node key,
 * expiry (not-after is inclusive), roles. Throws AdmissionError.
 */
export function checkCertificateClaims(
  certificate: EnrollmentCertificate,
  expected: Omit<CertificateExpectation, "operatorPublicKey">,
): CertificateCheck {
  if (certificate.overlayId !== expected.overlayId) {
    throw new AdmissionError(
      "wrong-overlay",
      `certificate is for overlay ${formatOverlayId(certificate.overlayId)}, this is ${
        formatOverlayId(expected.overlayId)
      }`,
    );
  }
  if (!sameBytes(certificate.nodePublicKey, expected.nodePublicKey)) {
    throw new AdmissionError("foreign-certificate", "certificate was issued to another node key");
  }
  if (expected.now > certificate.notAfter) {
    throw new AdmissionError(
      "expired",
      `certificate expired at ${new Date(certificate.notAfter * 1000).toISOString()}`,
    );
  }
  const required = expected.requiredRoles ?? 0;
  if ((certificate.roles & required) !== required) {
    throw new AdmissionError(
      "missing-role",
      `certificate grants ${formatRoles(certificate.roles)}, needed ${formatRoles(required)}`,
    );
  }
  return {
    certificate,
    nodeId: nodeIdFromPublicKey(certificate.nodePublicKey),
    roles: certificate.roles,
    notAfter: certificate.notAfter,
  };
}

/**
 * Verifies a certificate completely: well-formed, signed by our operator, for our overlay, for
 * this node key, not expired, granting `requiredRoles`. The signature is checked before any
 * claim, so every reason after `wrong-operator` is about content our operator really signed.
 * Throws AdmissionError (code OVERLAY_SECURITY) whose `reason` says which check failed.
 *
 * @example
 * ```ts
 * const { nodeId, roles } = verifyCertificate(bytes, {
 *   operatorPublicKey, overlayId, nodePublicKey: envelope.senderKey, now: clock.nowSeconds(),
 * });
 * ```
 */
export function verifyCertificate(
  bytes: Uint8Array,
  expected: CertificateExpectation,
): CertificateCheck {
  return checkCertificateClaims(
    decodeSignedCertificate(bytes, expected.operatorPublicKey),
    expected,
  );
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// Admission: who may take part in an overlay. Every envelope carries its sender's proof
// (envelope.ts AdmissionProof); a receiver checks it after the envelope signature, so the proof is
// bound to a key the sender holds. Three modes, chosen by `overlay.admission`:
// - operator: an enrollment certificate signed by the operator's key (identity/enrollment.ts);
// - shared-secret: an HMAC over the sender's key and the overlay id, keyed by a secret every node
//   of the overlay holds;
// - open: no proof at all, for closed test meshes only (RFC 6940 section 13.4: Sybil attacks).
import { createHmac, timingSafeEqual } from "node:crypto";
import { ADMISSION_MAC_BYTES, PUBLIC_KEY_BYTES } from "../codec/overlay/constants.ts";
import type { EnrollmentCertificate } from "../codec/overlay/enrollment_certificate.ts";
import type { AdmissionProof } from "../codec/overlay/envelope.ts";
import { BoundedMap } from "../core/bounded_map.ts";
import { AdmissionError } from "./admission_error.ts";
import { checkCertificateClaims, decodeSignedCertificate } from "./enrollment.ts";
import { formatOverlayId } from "./overlay_id.ts";

/** The admission modes `overlay.admission` selects. */
export type AdmissionMode = "open" | "shared-secret" | "operator";

/**
 * How this node proves its own admission and checks everyone else's.
 *
 * @example
 * ```ts
 * const envelope = { ...fields, senderKey: key.publicKeyRaw, admission: policy.proofFor(key.publicKeyRaw) };
 * policy.check(received.admission, received.senderKey, clock.nowSeconds()); // throws AdmissionError
 * ```
 */
export interface AdmissionPolicy {
  readonly mode: AdmissionMode;
  /** The proof this node puts in its own envelopes. */
  proofFor(nodePublicKey: Uint8Array): AdmissionProof;
  /**
   * Checks a received proof for the envelope's sender key (whose signature is already verified);
   * throws AdmissionError when the sender is not admitted.
   */
  check(proof: AdmissionProof, senderPublicKey: Uint8Array, nowSeconds: number): void;
}

const NO_PROOF: AdmissionProof = Object.freeze({ type: "none" });

function describeProof(proof: AdmissionProof): string {
  return proof.type === "none"
    ? "no proof"
    : proof.type === "certificate"
    ? "an enrollment certificate"
    : "a shared-secret MAC";
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Certificates whose operator signature has been verified, kept to skip re-verifying per message. */
export const DEFAULT_MAX_CACHED_CERTIFICATES = 256;

export interface OperatorAdmissionInit {
  /** This node's own encoded enrollment certificate. */
  readonly certificate: Uint8Array;
  /** The overlay operator's raw 32-byte Ed25519 public key (`overlay.operatorPublicKey`). */
  readonly operatorPublicKey: Uint8Array;
  readonly overlayId: number;
  /**
   * Role bits every sender's certificate must grant.
   * @default 0 (any enrolled node; actions that need a role check it where they happen)
   */
  readonly requiredRoles?: number;
  /** @default DEFAULT_MAX_CACHED_CERTIFICATES */
  readonly maxCachedCertificates?: number;
}

/**
 * `operator` admission: senders present an enrollment certificate signed by the overlay operator,
 * for this overlay, for their own key, not expired. The constructor checks that our own
 * certificate is well-formed, signed by the operator and for this overlay (AdmissionError
 * otherwise); whether it is for our key is checked by proofFor, its expiry is `certificate.notAfter`.
 *
 * @example
 * ```ts
 * const policy = new OperatorAdmission({ certificate, operatorPublicKey, overlayId });
 * ```
 */
export class OperatorAdmission implements AdmissionPolicy {
  readonly mode = "operator";
  /** Our own certificate, decoded. */
  readonly certificate: EnrollmentCertificate;
  #bytes: Uint8Array;
  #operatorPublicKey: Uint8Array;
  #overlayId: number;
  #requiredRoles: number;
  #verified: BoundedMap<string, EnrollmentCertificate>;

  constructor(init: OperatorAdmissionInit) {
    if (init.operatorPublicKey.length !== PUBLIC_KEY_BYTES) {
      throw new TypeError(
        `Operator public key must be ${PUBLIC_KEY_BYTES} bytes, got ${init.operatorPublicKey.length}`,
      );
    }
    this.#bytes = init.certificate.slice();
    this.#operatorPublicKey = init.operatorPublicKey.slice();
    this.#overlayId = init.overlayId;
    this.#requiredRoles = init.requiredRoles ?? 0;
    this.#verified = new BoundedMap({
      maxEntries: init.maxCachedCertificates ?? DEFAULT_MAX_CACHED_CERTIFICATES,
    });
    this.certificate = decodeSignedCertificate(this.#bytes, this.#operatorPublicKey);
    if (this.certificate.overlayId !== this.#overlayId) {
      throw new AdmissionError(
        "wrong-overlay",
        `our enrollment certificate is for overlay ${
          formatOverlayId(this.certificate.overlayId)
        }, this node's is ${formatOverlayId(this.#overlayId)}: enroll it for overlay.name`,
      );
    }
  }

  proofFor(nodePublicKey: Uint8Array): AdmissionProof {
    if (!sameBytes(nodePublicKey, this.certificate.nodePublicKey)) {
      throw new AdmissionError(
        "foreign-certificate",
        "our enrollment certificate was issued to another node key: enroll this node's key",
      );
    }
    return { type: "certificate", certificate: this.#bytes };
  }

  check(proof: AdmissionProof, senderPublicKey: Uint8Array, nowSeconds: number): void {
    if (proof.type !== "certificate") {
      throw new AdmissionError(
        "missing-proof",
        `expected an enrollment certificate, got ${describeProof(proof)}`,
      );
    }
    // Only certificates that verified are cached, keyed by their exact bytes: a hostile sender can
    // make us verify, but never make us skip a verification.
    const cacheKey = Buffer.from(proof.certificate).toString("base64");
    let certificate = this.#verified.get(cacheKey);
    if (certificate === undefined) {
      certificate = decodeSignedCertificate(proof.certificate, this.#operatorPublicKey);
      this.#verified.set(cacheKey, certificate);
    }
    checkCertificateClaims(certificate, {
      overlayId: this.#overlayId,
      nodePublicKey: senderPublicKey,
      now: nowSeconds,
      requiredRoles: this.#requiredRoles,
    });
  }
}

/** Shortest shared secret accepted (128 bits); `superpeer keygen --secret` makes 32 bytes. */
export const MIN_SHARED_SECRET_BYTES = 16;

// HMAC input prefix; the version lets a later format never collide with this one.
const MAC_LABEL = new TextEncoder().encode("superpeer/admission/v1\u0000");

export interface SharedSecretAdmissionInit {
  /** The overlay's shared secret (`overlay.sharedSecretFile`), at least 16 bytes. */
  readonly secret: Uint8Array;
  readonly overlayId: number;
}

/**
 * `shared-secret` admission: the proof is the first 16 bytes of
 * HMAC-SHA256(secret, "superpeer/admission/v1" || 0x00 || overlay id (4 bytes, big-endian) ||
 * sender public key). It binds the secret to the sender's key, so a MAC seen on the air is
 * worthless without that key's private half; but anyone holding the secret can admit any key,
 * and removing one node means a new secret for all.
 *
 * @example
 * ```ts
 * const policy = new SharedSecretAdmission({ secret: await readFile(secretFile), overlayId });
 * ```
 */
export class SharedSecretAdmission implements AdmissionPolicy {
  readonly mode = "shared-secret";
  #secret: Uint8Array;
  #overlayPrefix: Uint8Array;

  constructor(init: SharedSecretAdmissionInit) {
    if (init.secret.length < MIN_SHARED_SECRET_BYTES) {
      throw new RangeError(
        `Shared secret must be at least ${MIN_SHARED_SECRET_BYTES} bytes, got ${init.secret.length}`,
      );
    }
    if (!Number.isInteger(init.overlayId) || init.overlayId < 0 || init.overlayId > 0xffff_ffff) {
      throw new RangeError(`Overlay id ${init.overlayId} is not a 32-bit value`);
    }
    this.#secret = init.secret.slice();
    this.#overlayPrefix = new Uint8Array(MAC_LABEL.length + 4);
    this.#overlayPrefix.set(MAC_LABEL, 0);
    new DataView(this.#overlayPrefix.buffer).setUint32(MAC_LABEL.length, init.overlayId);
  }

  #mac(publicKey: Uint8Array): Buffer {
    return createHmac("sha256", this.#secret)
      .update(this.#overlayPrefix)
      .update(publicKey)
      .digest()
      .subarray(0, ADMISSION_MAC_BYTES);
  }

  proofFor(nodePublicKey: Uint8Array): AdmissionProof {
    return { type: "mac", mac: new Uint8Array(this.#mac(nodePublicKey)) };
  }

  check(proof: AdmissionProof, senderPublicKey: Uint8Array, _nowSeconds: number): void {
    if (proof.type !== "mac") {
      throw new AdmissionError(
        "missing-proof",
        `expected a shared-secret MAC, got ${describeProof(proof)}`,
      );
    }
    const expected = this.#mac(senderPublicKey);
    if (proof.mac.length !== expected.length || !timingSafeEqual(proof.mac, expected)) {
      throw new AdmissionError(
        "bad-mac",
        "admission MAC does not match (another secret, another overlay, or another key)",
      );
    }
  }
}

/**
 * `open` admission: no proof, everyone is admitted. Anyone can then make as many node ids as
 * they like and place them next to any resource, taking over its storage or routing (the Sybil
 * attack, RFC 6940 section 13.4). Only for closed test meshes; the daemon warns at start.
 */
export class OpenAdmission implements AdmissionPolicy {
  readonly mode = "open";

  proofFor(_nodePublicKey: Uint8Array): AdmissionProof {
    return NO_PROOF;
  }

  check(_proof: AdmissionProof, _senderPublicKey: Uint8Array, _nowSeconds: number): void {}
}

/** What createAdmissionPolicy needs per mode (the daemon reads the files it names). */
export type AdmissionSettings =
  | { readonly mode: "open" }
  | { readonly mode: "shared-secret"; readonly overlayId: number; readonly secret: Uint8Array }
  | ({ readonly mode: "operator" } & OperatorAdmissionInit);

/**
 * Makes the policy `overlay.admission` names.
 *
 * @example
 * ```ts
 * const policy = createAdmissionPolicy({ mode: "shared-secret", overlayId, secret });
 * ```
 */
export function createAdmissionPolicy(settings: AdmissionSettings): AdmissionPolicy {
  switch (settings.mode) {
    case "open":
      return new OpenAdmission();
    case "shared-secret":
      return new SharedSecretAdmission(settings);
    case "operator":
      return new OperatorAdmission(settings);
  }
}

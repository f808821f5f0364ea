import { createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { BoundedMap } from "../core/bounded_map.ts";

/**
 * Signature domains: every Ed25519 signature superpeer makes is over `domain || 0x00 || bytes`, so
 * a signature made for one purpose (a message) can never be replayed as another (a certificate,
 * stored data).
 */
export const SignatureDomain = {
  OverlayMessage: "superpeer/overlay-message/v1",
  EnrollmentCertificate: "superpeer/enrollment-certificate/v1",
  StoredData: "superpeer/stored-data/v1",
} as const;
export type SignatureDomain = (typeof SignatureDomain)[keyof typeof SignatureDomain];

const encoder = new TextEncoder();
const DOMAIN_PREFIX = new Map<string, Uint8Array>(
  Object.values(SignatureDomain).map((d) => [d, encoder.encode(`${d}\u0000`)]),
);

function withDomain(domain: SignatureDomain, bytes: Uint8Array): Uint8Array {
  const prefix = DOMAIN_PREFIX.get(domain)!;
  const out = new Uint8Array(prefix.length + bytes.length);
  out.set(prefix, 0);
  out.set(bytes, prefix.length);
  return out;
}

// SubjectPublicKeyInfo DER prefix of an Ed25519 key (RFC 8410 section 4): the 32 raw bytes follow.
const ED25519_SPKI_PREFIX = new Uint8Array([
  0x30,
  0x2a,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x70,
  0x03,
  0x21,
  0x00,
]);

/** Public keys parsed from raw bytes, reused across messages from the same peers. */
export const DEFAULT_MAX_CACHED_PUBLIC_KEYS = 1024;
const keyCache = new BoundedMap<string, KeyObject>({ maxEntries: DEFAULT_MAX_CACHED_PUBLIC_KEYS });

/** A KeyObject for a raw 32-byte Ed25519 public key (cached); throws TypeError for a malformed key. */
export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) {
    throw new TypeError(`Ed25519 public key must be 32 bytes, got ${raw.length}`);
  }
  const cacheKey = Buffer.from(raw).toString("base64");
  let key = keyCache.get(cacheKey);
  if (key === undefined) {
    const der = new Uint8Array(ED25519_SPKI_PREFIX.length + 32);
    der.set(ED25519_SPKI_PREFIX, 0);
    der.set(raw, ED25519_SPKI_PREFIX.length);
    key = createPublicKey({ key: Buffer.from(der), format: "der", type: "spki" });
    keyCache.set(cacheKey, key);
  }
  return key;
}

/**
 * Signs `bytes` in `domain` with an Ed25519 private key; returns the 64-byte signature.
 *
 * @example
 * ```ts
 * const sig = signInDomain(nodeKey.privateKey, SignatureDomain.OverlayMessage, envelopeBytes);
 * ```
 */
export function signInDomain(
  privateKey: KeyObject,
  domain: SignatureDomain,
  bytes: Uint8Array,
): Uint8Array {
  return new Uint8Array(sign(null, withDomain(domain, bytes), privateKey));
}

/** Verifies an Ed25519 signature made by `signInDomain`; false for a bad signature or a malformed key. */
export function verifyInDomain(
  publicKeyRaw: Uint8Array,
  domain: SignatureDomain,
  bytes: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (signature.length !== 64) return false;
  let key: KeyObject;
  try {
    key = publicKeyFromRaw(publicKeyRaw);
  } catch {
    return false;
  }
  return verify(null, withDomain(domain, bytes), key, signature);
}

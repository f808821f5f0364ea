import { bytesToHex } from "../core/hex.ts";
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from "node:crypto";
import { SuperpeerError } from "../core/errors.ts";

/** Node ids are the first 128 bits of SHA-256(public key) (RFC 6940 section 10.2 uses 128-bit ids). */
export const NODE_ID_BYTES = 16;

/** A node's Ed25519 key pair and the id derived from it. */
export interface NodeKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKeyRaw: Uint8Array;
  /** First 128 bits of SHA-256(publicKeyRaw). */
  readonly nodeId: Uint8Array;
}

function fromPrivate(privateKey: KeyObject): NodeKey {
  if (privateKey.asymmetricKeyType !== "ed25519") {
    throw new SuperpeerError(
      "KEY_FILE",
      `Cannot use node key: expected an Ed25519 key, got ${privateKey.asymmetricKeyType}`,
    );
  }
  const publicKey = createPublicKey(privateKey);
  const x = publicKey.export({ format: "jwk" }).x;
  if (typeof x !== "string") {
    throw new SuperpeerError("KEY_FILE", "Cannot use node key: public key has no raw form");
  }
  const publicKeyRaw = new Uint8Array(Buffer.from(x, "base64url"));
  return { privateKey, publicKey, publicKeyRaw, nodeId: nodeIdFromPublicKey(publicKeyRaw) };
}

/** Node ids of recently seen public keys: every message needs its sender's, peers are few. */
const recentNodeIds = new Map<string, Uint8Array>();
/** Public keys remembered; the oldest is forgotten beyond this (bounded memory). */
export const NODE_ID_CACHE_SIZE = 4096;

/** Derives a node id from a raw Ed25519 public key (SHA-256, first 16 bytes). */
export function nodeIdFromPublicKey(publicKeyRaw: Uint8Array): Uint8Array {
  const keyHex = bytesToHex(publicKeyRaw);
  let nodeId = recentNodeIds.get(keyHex);
  if (nodeId === undefined) {
    nodeId = new Uint8Array(
      createHash("sha256").update(publicKeyRaw).digest().subarray(0, NODE_ID_BYTES),
    );
    if (recentNodeIds.size >= NODE_ID_CACHE_SIZE) {
      recentNodeIds.delete(recentNodeIds.keys().next().value!);
    }
    recentNodeIds.set(keyHex, nodeId);
  }
  return nodeId.slice(); // the caller's own copy: cached bytes must not change
}

/** Makes a fresh node key. */
export function generateNodeKey(): NodeKey {
  return fromPrivate(generateKeyPairSync("ed25519").privateKey);
}

/** Encodes the private key as PKCS#8 PEM (the key file's format). */
export function encodeNodeKeyPem(key: NodeKey): string {
  return key.privateKey.export({ format: "pem", type: "pkcs8" }).toString();
}

/** Decodes a PKCS#8 PEM Ed25519 key; a malformed file is a KEY_FILE error, not a crash. */
export function decodeNodeKeyPem(pem: string): NodeKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: "pem" });
  } catch (error) {
    throw new SuperpeerError("KEY_FILE", "Cannot read node key: not a PKCS#8 PEM private key", {
      cause: error,
    });
  }
  return fromPrivate(privateKey);
}

/**
 * A raw Ed25519 public key as base64url without padding: 43 characters, the last one carrying
 * only 4 bits (so its two low bits are zero).
 */
const PUBLIC_KEY_TEXT = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

/**
 * The text form of a raw public key (base64url, no padding), as `keygen` prints it and
 * `overlay.operatorPublicKey` takes it.
 *
 * @example
 * ```ts
 * formatPublicKey(key.publicKeyRaw); // RFC 8032 test 1's key: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
 * ```
 */
export function formatPublicKey(publicKeyRaw: Uint8Array): string {
  return Buffer.from(publicKeyRaw).toString("base64url");
}

/** Parses the text form made by `formatPublicKey`; throws TypeError for anything else. */
export function parsePublicKey(text: string): Uint8Array {
  if (!PUBLIC_KEY_TEXT.test(text)) {
    throw new TypeError(
      "Cannot read public key: expected 43 base64url characters (a raw 32-byte Ed25519 key)",
    );
  }
  return new Uint8Array(Buffer.from(text, "base64url"));
}

/** Lower-case hex of a node id, as shown in logs and /status. */
export function formatNodeId(nodeId: Uint8Array): string {
  return bytesToHex(nodeId);
}

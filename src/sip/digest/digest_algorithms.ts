/**
 * The Digest computations (RFC 7616 section 3.4.1-3.4.3, RFC 3261 section 22.4, RFC 8760 section
 * 2): HA1 = H(username ":" realm ":" password), HA2 = H(method ":" digest-uri), and the response
 * with qop=auth `H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2)` or, without qop (RFC 2069),
 * `H(HA1 ":" nonce ":" HA2)`. Hashes are lower-case hex; text is UTF-8.
 *
 * Supported: MD5, SHA-256 and SHA-512-256 (RFC 8760 section 2.1; node:crypto's `sha512-256`, on
 * Node 20 and on Deno 2). The `-sess` variants and qop=auth-int are not: no SIP phone needs them
 * from a registrar, and auth-int would need the body here.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** The algorithms this server can check (RFC 8760 section 2.1 names). */
export type DigestAlgorithm = "MD5" | "SHA-256" | "SHA-512-256";

/** Every supported algorithm, strongest first. */
export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = Object.freeze([
  "SHA-512-256",
  "SHA-256",
  "MD5",
]);

const NODE_HASH: Readonly<Record<DigestAlgorithm, string>> = {
  "MD5": "md5",
  "SHA-256": "sha256",
  "SHA-512-256": "sha512-256",
};

/** Hex characters in a hash of each algorithm (HA1, HA2 and response alike). */
export const DIGEST_HEX_LENGTH: Readonly<Record<DigestAlgorithm, number>> = {
  "MD5": 32,
  "SHA-256": 64,
  "SHA-512-256": 64,
};

/**
 * The supported algorithm an `algorithm` parameter names, case-insensitively; `undefined` for
 * any other (including `-sess` variants). An absent parameter means MD5 (RFC 7616 section 3.4).
 *
 * @example
 * ```ts
 * digestAlgorithm("sha-256"); // "SHA-256"
 * digestAlgorithm("MD5-sess"); // undefined
 * ```
 */
export function digestAlgorithm(name: string): DigestAlgorithm | undefined {
  switch (name.toUpperCase()) {
    case "MD5":
      return "MD5";
    case "SHA-256":
      return "SHA-256";
    case "SHA-512-256":
      return "SHA-512-256";
    default:
      return undefined;
  }
}

/**
 * H(text) of an algorithm, lower-case hex.
 *
 * @example
 * ```ts
 * digestHash("MD5", ""); // "d41d8cd98f00b204e9800998ecf8427e"
 * ```
 */
export function digestHash(algorithm: DigestAlgorithm, text: string): string {
  return createHash(NODE_HASH[algorithm]).update(text, "utf8").digest("hex");
}

/**
 * HA1 = H(username ":" realm ":" password) (RFC 7616 section 3.4.2): what the users file stores
 * instead of the password.
 *
 * @example
 * ```ts
 * digestHa1("MD5", { username: "Mufasa", realm: "testrealm@host.com", password: "Circle Of Life" });
 * // "939e7578ed9e3c518a452acee763bce9"
 * ```
 */
export function digestHa1(
  algorithm: DigestAlgorithm,
  credentials: { readonly username: string; readonly realm: string; readonly password: string },
): string {
  return digestHash(
    algorithm,
    `${credentials.username}:${credentials.realm}:${credentials.password}`,
  );
}

/** The request-side inputs of a response computation. */
export interface DigestResponseInput {
  /** HA1 in lower-case hex (from the users file, or digestHa1()). */
  readonly ha1: string;
  /** The request method (RFC 3261 section 22.4: A2 uses the method of the request). */
  readonly method: string;
  /** The digest-uri exactly as sent in the credentials. */
  readonly uri: string;
  readonly nonce: string;
  /** "auth", or undefined for the RFC 2069 form without qop, nc and cnonce. */
  readonly qop?: "auth";
  /** 8 hex digits exactly as sent (the hash covers the text). */
  readonly nc?: string;
  readonly cnonce?: string;
}

/**
 * The request-digest (RFC 7616 section 3.4.1 with qop=auth; RFC 2069 without qop), lower-case
 * hex. Throws TypeError when qop is given without nc and cnonce.
 *
 * @example
 * ```ts
 * digestResponse("MD5", {
 *   ha1: "939e7578ed9e3c518a452acee763bce9", method: "GET", uri: "/dir/index.html",
 *   nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093", qop: "auth", nc: "00000001", cnonce: "0a4f113b",
 * }); // "6629fae49393a05397450978507c4ef1"
 * ```
 */
export function digestResponse(algorithm: DigestAlgorithm, input: DigestResponseInput): string {
  const ha2 = digestHash(algorithm, `${input.method}:${input.uri}`);
  if (input.qop === undefined) return digestHash(algorithm, `${input.ha1}:${input.nonce}:${ha2}`);
  if (input.nc === undefined || input.cnonce === undefined) {
    throw new TypeError("Cannot compute a Digest response: qop=auth needs nc and cnonce");
  }
  return digestHash(
    algorithm,
    `${input.ha1}:${input.nonce}:${input.nc}:${input.cnonce}:${input.qop}:${ha2}`,
  );
}

/**
 * Long-term credential checks of TURN requests (RFC 8489 section 9.2.4, RFC 8656 section 5) with
 * stateless nonces bound to the client's IP, password algorithm negotiation (MD5 and SHA-256,
 * sections 9.2.1 and 14.11-14.12) and USERHASH (section 14.4) where the store can reverse it.
 *
 * Every nonce starts with the RFC 8489 nonce cookie announcing "Password algorithms" (and
 * "Username anonymity" when every user can be found by USERHASH). The cookie must come back
 * exactly as issued, so a path that rewrote it to strip a feature makes the nonce invalid (438).
 *
 * @module
 */
import {
  checkMessageIntegrity,
  checkMessageIntegritySha256,
  decodeNonce,
  decodePasswordAlgorithm,
  decodeRealm,
  decodeUserhash,
  decodeUsername,
  encodeNonce,
  encodePasswordAlgorithms,
  encodeRealm,
  nonceCookie,
  type PasswordAlgorithm,
  passwordAlgorithmsValue,
  SecurityFeature,
  StunAttribute,
  StunErrorCode,
  type StunMessage,
  type StunMessageBuilder,
} from "../codec/stun/mod.ts";
import type { Allocation } from "./allocation_table.ts";
import type { CredentialStore } from "./credentials.ts";
import type { NonceManager } from "./nonce.ts";
import { Refusal } from "./refusal.ts";

/** Who sent an authenticated request, and the key its responses are signed with. */
export interface Authenticated {
  readonly username: string;
  readonly key: Uint8Array;
  /**
   * Responses carry MESSAGE-INTEGRITY-SHA256 instead of MESSAGE-INTEGRITY: the request named a
   * password algorithm or was itself protected by MESSAGE-INTEGRITY-SHA256 (RFC 8489 9.2.4).
   */
  readonly sha256Integrity: boolean;
}

/**
 * Checks MESSAGE-INTEGRITY(-SHA256), USERNAME or USERHASH, REALM, NONCE and the password
 * algorithm in RFC 8489 section 9.2.4 order and writes the REALM, NONCE and PASSWORD-ALGORITHMS
 * of 401 and 438 answers.
 *
 * @example
 * ```ts
 * const auth = new LongTermAuthenticator("example.org", store, nonces);
 * const { username, key } = auth.authenticate(message, client.host, undefined); // or throws Refusal
 * ```
 */
export class LongTermAuthenticator {
  readonly realm: string;
  readonly #credentials: CredentialStore;
  readonly #nonces: NonceManager;
  readonly #cookie: string;
  /** PASSWORD-ALGORITHMS as sent: SHA-256 first when every user has a SHA-256 key. */
  readonly #offered: Uint8Array;
  readonly #offeredAlgorithms: readonly PasswordAlgorithm[];

  constructor(realm: string, credentials: CredentialStore, nonces: NonceManager) {
    this.realm = realm;
    this.#credentials = credentials;
    this.#nonces = nonces;
    this.#offeredAlgorithms = credentials.algorithms.includes("sha256")
      ? ["sha256", "md5"]
      : ["md5", "sha256"];
    this.#offered = passwordAlgorithmsValue(this.#offeredAlgorithms);
    const anonymity = credentials.usernameFor !== undefined ? SecurityFeature.UsernameAnonymity : 0;
    this.#cookie = nonceCookie(SecurityFeature.PasswordAlgorithms | anonymity);
  }

  /** The algorithms offered in PASSWORD-ALGORITHMS, in order of preference. */
  get offeredAlgorithms(): readonly PasswordAlgorithm[] {
    return this.#offeredAlgorithms;
  }

  /**
   * The request's user and key, or a thrown Refusal. `allocation`, when the 5-tuple has one,
   * supplies the key (coturn keeps the key per session) and the username a request must carry.
   */
  authenticate(
    message: StunMessage,
    clientHost: string,
    allocation: Allocation | undefined,
  ): Authenticated {
    const sha256Index = message.integritySha256Index;
    // RFC 8489 section 9.2.4: no MESSAGE-INTEGRITY(-SHA256): 401 with REALM and NONCE
    if (message.integrityIndex < 0 && sha256Index < 0) {
      throw new Refusal(StunErrorCode.Unauthenticated, "unauthenticated");
    }
    const u = message.indexOf(StunAttribute.Username);
    const h = u < 0 ? message.indexOf(StunAttribute.Userhash) : -1;
    const r = message.indexOf(StunAttribute.Realm);
    const n = message.indexOf(StunAttribute.Nonce);
    // RFC 8489 section 9.2.4: integrity without USERNAME or USERHASH, REALM or NONCE: 400
    if ((u < 0 && h < 0) || r < 0 || n < 0) {
      throw new Refusal(
        StunErrorCode.BadRequest,
        "bad_request",
        "Missing USERNAME, REALM or NONCE",
      );
    }
    let realm: string;
    let nonce: string;
    let name: string | Uint8Array;
    try {
      realm = decodeRealm(message, r);
      nonce = decodeNonce(message, n);
      name = u >= 0 ? decodeUsername(message, u) : decodeUserhash(message, h);
    } catch {
      throw new Refusal(
        StunErrorCode.BadRequest,
        "bad_request",
        "Malformed USERNAME, USERHASH, REALM or NONCE",
      );
    }
    const algorithm = this.#passwordAlgorithm(message);
    const username = typeof name === "string"
      ? name
      : this.#credentials.usernameFor?.(name, realm) ?? "";
    // RFC 8489 section 9.2.4: a USERNAME or USERHASH that is not valid: 401
    if (username === "" || realm !== this.realm) {
      throw new Refusal(StunErrorCode.Unauthenticated, "unauthenticated");
    }
    let keys: readonly Uint8Array[];
    if (allocation !== undefined) {
      // RFC 8656 section 5: a request on an allocation with another username gets 441
      if (username !== allocation.username) {
        throw new Refusal(StunErrorCode.WrongCredentials, "wrong_credentials");
      }
      keys = [allocation.key];
    } else {
      keys = this.#credentials.keysFor(username, realm, algorithm ?? "md5");
    }
    // RFC 8489 section 9.2.4: MESSAGE-INTEGRITY-SHA256 is checked when present, else MESSAGE-INTEGRITY
    const check = sha256Index >= 0 ? checkMessageIntegritySha256 : checkMessageIntegrity;
    let key: Uint8Array | undefined;
    for (const candidate of keys) {
      if (check(message, candidate)) {
        key = candidate;
        break;
      }
    }
    // RFC 8489 section 9.2.4: unknown user or wrong MESSAGE-INTEGRITY: 401
    if (key === undefined) throw new Refusal(StunErrorCode.Unauthenticated, "unauthenticated");
    // RFC 8489 section 9.2.4: a nonce no longer valid gets 438 with a new one (an invalid one too:
    // a nonce from before a restart, or whose cookie was rewritten, is retried transparently)
    const verdict = nonce.startsWith(this.#cookie)
      ? this.#nonces.check(nonce.slice(this.#cookie.length), clientHost)
      : "invalid";
    if (verdict !== "valid") {
      throw new Refusal(StunErrorCode.StaleNonce, "stale_nonce");
    }
    return { username, key, sha256Integrity: algorithm !== undefined || sha256Index >= 0 };
  }

  /** RFC 8489 section 9.2.4: 401 and 438 carry REALM, a fresh NONCE and PASSWORD-ALGORITHMS. */
  encodeChallenge(builder: StunMessageBuilder, clientHost: string): void {
    encodeRealm(builder, this.realm);
    encodeNonce(builder, this.#cookie + this.#nonces.issue(clientHost));
    encodePasswordAlgorithms(builder, this.#offered);
  }

  /**
   * The algorithm the request names, undefined when it names none (processed as MD5), or a thrown
   * 400 when the negotiation attributes do not match what this server offers.
   */
  #passwordAlgorithm(message: StunMessage): PasswordAlgorithm | undefined {
    const list = message.indexOf(StunAttribute.PasswordAlgorithms);
    const one = message.indexOf(StunAttribute.PasswordAlgorithm);
    // RFC 8489 section 9.2.4: neither attribute: processed as though PASSWORD-ALGORITHM were MD5
    if (list < 0 && one < 0) return undefined;
    // RFC 8489 section 9.2.4: unless both are present, PASSWORD-ALGORITHMS is what we sent and
    // PASSWORD-ALGORITHM is one of its entries: 400
    const mismatch = new Refusal(
      StunErrorCode.BadRequest,
      "bad_request",
      "PASSWORD-ALGORITHM(S) do not match the offer",
    );
    if (list < 0 || one < 0 || !sameBytes(message.value(list), this.#offered)) throw mismatch;
    let algorithm: PasswordAlgorithm | undefined;
    try {
      algorithm = decodePasswordAlgorithm(message, one);
    } catch {
      throw mismatch;
    }
    if (algorithm === undefined || !this.#offeredAlgorithms.includes(algorithm)) throw mismatch;
    return algorithm;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

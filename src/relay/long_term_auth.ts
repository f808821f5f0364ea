/**
 * Long-term credential checks of TURN requests (RFC 8489 section 9.2.4, RFC 8656 section 5) with
 * stateless nonces bound to the client's IP.
 *
 * @module
 */
import {
  checkMessageIntegrity,
  decodeNonce,
  decodeRealm,
  decodeUsername,
  encodeNonce,
  encodeRealm,
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
}

/**
 * Checks MESSAGE-INTEGRITY, USERNAME, REALM and NONCE in RFC 8489 section 9.2.4 order and writes
 * the REALM and NONCE of 401 and 438 answers.
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

  constructor(realm: string, credentials: CredentialStore, nonces: NonceManager) {
    this.realm = realm;
    this.#credentials = credentials;
    this.#nonces = nonces;
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
    // RFC 8489 section 9.2.4: no MESSAGE-INTEGRITY: 401 with REALM and NONCE
    if (message.integrityIndex < 0) {
      throw new Refusal(StunErrorCode.Unauthenticated, "unauthenticated");
    }
    const u = message.indexOf(StunAttribute.Username);
    const r = message.indexOf(StunAttribute.Realm);
    const n = message.indexOf(StunAttribute.Nonce);
    // RFC 8489 section 9.2.4: MESSAGE-INTEGRITY without USERNAME, REALM or NONCE: 400
    if (u < 0 || r < 0 || n < 0) {
      throw new Refusal(
        StunErrorCode.BadRequest,
        "bad_request",
        "Missing USERNAME, REALM or NONCE",
      );
    }
    let username: string;
    let realm: string;
    let nonce: string;
    try {
      username = decodeUsername(message, u);
      realm = decodeRealm(message, r);
      nonce = decodeNonce(message, n);
    } catch {
      throw new Refusal(
        StunErrorCode.BadRequest,
        "bad_request",
        "Malformed USERNAME, REALM or NONCE",
      );
    }
    if (realm !== this.realm) throw new Refusal(StunErrorCode.Unauthenticated, "unauthenticated");
    let keys: readonly Uint8Array[];
    if (allocation !== undefined) {
      // RFC 8656 section 5: a request on an allocation with another username gets 441
      if (username !== allocation.username) {
        throw new Refusal(StunErrorCode.WrongCredentials, "wrong_credentials");
      }
      keys = [allocation.key];
    } else {
      keys = this.#credentials.keysFor(username, realm);
    }
    let key: Uint8Array | undefined;
    for (const candidate of keys) {
      if (checkMessageIntegrity(message, candidate)) {
        key = candidate;
        break;
      }
    }
    // RFC 8489 section 9.2.4: unknown user or wrong MESSAGE-INTEGRITY: 401
    if (key === undefined) throw new Refusal(StunErrorCode.Unauthenticated, "unauthenticated");
    // RFC 8489 section 9.2.4: a nonce no longer valid gets 438 with a new one (an invalid one too:
    // a nonce from before a restart is then retried transparently)
    if (this.#nonces.check(nonce, clientHost) !== "valid") {
      throw new Refusal(StunErrorCode.StaleNonce, "stale_nonce");
    }
    return { username, key };
  }

  /** RFC 8489 section 9.2.4: 401 and 438 carry REALM and a fresh NONCE. */
  encodeChallenge(builder: StunMessageBuilder, clientHost: string): void {
    encodeRealm(builder, this.realm);
    encodeNonce(builder, this.#nonces.issue(clientHost));
  }
}

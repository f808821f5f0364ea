/**
 * Stateless Digest nonces (STYLE rule 7, like the TURN nonces of src/relay/nonce.ts): a nonce is
 * its issue time, a random salt, and an HMAC over both, the realm and (by default) the source IP
 * under a server secret, as 52 hex characters. Nothing is stored per challenge; checking one
 * recomputes the HMAC. The issue time is in the nonce so the nonce-count tracker can forget
 * nonces by age.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createHmac, randomFillSync, timingSafeEqual } from "node:crypto";
import type { Clock } from "../../core/clock.ts";
import { bytesToHex } from "../../core/hex.ts";
import { DEFAULT_NONCE_LIFETIME_S } from "./constants.ts";

/** The outcome of a nonce check: ours and young, ours but old, or not ours at all. */
export type DigestNonceCheck =
  | { readonly verdict: "valid"; readonly issuedAt: number }
  | { readonly verdict: "stale"; readonly issuedAt: number }
  | { readonly verdict: "invalid" };

/** Options of DigestNonces. */
export interface DigestNoncesInit {
  /**
   * HMAC key, at least 16 bytes. Keep it across restarts to keep nonces valid; a new one makes
   * every outstanding nonce "invalid" (answered with stale=true when the response was right, so
   * a restart costs each phone one round trip and no password prompt).
   * @default 32 random bytes
   */
  readonly secret?: Uint8Array;
  /**
   * Seconds a nonce is "valid" after issue; later it is "stale".
   * @default DEFAULT_NONCE_LIFETIME_S (300)
   */
  readonly lifetimeSeconds?: number;
  /**
   * Bind each nonce to the source IP it was issued to: a nonce used from another address is
   * "invalid" (the phone gets a fresh one, stale=true when its response was right).
   * @default true
   */
  readonly bindToSource?: boolean;
}

/** What DigestNonces needs from outside. */
export interface DigestNoncesComponents {
  /** Wall clock (`now()`): issue times survive a restart when the secret does. */
  readonly clock: Clock;
}

const TIME_HEX = 12;
const SALT_BYTES = 4;
const SALT_HEX = SALT_BYTES * 2;
const MAC_BYTES = 16;
/** Characters of a nonce: 12 of time, 8 of salt, 32 of HMAC, all lower-case hex. */
export const DIGEST_NONCE_LENGTH = TIME_HEX + SALT_HEX + MAC_BYTES * 2;
/** A nonce from the future beyond this is refused (clock steps, another instance's clock). */
const MAX_CLOCK_SKEW_MS = 5_000;
const HEX = /^[0-9a-f]+$/;

/**
 * Issues and checks stateless Digest nonces.
 *
 * @example
 * ```ts
 * const nonces = new DigestNonces({ lifetimeSeconds: 300 }, { clock: systemClock });
 * const nonce = nonces.issue("example.org", "192.0.2.1");
 * nonces.check(nonce, "example.org", "192.0.2.1").verdict; // "valid"
 * ```
 */
export class DigestNonces {
  readonly #secret: Uint8Array;
  readonly #lifetimeMs: number;
  readonly #bind: boolean;
  readonly #clock: Clock;
  readonly #salt = new Uint8Array(SALT_BYTES);

  constructor(init: DigestNoncesInit, components: DigestNoncesComponents) {
    const secret = init.secret ?? randomFillSync(new Uint8Array(32));
    if (secret.length < 16) {
      throw new RangeError(
        `Cannot create Digest nonces: secret of ${secret.length} bytes, need 16`,
      );
    }
    const lifetime = init.lifetimeSeconds ?? DEFAULT_NONCE_LIFETIME_S;
    if (!Number.isInteger(lifetime) || lifetime < 1) {
      throw new RangeError(`Cannot create Digest nonces: lifetimeSeconds ${lifetime}`);
    }
    this.#secret = secret.slice();
    this.#lifetimeMs = lifetime * 1000;
    this.#bind = init.bindToSource ?? true;
    this.#clock = components.clock;
  }

  /** Milliseconds a nonce stays "valid". */
  get lifetimeMs(): number {
    return this.#lifetimeMs;
  }

  /** A fresh nonce for `realm`, to a client at `sourceIp`. */
  issue(realm: string, sourceIp: string): string {
    const time = Math.floor(this.#clock.now()).toString(16).padStart(TIME_HEX, "0");
    randomFillSync(this.#salt);
    const salt = bytesToHex(this.#salt);
    return time + salt + this.#mac(time, salt, realm, sourceIp).toString("hex");
  }

  /** Whether `nonce` was issued by us for `realm` (to `sourceIp`), and whether it is too old. */
  check(nonce: string, realm: string, sourceIp: string): DigestNonceCheck {
    if (nonce.length !== DIGEST_NONCE_LENGTH || !HEX.test(nonce)) return { verdict: "invalid" };
    const time = nonce.slice(0, TIME_HEX);
    const salt = nonce.slice(TIME_HEX, TIME_HEX + SALT_HEX);
    const given = Buffer.from(nonce.slice(TIME_HEX + SALT_HEX), "hex");
    if (!timingSafeEqual(this.#mac(time, salt, realm, sourceIp), given)) {
      return { verdict: "invalid" };
    }
    const issuedAt = parseInt(time, 16);
    const now = this.#clock.now();
    if (issuedAt > now + MAX_CLOCK_SKEW_MS) return { verdict: "invalid" };
    return now - issuedAt > this.#lifetimeMs
      ? { verdict: "stale", issuedAt }
      : { verdict: "valid", issuedAt };
  }

  #mac(time: string, salt: string, realm: string, sourceIp: string): Buffer {
    const hmac = createHmac("sha256", this.#secret).update(time).update(salt)
      .update("|").update(realm, "utf8");
    if (this.#bind) hmac.update("|").update(sourceIp);
    return hmac.digest().subarray(0, MAC_BYTES);
  }
}

/**
 * Stateless TURN nonces (RFC 8489 section 9.2, RFC 8656 section 5): nothing is stored per client.
 * A nonce is its own issue time, a random salt, and an HMAC over both and the client IP under a
 * server secret, as printable hex; checking one recomputes the HMAC (pion/turn `nonce.go`, coturn
 * `--stateless-nonce`).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createHmac, randomFillSync, timingSafeEqual } from "node:crypto";
import type { Clock } from "../core/clock.ts";
import { bytesToHex } from "../core/hex.ts";
import { DEFAULT_NONCE_LIFETIME_S } from "./constants.ts";

/** What a nonce check concluded: "stale" is ours but too old (438), "invalid" is not ours. */
export type NonceVerdict = "valid" | "stale" | "invalid";

/** Options of a NonceManager. */
export interface NonceManagerInit {
  /**
   * HMAC key, at least 16 bytes. Share it between restarts (or instances) to keep nonces valid
   * across them; a fresh random one makes every old nonce "invalid" (the client gets 438 and
   * retries, so a restart costs one round trip).
   * @default 32 random bytes
   */
  readonly secret?: Uint8Array;
  /**
   * Seconds a nonce stays valid (RFC 8656 section 5: expire at least hourly).
   * @default DEFAULT_NONCE_LIFETIME_S (3600)
   */
  readonly lifetimeSeconds?: number;
  /**
   * Bind each nonce to the client IP, so a nonce seen on the wire cannot be used from elsewhere.
   * @default true
   */
  readonly bindToClientIp?: boolean;
}

/** What a NonceManager needs from outside. */
export interface NonceManagerComponents {
  /** Wall clock (`now()`), so nonces survive a restart when the secret does. */
  readonly clock: Clock;
}

const TIME_HEX = 12;
const SALT_BYTES = 4;
const SALT_HEX = SALT_BYTES * 2;
const MAC_BYTES = 16;
const MAC_HEX = MAC_BYTES * 2;
/** Total length: 52 printable characters, well under NONCE's 128 (RFC 8489 section 14.10). */
export const NONCE_LENGTH = TIME_HEX + SALT_HEX + MAC_HEX;
/** A nonce from the future beyond this is refused (clock steps between instances). */
const MAX_CLOCK_SKEW_MS = 5_000;
const HEX = /^[0-9a-f]+$/;

/**
 * Issues and checks stateless nonces.
 *
 * @example
 * ```ts
 * const nonces = new NonceManager({ secret }, { clock: systemClock });
 * const nonce = nonces.issue("192.0.2.1");
 * nonces.check(nonce, "192.0.2.1"); // "valid"
 * ```
 */
export class NonceManager {
  readonly #secret: Uint8Array;
  readonly #lifetimeMs: number;
  readonly #bind: boolean;
  readonly #clock: Clock;
  readonly #salt = new Uint8Array(SALT_BYTES);

  constructor(init: NonceManagerInit, components: NonceManagerComponents) {
    const secret = init.secret ?? randomFillSync(new Uint8Array(32));
    if (secret.length < 16) {
      throw new RangeError(
        `Cannot create a nonce manager: secret of ${secret.length} bytes, need 16`,
      );
    }
    const lifetime = init.lifetimeSeconds ?? DEFAULT_NONCE_LIFETIME_S;
    if (!Number.isInteger(lifetime) || lifetime < 1) {
      throw new RangeError(`Cannot create a nonce manager: lifetimeSeconds ${lifetime}`);
    }
    this.#secret = secret.slice();
    this.#lifetimeMs = lifetime * 1000;
    this.#bind = init.bindToClientIp ?? true;
    this.#clock = components.clock;
  }

  /** A fresh nonce for a client at `clientIp`. */
  issue(clientIp: string): string {
    const time = Math.floor(this.#clock.now()).toString(16).padStart(TIME_HEX, "0");
    randomFillSync(this.#salt);
    const salt = bytesToHex(this.#salt);
    return time + salt + this.#mac(time, salt, clientIp).toString("hex");
  }

  /** Whether `nonce` was issued by us (to `clientIp`) and is young enough. */
  check(nonce: string, clientIp: string): NonceVerdict {
    if (nonce.length !== NONCE_LENGTH || !HEX.test(nonce)) return "invalid";
    const time = nonce.slice(0, TIME_HEX);
    const salt = nonce.slice(TIME_HEX, TIME_HEX + SALT_HEX);
    const expected = this.#mac(time, salt, clientIp);
    const given = Buffer.from(nonce.slice(TIME_HEX + SALT_HEX), "hex");
    if (given.length !== MAC_BYTES || !timingSafeEqual(expected, given)) return "invalid";
    const issued = parseInt(time, 16);
    const now = this.#clock.now();
    if (issued > now + MAX_CLOCK_SKEW_MS) return "invalid";
    return now - issued > this.#lifetimeMs ? "stale" : "valid";
  }

  #mac(time: string, salt: string, clientIp: string): Buffer {
    const hmac = createHmac("sha256", this.#secret).update(time).update(salt);
    if (this.#bind) hmac.update("|").update(clientIp);
    return hmac.digest().subarray(0, MAC_BYTES);
  }
}

/**
 * Relay ports held for a later Allocate by EVEN-PORT with R=1 (RFC 8656 section 7.2 step 8),
 * keyed by their RESERVATION-TOKEN.
 *
 * @module
 */
import { bytesToHex } from "../core/hex.ts";

/** A port held for the Allocate that presents its token. */
export interface Reservation {
  readonly port: number;
  readonly family: 4 | 6;
  /** Monotonic milliseconds. */
  readonly expiresAt: number;
}

/**
 * Reservation tokens and the ports they hold, capped by the owner (refuse at `size` >= cap).
 *
 * @example
 * ```ts
 * const book = new ReservationBook();
 * book.put(token, { port: 61001, family: 4, expiresAt: now + 30_000 });
 * book.take(token, now); // the reservation, once
 * ```
 */
export class ReservationBook {
  readonly #byToken = new Map<string, Reservation>();

  get size(): number {
    return this.#byToken.size;
  }

  put(token: Uint8Array, reservation: Reservation): void {
    this.#byToken.set(bytesToHex(token), reservation);
  }

  /** The live reservation of `token`, removed; undefined when unknown or expired. */
  take(token: Uint8Array, now: number): Reservation | undefined {
    const key = bytesToHex(token);
    const reservation = this.#byToken.get(key);
    this.#byToken.delete(key);
    return reservation !== undefined && reservation.expiresAt > now ? reservation : undefined;
  }

  /** Forgets expired reservations (their ports' holds expire in the port pool on their own). */
  sweep(now: number): void {
    for (const [key, reservation] of this.#byToken) {
      if (reservation.expiresAt <= now) this.#byToken.delete(key);
    }
  }
}

import { bytesToHex } from "../../core/hex.ts";
import { ErrorCode, TRANSACTION_ID_BYTES } from "../../codec/overlay/constants.ts";
import { SuperpeerError } from "../../core/errors.ts";
import {
  DEFAULT_MAX_PENDING_REQUESTS,
  DEFAULT_REQUEST_LIFETIME_MS,
  DEFAULT_REQUEST_RETRY_INTERVAL_MS,
} from "./constants.ts";
import { requirePositiveInteger } from "./option_checks.ts";

export interface RequestTrackerInit {
  /** Time between end-to-end retransmissions of an unanswered request. @default {DEFAULT_REQUEST_RETRY_INTERVAL_MS} */
  retryIntervalMs?: number;
  /** A request unanswered this long after `begin()` fails with reason "timeout". @default {DEFAULT_REQUEST_LIFETIME_MS} */
  lifetimeMs?: number;
  /** Requests awaiting an answer at once; at the cap `begin()` refuses. @default {DEFAULT_MAX_PENDING_REQUESTS} */
  maxPending?: number;
}

/**
 * Why the tracker itself gave up on a request: "timeout" (no answer within the lifetime: RFC 6940
 * Error_Request_Timeout), "aborted" (the caller's AbortSignal), "capacity" (too many requests in
 * flight), "closed" (`closeAll()`, at shutdown).
 */
export type RequestFailureReason = "timeout" | "aborted" | "capacity" | "closed";

/**
 * An end-to-end request that ended without an answer. `errorCode` is the RELOAD error it amounts
 * to (RFC 6940 section 14.9), for the reasons that have one: Error_Request_Timeout for "timeout".
 *
 * @example
 * ```ts
 * const error = new RequestError("timeout", "no answer within 15000 ms", {
 *   transactionId: "0102030405060708",
 * });
 * error.code; // "OVERLAY_REQUEST"
 * error.errorCode; // 4 (ErrorCode.RequestTimeout)
 * ```
 */
export class RequestError extends SuperpeerError {
  readonly reason: RequestFailureReason;
  /** The request's transaction id, hex. */
  readonly transactionId: string;
  readonly errorCode: ErrorCode | undefined;

  constructor(
    reason: RequestFailureReason,
    detail: string,
    options: { transactionId: string; cause?: unknown },
  ) {
    super(
      "OVERLAY_REQUEST",
      `Overlay request failed: ${reason}: transaction ${options.transactionId}: ${detail}`,
      "cause" in options ? { cause: options.cause } : undefined,
    );
    this.reason = reason;
    this.transactionId = options.transactionId;
    this.errorCode = reason === "timeout" ? ErrorCode.RequestTimeout : undefined;
  }
}

/** Counters since construction, for metrics (`superpeer_overlay_requests_*_total`). */
export interface RequestTrackerCounters {
  begun: number;
  /** Calls of `resend()` for end-to-end retransmissions. */
  resent: number;
  completed: number;
  /** Ended by `fail()` (an Error answer, a hop failure, a failing `resend()`). */
  failed: number;
  /** Ended by the tracker itself, by reason. */
  readonly ended: Record<RequestFailureReason, number>;
}

interface Pending<Answer> {
  readonly key: string;
  readonly resend: () => void;
  readonly expiresAt: number;
  nextRetry: number;
  readonly resolve: (answer: Answer) => void;
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

/**
 * End-to-end requests awaiting their answer (RFC 6940 section 6.2.1: the originator of a request
 * retransmits it when no answer comes). `begin()` returns a promise settled by `complete()`,
 * `fail()`, an AbortSignal or `due()`; `due(now)` calls each request's `resend()` every
 * `retryIntervalMs` (3 s) and fails it with reason "timeout" after `lifetimeMs` (15 s), so a request
 * is retransmitted at +3, +6, +9 and +12 s and times out at +15 s.
 *
 * A pure state machine: it arms no timer. The owner sends the request itself, calls `begin()`, and
 * calls `due(now)` when `nextDeadline()` arrives. `now` is monotonic milliseconds.
 *
 * @example
 * ```ts
 * const requests = new RequestTracker<string>();
 * const id = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
 * const answer = requests.begin(id, 0, () => {});
 * requests.nextDeadline(); // 3000: the first retry
 * requests.complete(id, "pong"); // true
 * await answer; // "pong"
 * ```
 */
export class RequestTracker<Answer> {
  readonly #retryIntervalMs: number;
  readonly #lifetimeMs: number;
  readonly #maxPending: number;
  readonly #pending = new Map<string, Pending<Answer>>();
  readonly #counters: RequestTrackerCounters = {
    begun: 0,
    resent: 0,
    completed: 0,
    failed: 0,
    ended: { timeout: 0, aborted: 0, capacity: 0, closed: 0 },
  };

  constructor(init: RequestTrackerInit = {}) {
    this.#retryIntervalMs = requirePositiveInteger(
      "request tracker",
      "retryIntervalMs",
      init.retryIntervalMs ?? DEFAULT_REQUEST_RETRY_INTERVAL_MS,
    );
    this.#lifetimeMs = requirePositiveInteger(
      "request tracker",
      "lifetimeMs",
      init.lifetimeMs ?? DEFAULT_REQUEST_LIFETIME_MS,
    );
    this.#maxPending = requirePositiveInteger(
      "request tracker",
      "maxPending",
      init.maxPending ?? DEFAULT_MAX_PENDING_REQUESTS,
    );
  }

  /** Requests awaiting an answer. */
  get size(): number {
    return this.#pending.size;
  }

  /** A snapshot of the counters. */
  get counters(): Readonly<RequestTrackerCounters> {
    return { ...this.#counters, ended: { ...this.#counters.ended } };
  }

  /**
   * Tracks a request the caller has just sent at `now`. `resend` is called for each end-to-end
   * retransmission; if it throws, the request fails with what it threw. The promise rejects at once
   * with reason "aborted" when `signal` is already aborted and "capacity" when `maxPending` requests
   * are in flight, and with a RangeError for a malformed or already pending transaction id.
   */
  begin(
    transactionId: Uint8Array,
    now: number,
    resend: () => void,
    options: { signal?: AbortSignal } = {},
  ): Promise<Answer> {
    if (transactionId.length !== TRANSACTION_ID_BYTES) {
      return Promise.reject(
        new RangeError(
          `Cannot track a request: transaction id must be ${TRANSACTION_ID_BYTES} bytes, got ${transactionId.length}`,
        ),
      );
    }
    const key = hex(transactionId);
    if (this.#pending.has(key)) {
      return Promise.reject(
        new RangeError(`Cannot track a request: transaction ${key} is already pending`),
      );
    }
    const { signal } = options;
    if (signal?.aborted) {
      this.#counters.ended.aborted++;
      return Promise.reject(
        new RequestError("aborted", "aborted before it began", {
          transactionId: key,
          cause: signal.reason,
        }),
      );
    }
    if (this.#pending.size >= this.#maxPending) {
      this.#counters.ended.capacity++;
      return Promise.reject(
        new RequestError("capacity", `${this.#maxPending} requests already in flight`, {
          transactionId: key,
        }),
      );
    }
    return new Promise<Answer>((resolve, reject) => {
      const pending: Pending<Answer> = {
        key,
        resend,
        expiresAt: now + this.#lifetimeMs,
        nextRetry: now + this.#retryIntervalMs,
        resolve,
        reject,
        signal,
        onAbort: () => {
          if (this.#pending.get(key) !== pending) return;
          this.#end(pending, "aborted", "aborted by the caller", signal?.reason);
        },
      };
      this.#pending.set(key, pending);
      this.#counters.begun++;
      signal?.addEventListener("abort", pending.onAbort, { once: true });
    });
  }

  /** Whether a request with this transaction id is pending. */
  has(transactionId: Uint8Array): boolean {
    return this.#pending.has(hex(transactionId));
  }

  /** Settles a request with its answer; returns false when no such request is pending. */
  complete(transactionId: Uint8Array, answer: Answer): boolean {
    const pending = this.#pending.get(hex(transactionId));
    if (pending === undefined) return false;
    this.#settle(pending);
    this.#counters.completed++;
    pending.resolve(answer);
    return true;
  }

  /**
   * Fails a request with `error` (an Error answer, a hop failure); returns false when no such request
   * is pending.
   */
  fail(transactionId: Uint8Array, error: unknown): boolean {
    const pending = this.#pending.get(hex(transactionId));
    if (pending === undefined) return false;
    this.#settle(pending);
    this.#counters.failed++;
    pending.reject(error);
    return true;
  }

  /**
   * Advances to `now`: requests past their lifetime fail with reason "timeout" (RFC 6940
   * Error_Request_Timeout); the others whose retry time has come are sent again through `resend()`.
   */
  due(now: number): void {
    for (const pending of this.#pending.values()) {
      if (pending.expiresAt <= now) {
        this.#end(pending, "timeout", `no answer within ${this.#lifetimeMs} ms`);
        continue;
      }
      if (pending.nextRetry > now) continue;
      pending.nextRetry = now + this.#retryIntervalMs;
      this.#counters.resent++;
      try {
        pending.resend();
      } catch (error) {
        // resend() may already have settled it (through fail()); never let one request break the loop.
        if (this.#pending.get(pending.key) === pending) {
          this.#settle(pending);
          this.#counters.failed++;
          pending.reject(error);
        }
      }
    }
  }

  /** When `due()` next has something to do (a retry or a timeout); undefined when nothing is pending. */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const pending of this.#pending.values()) {
      const at = Math.min(pending.nextRetry, pending.expiresAt);
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  /** Fails every pending request with reason "closed" (shutdown); returns how many. */
  closeAll(): number {
    const all = [...this.#pending.values()];
    for (const pending of all) this.#end(pending, "closed", "the tracker was closed");
    return all.length;
  }

  #settle(pending: Pending<Answer>): void {
    this.#pending.delete(pending.key);
    pending.signal?.removeEventListener("abort", pending.onAbort);
  }

  #end(
    pending: Pending<Answer>,
    reason: RequestFailureReason,
    detail: string,
    cause?: unknown,
  ): void {
    this.#settle(pending);
    this.#counters.ended[reason]++;
    const transactionId = pending.key;
    pending.reject(
      new RequestError(
        reason,
        detail,
        cause === undefined ? { transactionId } : { transactionId, cause },
      ),
    );
  }
}

function hex(bytes: Uint8Array): string {
  return bytesToHex(bytes);
}

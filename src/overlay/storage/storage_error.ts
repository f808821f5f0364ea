import { ErrorCode } from "../../codec/overlay/constants.ts";
import { SuperpeerError } from "../../core/errors.ts";

/** Why the local store refused a Store, Fetch, Stat or Find (one value per RFC 6940 refusal). */
export type StorageErrorReason =
  /** RFC 6940 section 7.3: the signer may not write this value at this resource. */
  | "forbidden"
  /** The kind id is not configured on this overlay (RFC 6940 section 7.4.1.2). */
  | "unknown-kind"
  /** RFC 6940 section 7.4.1.1: the request's generation counter is below the stored one. */
  | "generation-too-low"
  /** RFC 6940 section 7.4.1.1: a value is older than the one already stored at its place. */
  | "data-too-old"
  /** A value above the kind's max-size, more values than its max-count, or a byte budget hit. */
  | "data-too-large"
  /** A value's storage signature does not verify (RFC 6940 section 7.1). */
  | "bad-signature"
  /** A value or selector in another data model than the kind's (RFC 6940 section 7.2). */
  | "wrong-model";

/** Every reason, for counters that start at zero. */
export const STORAGE_ERROR_REASONS: readonly StorageErrorReason[] = [
  "forbidden",
  "unknown-kind",
  "generation-too-low",
  "data-too-old",
  "data-too-large",
  "bad-signature",
  "wrong-model",
];

/**
 * The RFC 6940 error each reason is answered with. Signature and data-model failures have no
 * error of their own in RFC 6940 and are answered `Error_Forbidden`, like an access-control refusal.
 */
export const STORAGE_ERROR_CODES: Readonly<Record<StorageErrorReason, ErrorCode>> = {
  "forbidden": ErrorCode.Forbidden,
  "unknown-kind": ErrorCode.UnknownKind,
  "generation-too-low": ErrorCode.GenerationCounterTooLow,
  "data-too-old": ErrorCode.DataTooOld,
  "data-too-large": ErrorCode.DataTooLarge,
  "bad-signature": ErrorCode.Forbidden,
  "wrong-model": ErrorCode.Forbidden,
};

/**
 * A refusal by the overlay's local storage. `reason` says which rule refused, `errorCode` is the
 * RFC 6940 error to answer with, `kind` the kind concerned (when there is one).
 *
 * @example
 * ```ts
 * try { store.store(request); }
 * catch (e) { if (e instanceof StorageError) answerError(e.errorCode, e.message); }
 * ```
 */
export class StorageError extends SuperpeerError {
  readonly reason: StorageErrorReason;
  readonly errorCode: ErrorCode;
  readonly kind: number | undefined;

  constructor(
    reason: StorageErrorReason,
    message: string,
    options?: { kind?: number; cause?: unknown },
  ) {
    super("OVERLAY_STORAGE", message, options?.cause === undefined ? {} : { cause: options.cause });
    this.reason = reason;
    this.errorCode = STORAGE_ERROR_CODES[reason];
    this.kind = options?.kind;
  }
}

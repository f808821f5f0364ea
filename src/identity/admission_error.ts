import { ErrorCode } from "../codec/overlay/constants.ts";
import { SuperpeerError } from "../core/errors.ts";

/**
 * Why a node was not admitted:
 * - `bad-certificate`: the certificate is not a well-formed version-1 certificate;
 * - `wrong-operator`: its signature does not verify with this overlay's operator key (signed by
 *   another operator, or altered after signing);
 * - `wrong-overlay`: signed by our operator, but for another overlay id;
 * - `foreign-certificate`: issued to another node key than the sender's;
 * - `expired`: past its not-after time;
 * - `missing-role`: it does not grant a role the action needs;
 * - `bad-mac`: the shared-secret proof does not match (wrong secret, overlay or key);
 * - `missing-proof`: no proof, or the wrong kind of proof for this overlay's admission mode.
 */
export type AdmissionFailure =
  | "bad-certificate"
  | "wrong-operator"
  | "wrong-overlay"
  | "foreign-certificate"
  | "expired"
  | "missing-role"
  | "bad-mac"
  | "missing-proof";

/**
 * The RFC 6940 error each failure is answered with. All are Error_Forbidden (section 14.9): the
 * reason stays in our logs and metrics and is not told to the sender, which gains nothing
 * from learning which check it failed.
 */
export const ADMISSION_ERROR_CODES: Readonly<Record<AdmissionFailure, ErrorCode>> = {
  "bad-certificate": ErrorCode.Forbidden,
  "wrong-operator": ErrorCode.Forbidden,
  "wrong-overlay": ErrorCode.Forbidden,
  "foreign-certificate": ErrorCode.Forbidden,
  "expired": ErrorCode.Forbidden,
  "missing-role": ErrorCode.Forbidden,
  "bad-mac": ErrorCode.Forbidden,
  "missing-proof": ErrorCode.Forbidden,
};

/**
 * A node may not take part in the overlay: `reason` for logs and metrics
 * (`superpeer_overlay_refused_total{reason="expired"}`), `errorCode` for the RELOAD answer.
 *
 * @example
 * ```ts
 * try { policy.check(envelope.admission, envelope.senderKey, now); }
 * catch (e) { if (e instanceof AdmissionError) answerError(e.errorCode); }
 * ```
 */
export class AdmissionError extends SuperpeerError {
  readonly reason: AdmissionFailure;
  readonly errorCode: ErrorCode;

  constructor(reason: AdmissionFailure, detail: string, options?: { cause?: unknown }) {
    super("OVERLAY_SECURITY", `Cannot admit node: ${reason}: ${detail}`, options);
    this.reason = reason;
    this.errorCode = ADMISSION_ERROR_CODES[reason];
  }
}

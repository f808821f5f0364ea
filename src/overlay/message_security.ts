import { bytesToHex } from "../core/hex.ts";
import { SuperpeerError } from "../core/errors.ts";
import { ErrorCode, INITIAL_TTL } from "../codec/overlay/constants.ts";
import type { Destination } from "../codec/overlay/destination.ts";
import {
  type AdmissionProof,
  decodeEnvelope,
  encodeEnvelope,
  type Envelope,
  type ForwardingOption,
} from "../codec/overlay/envelope.ts";
import { encodeFrame, type MessageFrame } from "../codec/overlay/frame.ts";
import {
  decodeMessageBody,
  encodeMessageBody,
  type MessageBody,
} from "../codec/overlay/message_body.ts";
import { isRequestCode } from "../codec/overlay/constants.ts";
import type { NodeKey } from "../identity/node_key.ts";
import { nodeIdFromPublicKey } from "../identity/node_key.ts";
import { SignatureDomain, signInDomain, verifyInDomain } from "../identity/signatures.ts";
import type { ReplayGuard } from "./replay_guard.ts";

/** Why a well-formed message was refused. */
export type MessageRefusal =
  | "wrong-overlay"
  | "bad-signature"
  | "stale"
  | "future"
  | "duplicate"
  | "not-admitted";

/** A message that decoded but must not be acted on; `errorCode` is the RELOAD error to answer with. */
export class MessageSecurityError extends SuperpeerError {
  readonly reason: MessageRefusal;
  readonly errorCode: ErrorCode;

  constructor(
    reason: MessageRefusal,
    message: string,
    errorCode: ErrorCode,
    options?: { cause?: unknown },
  ) {
    super("OVERLAY_SECURITY", `Refused overlay message: ${reason}: ${message}`, options);
    this.reason = reason;
    this.errorCode = errorCode;
  }
}

/** What admission checking needs (identity/admission.ts implements it for each admission mode). */
export interface AdmissionVerifier {
  /** Throws when `proof` does not admit the holder of `senderPublicKey` at `nowSeconds`. */
  check(proof: AdmissionProof, senderPublicKey: Uint8Array, nowSeconds: number): void;
}

/**
 * How envelopes are signed and verified. Production always uses Ed25519 (`ed25519MessageCrypto`);
 * the overlay simulator passes a cheap stand-in of the same signature size, so that 1,000 simulated
 * nodes measure the overlay's behaviour rather than 1,000 nodes' worth of Ed25519 on one machine.
 */
export interface MessageCrypto {
  sign(key: NodeKey, envelope: Uint8Array): Uint8Array;
  verify(senderKey: Uint8Array, envelope: Uint8Array, signature: Uint8Array): boolean;
}

/** Ed25519 in the overlay-message signature domain. */
export const ed25519MessageCrypto: MessageCrypto = {
  sign: (key, envelope) => signInDomain(key.privateKey, SignatureDomain.OverlayMessage, envelope),
  verify: (senderKey, envelope, signature) =>
    verifyInDomain(senderKey, SignatureDomain.OverlayMessage, envelope, signature),
};

export interface SealInput {
  readonly key: NodeKey;
  readonly overlayId: number;
  readonly transactionId: Uint8Array;
  readonly destinations: readonly Destination[];
  readonly options?: readonly ForwardingOption[];
  readonly maxResponseLength?: number;
  /** Seconds since the epoch. */
  readonly sentAt: number;
  readonly admission: AdmissionProof;
  readonly body: MessageBody;
  readonly ttl?: number;
  readonly via?: readonly Destination[];
  /** @default ed25519MessageCrypto */
  readonly crypto?: MessageCrypto;
}

/** A sealed message: the frame to send (fragment it if longer than a datagram) and its parts. */
export interface SealedMessage {
  readonly frame: Uint8Array;
  readonly envelope: Uint8Array;
  readonly signature: Uint8Array;
}

/**
 * Builds, signs and frames one message: the body is encoded, wrapped in the envelope, the envelope
 * bytes are signed in the overlay-message domain, and the frame adds TTL and via list.
 *
 * @example
 * ```ts
 * const { frame } = sealMessage({ key, overlayId, transactionId, destinations: [{ type: "node", id }],
 *   sentAt: nowSeconds, admission: policy.proofFor(key.publicKeyRaw), body: { code: MessageCode.PingReq, padding: new Uint8Array(0) } });
 * ```
 */
export function sealMessage(input: SealInput): SealedMessage {
  const envelope = encodeEnvelope({
    overlayId: input.overlayId,
    transactionId: input.transactionId,
    destinations: input.destinations,
    options: input.options ?? [],
    maxResponseLength: input.maxResponseLength ?? 0,
    sentAt: input.sentAt,
    senderKey: input.key.publicKeyRaw,
    admission: input.admission,
    body: encodeMessageBody(input.body),
  });
  const signature = (input.crypto ?? ed25519MessageCrypto).sign(input.key, envelope);
  const frame = encodeFrame({
    type: "message",
    ttl: input.ttl ?? INITIAL_TTL,
    via: input.via ?? [],
    envelope,
    signature,
  });
  return { frame, envelope, signature };
}

/** A message whose signature, admission and freshness were checked, with its body decoded. */
export interface OpenedMessage {
  readonly envelope: Envelope;
  readonly body: MessageBody;
  readonly senderNodeId: Uint8Array;
}

export interface OpenContext {
  readonly overlayId: number;
  readonly admission: AdmissionVerifier;
  /** Omit only where duplicates are handled elsewhere (tests, tools). */
  readonly replay?: ReplayGuard;
  readonly nowSeconds: number;
  /** Accepted clock distance for sent-at when no replay guard is given. */
  readonly windowSeconds?: number;
  /** @default ed25519MessageCrypto */
  readonly crypto?: MessageCrypto;
}

/**
 * Checks and opens a received message frame, cheapest checks first and the body last:
 * envelope shape, overlay id, sent-at window, signature (before any state is touched, so forged
 * messages cannot fill the replay cache), admission, replay cache, then the body.
 * Throws OverlayDecodeError for malformed bytes and MessageSecurityError for refused messages.
 */
export function openMessage(frame: MessageFrame, context: OpenContext): OpenedMessage {
  const envelope = decodeEnvelope(frame.envelope);
  if (envelope.overlayId !== context.overlayId) {
    throw new MessageSecurityError(
      "wrong-overlay",
      `overlay id ${envelope.overlayId.toString(16)}, ours is ${context.overlayId.toString(16)}`,
      ErrorCode.IncompatibleWithOverlay,
    );
  }
  const window = context.windowSeconds ?? 300;
  if (context.replay === undefined) {
    if (envelope.sentAt < context.nowSeconds - window) {
      throw new MessageSecurityError("stale", `sent at ${envelope.sentAt}`, ErrorCode.Forbidden);
    }
    if (envelope.sentAt > context.nowSeconds + window) {
      throw new MessageSecurityError("future", `sent at ${envelope.sentAt}`, ErrorCode.Forbidden);
    }
  }
  if (
    !(context.crypto ?? ed25519MessageCrypto).verify(
      envelope.senderKey,
      frame.envelope,
      frame.signature,
    )
  ) {
    throw new MessageSecurityError(
      "bad-signature",
      "the signature does not match the sender key",
      ErrorCode.Forbidden,
    );
  }
  try {
    context.admission.check(envelope.admission, envelope.senderKey, context.nowSeconds);
  } catch (error) {
    throw new MessageSecurityError("not-admitted", (error as Error).message, ErrorCode.Forbidden, {
      cause: error,
    });
  }
  const senderNodeId = nodeIdFromPublicKey(envelope.senderKey);
  const body = decodeMessageBody(envelope.body);
  if (context.replay !== undefined) {
    const verdict = context.replay.check(
      bytesToHex(senderNodeId),
      bytesToHex(envelope.transactionId),
      isRequestCode(body.code),
      envelope.sentAt,
    );
    if (verdict !== "fresh") {
      throw new MessageSecurityError(
        verdict,
        `transaction ${bytesToHex(envelope.transactionId)}`,
        ErrorCode.Forbidden,
      );
    }
  }
  return { envelope, body, senderNodeId };
}

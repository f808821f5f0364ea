/**
 * Constants of superpeer's overlay wire format: RELOAD semantics (RFC 6940) in a compact CBOR
 * encoding of our own (overlay.cddl). Message and error codes keep RFC 6940's numbers
 * (sections 14.8 and 14.9) so logs and captures read the same as RELOAD's.
 */

/** Version of this wire format (not RELOAD's 0.1 version byte: the encodings differ). */
export const OVERLAY_PROTOCOL_VERSION = 1;

/** RFC 6940 section 6.3.2: initial TTL of a new message (the `initial-ttl` default). */
export const INITIAL_TTL = 100;

/** No datagram is longer than this: it fits IPv6's 1280-byte minimum MTU with room for a mesh tunnel. */
export const MAX_DATAGRAM_BYTES = 1200;

/** Largest message after reassembly; a larger one is refused (RFC 6940 Error_Message_Too_Large). */
export const MAX_MESSAGE_BYTES = 16 * 1024;

/** Payload bytes of one fragment, chosen so a fragment frame stays within MAX_DATAGRAM_BYTES. */
export const FRAGMENT_CHUNK_BYTES = 1152;

export const NODE_ID_BYTES = 16;
export const RESOURCE_ID_BYTES = 16;
export const TRANSACTION_ID_BYTES = 8;
export const PUBLIC_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;
export const ADMISSION_MAC_BYTES = 16;

/** Longest via list: each hop adds one entry and Chord needs about log2(N) hops (14 for 10,000 peers). */
export const MAX_VIA_ENTRIES = 40;
export const MAX_DESTINATIONS = 8;
export const MAX_FORWARDING_OPTIONS = 4;

/** Kinds of frame: the first element of every datagram. */
export const FrameType = {
  Message: 1,
  Fragment: 2,
  /** Hop-by-hop acknowledgement of a message or fragment frame (RFC 6940 section 6.6.3.1). */
  Ack: 3,
} as const;

/** Bytes of the id an ACK names: the first 8 bytes of a message frame's signature, or a fragment's transaction id. */
export const ACK_ID_BYTES = 8;

/** RFC 6940 section 14.8 message codes (requests odd, answers even) and 0xffff for errors. */
export const MessageCode = {
  StoreReq: 7,
  StoreAns: 8,
  FetchReq: 9,
  FetchAns: 10,
  FindReq: 13,
  FindAns: 14,
  JoinReq: 15,
  JoinAns: 16,
  LeaveReq: 17,
  LeaveAns: 18,
  UpdateReq: 19,
  UpdateAns: 20,
  RouteQueryReq: 21,
  RouteQueryAns: 22,
  PingReq: 23,
  PingAns: 24,
  StatReq: 25,
  StatAns: 26,
  AppAttachReq: 29,
  AppAttachAns: 30,
  ConfigUpdateReq: 33,
  ConfigUpdateAns: 34,
  Error: 0xffff,
} as const;
export type MessageCode = (typeof MessageCode)[keyof typeof MessageCode];

/** RFC 6940 section 14.9 error codes. */
export const ErrorCode = {
  Forbidden: 2,
  NotFound: 3,
  RequestTimeout: 4,
  GenerationCounterTooLow: 5,
  IncompatibleWithOverlay: 6,
  UnsupportedForwardingOption: 7,
  DataTooLarge: 8,
  DataTooOld: 9,
  TtlExceeded: 10,
  MessageTooLarge: 11,
  UnknownKind: 12,
  UnknownExtension: 13,
  ResponseTooLarge: 14,
  ConfigTooOld: 15,
  ConfigTooNew: 16,
  InProgress: 17,
  InvalidMessage: 20,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Whether a message code is a request (RFC 6940: requests are odd, answers even). */
export function isRequestCode(code: number): boolean {
  return code !== MessageCode.Error && code % 2 === 1;
}

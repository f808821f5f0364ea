/**
 * Numbers of the STUN wire format (RFC 8489) and its TURN usage (RFC 8656): message classes and
 * methods, attribute types, error codes with their recommended reason phrases, and the limits the
 * RFCs set. Every codec in this directory takes its numbers from here.
 *
 * @module
 */

/** RFC 8489 section 5: the fixed value in bytes 4-7 of every STUN message. */
export const STUN_MAGIC_COOKIE = 0x2112a442;

/** RFC 8489 section 5: a STUN message starts with a 20-byte header. */
export const STUN_HEADER_BYTES = 20;

/** RFC 8489 section 5: the transaction id is 96 bits. */
export const STUN_TRANSACTION_ID_BYTES = 12;

/** RFC 8489 section 14: type (16 bits) and length (16 bits) before each attribute value. */
export const STUN_ATTRIBUTE_HEADER_BYTES = 4;

/**
 * Largest STUN message: the 16-bit length field counts the bytes after the header and is a
 * multiple of 4 (RFC 8489 section 5), so at most 0xfffc of them.
 */
export const MAX_STUN_MESSAGE_BYTES = STUN_HEADER_BYTES + 0xfffc;

/** Largest attribute value: its length field is 16 bits (RFC 8489 section 14). */
export const MAX_STUN_ATTRIBUTE_VALUE_BYTES = 0xffff;

/** RFC 8489 section 14.5: MESSAGE-INTEGRITY is a 20-byte HMAC-SHA1. */
export const MESSAGE_INTEGRITY_BYTES = 20;

/** RFC 8489 section 14.6: MESSAGE-INTEGRITY-SHA256 is an HMAC-SHA256 of 32 bytes... */
export const MESSAGE_INTEGRITY_SHA256_BYTES = 32;

/** ...which a usage may truncate to no fewer than 16 bytes, in steps of 4 (RFC 8489 section 14.6). */
export const MIN_MESSAGE_INTEGRITY_SHA256_BYTES = 16;

/** RFC 8489 section 14.7: FINGERPRINT is a 32-bit CRC. */
export const FINGERPRINT_BYTES = 4;

/** RFC 8489 section 14.7: the CRC-32 is XORed with this ("STUN" in ASCII). */
export const FINGERPRINT_XOR = 0x5354554e;

/** RFC 8489 section 14.3: USERNAME MUST be fewer than 509 bytes when encoding. */
export const MAX_USERNAME_ENCODE_BYTES = 508;

/**
 * RFC 8489 sections 14.3, 14.8, 14.9, 14.10, 14.14: a parser MUST accept text attributes (and
 * reason phrases) of up to 763 bytes; longer is refused.
 */
export const MAX_TEXT_DECODE_BYTES = 763;

/**
 * RFC 8489 sections 14.8, 14.9, 14.10, 14.14: REALM, NONCE, SOFTWARE and reason phrases are
 * fewer than 128 characters...
 */
export const MAX_TEXT_CHARACTERS = 127;

/** ...which the RFC puts at up to 509 bytes when encoding. */
export const MAX_TEXT_ENCODE_BYTES = 509;

/** RFC 8656 section 18.11: RESERVATION-TOKEN is 8 bytes. */
export const RESERVATION_TOKEN_BYTES = 8;

/** RFC 8656 section 12.4: the ChannelData header is channel number (16 bits) and length (16 bits). */
export const CHANNEL_DATA_HEADER_BYTES = 4;

/** RFC 8656 section 12: the first channel number a client may bind. */
export const MIN_CHANNEL_NUMBER = 0x4000;

/** RFC 8656 section 12: the last channel number a client may bind; 0x5000-0xFFFF are reserved. */
export const MAX_CHANNEL_NUMBER = 0x4fff;

/**
 * RFC 5766 section 11 allowed channels up to 0x7FFF; RFC 8656 section 12 narrowed the range. Debian's
 * coturn 4.6.1 `turnutils_uclient` still picks numbers up to here.
 */
export const MAX_RFC5766_CHANNEL_NUMBER = 0x7fff;

/** RFC 8656 section 18.8: protocol number of UDP in REQUESTED-TRANSPORT (RFC 6062 adds 6, TCP). */
export const TRANSPORT_PROTOCOL_UDP = 17;

/** RFC 6062 section 6.1: protocol number of TCP in REQUESTED-TRANSPORT. */
export const TRANSPORT_PROTOCOL_TCP = 6;

/**
 * Indexed attributes beyond this make decodeStunMessage() refuse the message. The RFCs set no
 * maximum; a routine TURN message carries fewer than 12, and a CreatePermission a few dozen at most.
 * @default 128
 */
export const DEFAULT_MAX_STUN_ATTRIBUTES = 128;

/**
 * At most this many distinct unknown comprehension-required types are listed for a 420 answer; a
 * message with more is still answered 420, naming the first ones.
 * @default 32
 */
export const MAX_UNKNOWN_ATTRIBUTES_LISTED = 32;

/**
 * Largest frame the stream framer (stream_framer.ts) accepts by default, STUN or ChannelData: room
 * for a full-size UDP payload of an Ethernet MTU and more. Larger frames close the connection.
 * @default 4096
 */
export const DEFAULT_MAX_STREAM_FRAME_BYTES = 4096;

/** RFC 8489 section 5: the two class bits of a message type. */
export const StunClass = {
  Request: 0b00,
  Indication: 0b01,
  SuccessResponse: 0b10,
  ErrorResponse: 0b11,
} as const;
export type StunClass = (typeof StunClass)[keyof typeof StunClass];

/** RFC 8489 section 18.2 (Binding) and RFC 8656 section 17 (TURN) method numbers. */
export const StunMethod = {
  Binding: 0x001,
  Allocate: 0x003,
  Refresh: 0x004,
  Send: 0x006,
  Data: 0x007,
  CreatePermission: 0x008,
  ChannelBind: 0x009,
} as const;
export type StunMethod = (typeof StunMethod)[keyof typeof StunMethod];

/**
 * Full 14-bit message types (method and class interleaved, RFC 8489 section 5) of the messages a
 * TURN server sends and receives.
 */
export const StunMessageType = {
  BindingRequest: 0x0001,
  BindingSuccess: 0x0101,
  BindingError: 0x0111,
  BindingIndication: 0x0011,
  AllocateRequest: 0x0003,
  AllocateSuccess: 0x0103,
  AllocateError: 0x0113,
  RefreshRequest: 0x0004,
  RefreshSuccess: 0x0104,
  RefreshError: 0x0114,
  SendIndication: 0x0016,
  DataIndication: 0x0017,
  CreatePermissionRequest: 0x0008,
  CreatePermissionSuccess: 0x0108,
  CreatePermissionError: 0x0118,
  ChannelBindRequest: 0x0009,
  ChannelBindSuccess: 0x0109,
  ChannelBindError: 0x0119,
} as const;

/**
 * Attribute types: RFC 8489 section 18.3, RFC 8656 section 18, and the ICE ones (RFC 8445 section
 * 16.1) that appear in the RFC 5769 vectors. 0x0000-0x7FFF are comprehension-required,
 * 0x8000-0xFFFF comprehension-optional (RFC 8489 section 14).
 */
export const StunAttribute = {
  MappedAddress: 0x0001,
  Username: 0x0006,
  MessageIntegrity: 0x0008,
  ErrorCode: 0x0009,
  UnknownAttributes: 0x000a,
  ChannelNumber: 0x000c,
  Lifetime: 0x000d,
  XorPeerAddress: 0x0012,
  Data: 0x0013,
  Realm: 0x0014,
  Nonce: 0x0015,
  XorRelayedAddress: 0x0016,
  RequestedAddressFamily: 0x0017,
  EvenPort: 0x0018,
  RequestedTransport: 0x0019,
  DontFragment: 0x001a,
  MessageIntegritySha256: 0x001c,
  PasswordAlgorithm: 0x001d,
  Userhash: 0x001e,
  XorMappedAddress: 0x0020,
  ReservationToken: 0x0022,
  Priority: 0x0024,
  UseCandidate: 0x0025,
  AdditionalAddressFamily: 0x8000,
  AddressErrorCode: 0x8001,
  PasswordAlgorithms: 0x8002,
  AlternateDomain: 0x8003,
  Icmp: 0x8004,
  Software: 0x8022,
  AlternateServer: 0x8023,
  Fingerprint: 0x8028,
  IceControlled: 0x8029,
  IceControlling: 0x802a,
} as const;
export type StunAttribute = (typeof StunAttribute)[keyof typeof StunAttribute];

/** RFC 8489 section 14: types below this are comprehension-required. */
export const COMPREHENSION_OPTIONAL_MIN = 0x8000;

/** Attribute names as the RFCs spell them, for error messages and logs. */
export const STUN_ATTRIBUTE_NAMES: ReadonlyMap<number, string> = new Map([
  [StunAttribute.MappedAddress, "MAPPED-ADDRESS"],
  [StunAttribute.Username, "USERNAME"],
  [StunAttribute.MessageIntegrity, "MESSAGE-INTEGRITY"],
  [StunAttribute.ErrorCode, "ERROR-CODE"],
  [StunAttribute.UnknownAttributes, "UNKNOWN-ATTRIBUTES"],
  [StunAttribute.ChannelNumber, "CHANNEL-NUMBER"],
  [StunAttribute.Lifetime, "LIFETIME"],
  [StunAttribute.XorPeerAddress, "XOR-PEER-ADDRESS"],
  [StunAttribute.Data, "DATA"],
  [StunAttribute.Realm, "REALM"],
  [StunAttribute.Nonce, "NONCE"],
  [StunAttribute.XorRelayedAddress, "XOR-RELAYED-ADDRESS"],
  [StunAttribute.RequestedAddressFamily, "REQUESTED-ADDRESS-FAMILY"],
  [StunAttribute.EvenPort, "EVEN-PORT"],
  [StunAttribute.RequestedTransport, "REQUESTED-TRANSPORT"],
  [StunAttribute.DontFragment, "DONT-FRAGMENT"],
  [StunAttribute.MessageIntegritySha256, "MESSAGE-INTEGRITY-SHA256"],
  [StunAttribute.PasswordAlgorithm, "PASSWORD-ALGORITHM"],
  [StunAttribute.Userhash, "USERHASH"],
  [StunAttribute.XorMappedAddress, "XOR-MAPPED-ADDRESS"],
  [StunAttribute.ReservationToken, "RESERVATION-TOKEN"],
  [StunAttribute.Priority, "PRIORITY"],
  [StunAttribute.UseCandidate, "USE-CANDIDATE"],
  [StunAttribute.AdditionalAddressFamily, "ADDITIONAL-ADDRESS-FAMILY"],
  [StunAttribute.AddressErrorCode, "ADDRESS-ERROR-CODE"],
  [StunAttribute.PasswordAlgorithms, "PASSWORD-ALGORITHMS"],
  [StunAttribute.AlternateDomain, "ALTERNATE-DOMAIN"],
  [StunAttribute.Icmp, "ICMP"],
  [StunAttribute.Software, "SOFTWARE"],
  [StunAttribute.AlternateServer, "ALTERNATE-SERVER"],
  [StunAttribute.Fingerprint, "FINGERPRINT"],
  [StunAttribute.IceControlled, "ICE-CONTROLLED"],
  [StunAttribute.IceControlling, "ICE-CONTROLLING"],
]);

/**
 * The comprehension-required attributes a TURN server built on this codec understands (those it has
 * a decoder for); any other in a request is listed for a 420 answer (RFC 8489 section 6.3.1). A relay
 * that cannot set the DF bit passes a set without DONT-FRAGMENT (RFC 8656 section 7.2 step 4).
 * PASSWORD-ALGORITHM and USERHASH are decoded by password_attributes.ts.
 */
export const DEFAULT_UNDERSTOOD_ATTRIBUTES: ReadonlySet<number> = new Set([
  StunAttribute.MappedAddress,
  StunAttribute.Username,
  StunAttribute.MessageIntegrity,
  StunAttribute.ErrorCode,
  StunAttribute.UnknownAttributes,
  StunAttribute.ChannelNumber,
  StunAttribute.Lifetime,
  StunAttribute.XorPeerAddress,
  StunAttribute.Data,
  StunAttribute.Realm,
  StunAttribute.Nonce,
  StunAttribute.XorRelayedAddress,
  StunAttribute.RequestedAddressFamily,
  StunAttribute.EvenPort,
  StunAttribute.RequestedTransport,
  StunAttribute.DontFragment,
  StunAttribute.MessageIntegritySha256,
  StunAttribute.PasswordAlgorithm,
  StunAttribute.Userhash,
  StunAttribute.XorMappedAddress,
  StunAttribute.ReservationToken,
]);

/** RFC 8489 section 14.8 and RFC 8656 section 19 error codes. */
export const StunErrorCode = {
  TryAlternate: 300,
  BadRequest: 400,
  Unauthenticated: 401,
  Forbidden: 403,
  UnknownAttribute: 420,
  AllocationMismatch: 437,
  StaleNonce: 438,
  AddressFamilyNotSupported: 440,
  WrongCredentials: 441,
  UnsupportedTransportProtocol: 442,
  PeerAddressFamilyMismatch: 443,
  AllocationQuotaReached: 486,
  ServerError: 500,
  InsufficientCapacity: 508,
} as const;
export type StunErrorCode = (typeof StunErrorCode)[keyof typeof StunErrorCode];

/**
 * Recommended reason phrases (RFC 8489 section 14.8, where 401 became "Unauthenticated", and RFC 8656
 * section 19), used when an ERROR-CODE is encoded without a phrase of its own.
 */
export const STUN_REASON_PHRASES: ReadonlyMap<number, string> = new Map([
  [StunErrorCode.TryAlternate, "Try Alternate"],
  [StunErrorCode.BadRequest, "Bad Request"],
  [StunErrorCode.Unauthenticated, "Unauthenticated"],
  [StunErrorCode.Forbidden, "Forbidden"],
  [StunErrorCode.UnknownAttribute, "Unknown Attribute"],
  [StunErrorCode.AllocationMismatch, "Allocation Mismatch"],
  [StunErrorCode.StaleNonce, "Stale Nonce"],
  [StunErrorCode.AddressFamilyNotSupported, "Address Family not Supported"],
  [StunErrorCode.WrongCredentials, "Wrong Credentials"],
  [StunErrorCode.UnsupportedTransportProtocol, "Unsupported Transport Protocol"],
  [StunErrorCode.PeerAddressFamilyMismatch, "Peer Address Family Mismatch"],
  [StunErrorCode.AllocationQuotaReached, "Allocation Quota Reached"],
  [StunErrorCode.ServerError, "Server Error"],
  [StunErrorCode.InsufficientCapacity, "Insufficient Capacity"],
]);

/** Address family as node:dgram and node:net name it by number: 4 (IPv4) or 6 (IPv6). */
export type AddressFamily = 4 | 6;

/** RFC 8489 section 14.1: family byte of an address attribute (also RFC 8656 section 18.6). */
export const WIRE_FAMILY_IPV4 = 0x01;
/** RFC 8489 section 14.1: family byte of an IPv6 address attribute. */
export const WIRE_FAMILY_IPV6 = 0x02;

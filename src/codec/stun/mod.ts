/**
 * The STUN/TURN wire codec (RFC 8489, RFC 8656): pure functions over bytes, no I/O, no timers.
 * Shared helpers of the attribute files (UTF-8, error layout, byte reads) stay out of this list.
 *
 * @example
 * ```ts
 * import { decodeStunMessage, isChannelData, isStunMessage } from "../codec/stun/mod.ts";
 * ```
 *
 * @module
 */
export * from "./constants.ts";
export { StunDecodeError, StunEncodeError } from "./stun_errors.ts";
export { crc32 } from "./crc32.ts";
export {
  attributeName,
  decodeStunHeader,
  decodeStunMessage,
  type DecodeStunMessageOptions,
  encodeStunHeader,
  isStunMessage,
  stunClassOf,
  type StunHeader,
  StunMessage,
  stunMessageType,
  stunMethodOf,
} from "./message.ts";
export {
  type FinishStunMessageOptions,
  StunMessageBuilder,
  type StunMessageBuilderInit,
} from "./message_builder.ts";
export {
  checkFingerprint,
  checkMessageIntegrity,
  checkMessageIntegritySha256,
  computeFingerprint,
  computeMessageIntegrity,
  computeMessageIntegritySha256,
  type LongTermCredentials,
  longTermKey,
  type PasswordAlgorithm,
  shortTermKey,
} from "./integrity.ts";
export {
  decodeMappedAddress,
  decodeXorAddress,
  encodeMappedAddress,
  encodeXorMappedAddress,
  encodeXorPeerAddress,
  encodeXorRelayedAddress,
  type StunAddress,
} from "./xor_address.ts";
export {
  type DecodedStunError,
  decodeErrorCode,
  encodeErrorCode,
  MAX_ERROR_CODE,
  MIN_ERROR_CODE,
  type StunErrorValue,
} from "./error_code.ts";
export { OpaqueStringError, prepareOpaqueString } from "./opaque_string.ts";
export {
  decodePasswordAlgorithm,
  decodeUserhash,
  encodePasswordAlgorithm,
  encodePasswordAlgorithms,
  encodeUserhash,
  NONCE_COOKIE,
  NONCE_COOKIE_LENGTH,
  nonceCookie,
  nonceFeatures,
  PasswordAlgorithmNumber,
  passwordAlgorithmsValue,
  SecurityFeature,
  userhash,
  USERHASH_BYTES,
} from "./password_attributes.ts";
export { decodeUnknownAttributes, encodeUnknownAttributes } from "./unknown_attributes.ts";
export {
  decodeNonce,
  decodeRealm,
  decodeSoftware,
  decodeUsername,
  encodeNonce,
  encodeRealm,
  encodeSoftware,
  encodeUsername,
} from "./text_attributes.ts";
export {
  type AddressErrorValue,
  decodeAdditionalAddressFamily,
  decodeAddressErrorCode,
  decodeChannelNumber,
  type DecodedAddressError,
  decodeData,
  decodeDontFragment,
  decodeEvenPort,
  decodeLifetime,
  decodeRequestedAddressFamily,
  decodeRequestedTransport,
  decodeReservationToken,
  encodeAdditionalAddressFamily,
  encodeAddressErrorCode,
  encodeChannelNumber,
  encodeData,
  encodeDontFragment,
  encodeEvenPort,
  encodeLifetime,
  encodeRequestedAddressFamily,
  encodeRequestedTransport,
  encodeReservationToken,
  UNSUPPORTED_FAMILY,
} from "./turn_attributes.ts";
export {
  channelDataFrameLength,
  type ChannelDataHeader,
  type ChannelNumberOptions,
  decodeChannelDataHeader,
  encodeChannelDataHeader,
  type EncodeChannelDataOptions,
  isChannelData,
  isValidChannelNumber,
} from "./channel_data.ts";
export {
  type StunFrameHandler,
  StunStreamFramer,
  type StunStreamFramerInit,
} from "./stream_framer.ts";

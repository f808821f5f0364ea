// Seeded, bounded fuzzing of the STUN/TURN codec: inputs mutated from a corpus (the RFC 5769 vectors
// and messages of our own, built with the codec: every attribute, ChannelData frames) plus
// structured random messages. Every decode must succeed or throw StunDecodeError, nothing else.
import { prng } from "../../../scripts/lib/overlay_fuzz.ts";
import {
  type ChannelDataHeader,
  decodeChannelDataHeader,
  encodeChannelDataHeader,
} from "../../../src/codec/stun/channel_data.ts";
import {
  StunAttribute,
  StunErrorCode,
  StunMessageType,
} from "../../../src/codec/stun/constants.ts";
import { decodeErrorCode, encodeErrorCode } from "../../../src/codec/stun/error_code.ts";
import {
  checkFingerprint,
  checkMessageIntegrity,
  checkMessageIntegritySha256,
  longTermKey,
  shortTermKey,
} from "../../../src/codec/stun/integrity.ts";
import {
  decodeStunHeader,
  decodeStunMessage,
  type StunMessage,
} from "../../../src/codec/stun/message.ts";
import { StunMessageBuilder } from "../../../src/codec/stun/message_builder.ts";
import { StunStreamFramer } from "../../../src/codec/stun/stream_framer.ts";
import { StunDecodeError } from "../../../src/codec/stun/stun_errors.ts";
import {
  decodeNonce,
  decodeRealm,
  decodeSoftware,
  decodeUsername,
  encodeNonce,
  encodeRealm,
  encodeSoftware,
  encodeUsername,
} from "../../../src/codec/stun/text_attributes.ts";
import {
  decodeAdditionalAddressFamily,
  decodeAddressErrorCode,
  decodeChannelNumber,
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
} from "../../../src/codec/stun/turn_attributes.ts";
import {
  decodeUnknownAttributes,
  encodeUnknownAttributes,
} from "../../../src/codec/stun/unknown_attributes.ts";
import {
  decodeMappedAddress,
  decodeXorAddress,
  encodeMappedAddress,
  encodeXorMappedAddress,
  encodeXorPeerAddress,
  encodeXorRelayedAddress,
} from "../../../src/codec/stun/xor_address.ts";
import {
  hex,
  LONG_TERM_CREDENTIALS,
  RFC5769_PASSWORD,
  SAMPLE_IPV4_RESPONSE,
  SAMPLE_IPV6_RESPONSE,
  SAMPLE_LONG_TERM_REQUEST,
  SAMPLE_REQUEST,
  toHex,
} from "./rfc5769_vectors.ts";

export interface StunFuzzCrash {
  readonly target: string;
  readonly input: string;
  readonly error: string;
}

export interface StunFuzzReport {
  readonly inputs: number;
  /** Inputs decodeStunMessage() accepted (their attributes were then all decoded too). */
  readonly decoded: number;
  /** Inputs decodeStunMessage() refused with StunDecodeError. */
  readonly refused: number;
  /** Attribute decodes that succeeded / were refused, over all decoded messages. */
  readonly attributesDecoded: number;
  readonly attributesRefused: number;
  readonly crashes: StunFuzzCrash[];
}

// The overlay fuzz's seedable PRNG (mulberry32): one generator for every fuzz in the project.
export { prng };

const KEY = shortTermKey(RFC5769_PASSWORD);
const LONG_KEY = longTermKey(LONG_TERM_CREDENTIALS);
const LONG_KEY_256 = longTermKey(LONG_TERM_CREDENTIALS, "sha256");

type AttributeDecoder = (message: StunMessage, at: number) => unknown;
const DECODERS = new Map<number, AttributeDecoder>([
  [StunAttribute.MappedAddress, decodeMappedAddress],
  [StunAttribute.AlternateServer, decodeMappedAddress],
  [StunAttribute.XorMappedAddress, decodeXorAddress],
  [StunAttribute.XorPeerAddress, decodeXorAddress],
  [StunAttribute.XorRelayedAddress, decodeXorAddress],
  [StunAttribute.Username, decodeUsername],
  [StunAttribute.Realm, decodeRealm],
  [StunAttribute.Nonce, decodeNonce],
  [StunAttribute.Software, decodeSoftware],
  [StunAttribute.ErrorCode, decodeErrorCode],
  [StunAttribute.UnknownAttributes, decodeUnknownAttributes],
  [StunAttribute.Lifetime, decodeLifetime],
  [StunAttribute.ChannelNumber, decodeChannelNumber],
  [StunAttribute.RequestedTransport, decodeRequestedTransport],
  [StunAttribute.RequestedAddressFamily, decodeRequestedAddressFamily],
  [StunAttribute.AdditionalAddressFamily, decodeAdditionalAddressFamily],
  [StunAttribute.EvenPort, decodeEvenPort],
  [StunAttribute.ReservationToken, decodeReservationToken],
  [StunAttribute.AddressErrorCode, decodeAddressErrorCode],
  [StunAttribute.Data, decodeData],
]);
const TYPES = [...DECODERS.keys(), 0x0008, 0x001c, 0x8028, 0x001a, 0x0024, 0x7001, 0x8099];

/** Messages of our own, built with the codec, covering every attribute encoder. */
export function stunCorpus(): Uint8Array[] {
  const tid = hex("0102030405060708090a0b0c");
  const builder = new StunMessageBuilder({ capacity: 2048 });
  const out: Uint8Array[] = [
    SAMPLE_REQUEST,
    SAMPLE_IPV4_RESPONSE,
    SAMPLE_IPV6_RESPONSE,
    SAMPLE_LONG_TERM_REQUEST,
  ];
  const add = (type: number, fill: (b: StunMessageBuilder) => void, finish = {}) => {
    builder.begin(type, tid);
    fill(builder);
    out.push(builder.finish(finish).slice());
  };
  const full = { integrityKey: LONG_KEY, fingerprint: true };
  add(StunMessageType.AllocateRequest, (b) => {
    encodeRequestedTransport(b, 17);
    encodeLifetime(b, 777);
    encodeRequestedAddressFamily(b, 6);
    encodeEvenPort(b, true);
    encodeDontFragment(b);
    encodeUsername(b, LONG_TERM_CREDENTIALS.username);
    encodeRealm(b, "example.org");
    encodeNonce(b, "obMatJos2AAAAf//499k954d6OL34oL9FSTvy64sA");
    encodeSoftware(b, "superpeer fuzz");
  }, full);
  add(StunMessageType.AllocateRequest, (b) => {
    encodeRequestedTransport(b, 17);
    encodeAdditionalAddressFamily(b, 6);
    encodeReservationToken(b, hex("0011223344556677"));
  }, { integrityKey: LONG_KEY, integritySha256Key: LONG_KEY_256, fingerprint: true });
  add(StunMessageType.AllocateSuccess, (b) => {
    encodeXorRelayedAddress(b, { family: 4, host: "203.0.113.5", port: 49152 });
    encodeXorRelayedAddress(b, { family: 6, host: "2001:db8::5", port: 49153 });
    encodeAddressErrorCode(b, { family: 6, code: StunErrorCode.InsufficientCapacity });
    encodeXorMappedAddress(b, { family: 4, host: "192.0.2.1", port: 32853 });
    encodeLifetime(b, 600);
    encodeReservationToken(b, hex("8899aabbccddeeff"));
  }, full);
  add(StunMessageType.AllocateError, (b) => {
    encodeErrorCode(b, { code: StunErrorCode.Unauthenticated });
    encodeRealm(b, "example.org");
    encodeNonce(b, "abcdef0123456789");
  });
  add(StunMessageType.AllocateError, (b) => {
    encodeErrorCode(b, { code: StunErrorCode.UnknownAttribute, reason: "Attribut inconnu \u00e9" });
    encodeUnknownAttributes(b, [0x001a, 0x7001, 0x0024]);
  }, { fingerprint: true });
  add(StunMessageType.CreatePermissionRequest, (b) => {
    encodeXorPeerAddress(b, { family: 4, host: "198.51.100.1", port: 0 });
    encodeXorPeerAddress(b, { family: 4, host: "198.51.100.2", port: 1 });
    encodeXorPeerAddress(b, { family: 6, host: "::ffff:198.51.100.3", port: 2 });
  }, full);
  add(StunMessageType.ChannelBindRequest, (b) => {
    encodeChannelNumber(b, 0x4001);
    encodeXorPeerAddress(b, { family: 6, host: "2001:db8:1::1", port: 5004 });
  }, full);
  add(StunMessageType.SendIndication, (b) => {
    encodeXorPeerAddress(b, { family: 4, host: "198.51.100.1", port: 5004 });
    encodeData(b, hex("000102030405060708"));
  }, { fingerprint: true });
  add(StunMessageType.DataIndication, (b) => {
    encodeXorPeerAddress(b, { family: 4, host: "198.51.100.1", port: 5004 });
    encodeData(b, new Uint8Array(0));
  });
  add(StunMessageType.BindingSuccess, (b) => {
    encodeMappedAddress(b, { family: 6, host: "fe80::1", port: 3478 });
    encodeXorMappedAddress(b, { family: 6, host: "fe80::1", port: 3478 });
  }, { integrityKey: KEY });
  const header: ChannelDataHeader = { channel: 0x4001, length: 0 };
  for (const length of [0, 1, 5, 8]) {
    const frame = new Uint8Array(4 + ((length + 3) & ~3)).fill(0x5a);
    header.length = length;
    encodeChannelDataHeader(frame, header, { zeroPadding: true });
    out.push(frame, frame.subarray(0, 4 + length));
  }
  return out;
}

function mutate(
  input: Uint8Array,
  corpus: readonly Uint8Array[],
  random: () => number,
): Uint8Array {
  const pick = (n: number) => Math.floor(random() * n);
  let bytes = input.slice();
  const aligned = () => 20 + 4 * pick(Math.max(1, (bytes.length - 20) >> 2));
  for (let round = 0, rounds = 1 + pick(3); round < rounds; round++) {
    switch (pick(9)) {
      case 0: // flip bits
        for (let i = 0, n = 1 + pick(4); i < n && bytes.length > 0; i++) {
          bytes[pick(bytes.length)]! ^= 1 << pick(8);
        }
        break;
      case 1: // interesting byte values
        for (let i = 0, n = 1 + pick(3); i < n && bytes.length > 0; i++) {
          bytes[pick(bytes.length)] = [
            0x00,
            0xff,
            0x7f,
            0x80,
            0x01,
            0x02,
            0x03,
            0x20,
            0x40,
            0xc0,
          ][pick(10)]!;
        }
        break;
      case 2: // truncate
        bytes = bytes.subarray(0, pick(bytes.length + 1));
        break;
      case 3: { // append random bytes
        const extra = Uint8Array.from({ length: 1 + pick(8) }, () => pick(256));
        const out = new Uint8Array(bytes.length + extra.length);
        out.set(bytes);
        out.set(extra, bytes.length);
        bytes = out;
        break;
      }
      case 4: // rewrite the header length
        if (bytes.length >= 4) {
          const length = [
            bytes.length - 20,
            bytes.length - 16,
            bytes.length - 24,
            pick(0x10000),
          ][pick(4)]!;
          bytes[2] = length >>> 8;
          bytes[3] = length;
        }
        break;
      case 5: { // rewrite an attribute length
        const at = aligned();
        if (at + 4 <= bytes.length) {
          const length = [0, 1, 2, 3, 4, 8, 16, 20, 32, pick(1024), 0xffff][pick(11)]!;
          bytes[at + 2] = length >>> 8;
          bytes[at + 3] = length;
        }
        break;
      }
      case 6: { // retype an attribute: its value meets another decoder
        const at = aligned();
        if (at + 2 <= bytes.length) {
          const type = TYPES[pick(TYPES.length)]!;
          bytes[at] = type >>> 8;
          bytes[at + 1] = type;
        }
        break;
      }
      case 7: { // splice with another corpus entry
        const other = corpus[pick(corpus.length)]!;
        const cut = pick(bytes.length + 1);
        const from = pick(other.length + 1);
        const out = new Uint8Array(cut + other.length - from);
        out.set(bytes.subarray(0, cut));
        out.set(other.subarray(from), cut);
        bytes = out;
        break;
      }
      default: { // duplicate an aligned 4-byte word (shifts every later attribute)
        const at = aligned();
        if (at + 4 <= bytes.length) {
          const out = new Uint8Array(bytes.length + 4);
          out.set(bytes.subarray(0, at + 4));
          out.set(bytes.subarray(at), at + 4);
          bytes = out;
        }
      }
    }
  }
  return bytes;
}

/** A well-formed header and random TLVs of types we decode, lengths mostly near the right ones. */
function structured(random: () => number): Uint8Array {
  const pick = (n: number) => Math.floor(random() * n);
  const parts: number[] = [];
  for (let i = 0, n = pick(8); i < n; i++) {
    const type = TYPES[pick(TYPES.length)]!;
    const length = [0, 1, 2, 3, 4, 5, 8, 12, 20, 32, pick(80)][pick(11)]!;
    parts.push(type >>> 8, type & 0xff, length >>> 8, length & 0xff);
    for (let j = 0; j < ((length + 3) & ~3); j++) parts.push(random() < 0.5 ? pick(256) : pick(4));
  }
  const bytes = new Uint8Array(20 + parts.length);
  const type = [0x0001, 0x0003, 0x0113, 0x0016, 0x0017, 0x0109, pick(0x4000)][pick(7)]!;
  bytes.set([
    type >>> 8,
    type & 0xff,
    parts.length >>> 8,
    parts.length & 0xff,
    0x21,
    0x12,
    0xa4,
    0x42,
  ]);
  for (let i = 8; i < 20; i++) bytes[i] = pick(256);
  bytes.set(parts, 20);
  return bytes;
}

/** Runs `iterations` inputs from `seed`; a crash is anything thrown that is not StunDecodeError. */
export function fuzzStun(options: { seed: number; iterations: number }): StunFuzzReport {
  const random = prng(options.seed);
  const corpus = stunCorpus();
  const crashes: StunFuzzCrash[] = [];
  let decoded = 0;
  let refused = 0;
  let attributesDecoded = 0;
  let attributesRefused = 0;
  const header: ChannelDataHeader = { channel: 0, length: 0 };

  const guard = (target: string, input: Uint8Array, run: () => void): boolean => {
    try {
      run();
      return true;
    } catch (error) {
      if (!(error instanceof StunDecodeError)) {
        crashes.push({ target, input: toHex(input), error: String(error) });
      }
      return false;
    }
  };
  const decodeAttributes = (message: StunMessage, input: Uint8Array) => {
    for (let at = 0; at < message.attributeCount; at++) {
      const decoder = DECODERS.get(message.attributeType(at));
      if (decoder === undefined) continue;
      if (
        guard(
          `attribute 0x${message.attributeType(at).toString(16)}`,
          input,
          () => decoder(message, at),
        )
      ) {
        attributesDecoded++;
      } else attributesRefused++;
    }
    guard("checks", input, () => {
      decodeDontFragment(message);
      checkMessageIntegrity(message, KEY);
      checkMessageIntegrity(message, LONG_KEY);
      checkMessageIntegritySha256(message, LONG_KEY_256);
      checkFingerprint(message);
    });
  };

  for (let i = 0; i < options.iterations; i++) {
    const input = random() < 0.15
      ? structured(random)
      : mutate(corpus[Math.floor(random() * corpus.length)]!, corpus, random);
    let message: StunMessage | undefined;
    guard("decodeStunHeader", input, () => decodeStunHeader(input));
    if (guard("decodeStunMessage", input, () => (message = decodeStunMessage(input)))) {
      decoded++;
      decodeAttributes(message!, input);
    } else refused++;
    guard("decodeStunMessage(small)", input, () => {
      decodeStunMessage(input, { understood: new Set(), maxAttributes: 3 });
    });
    guard("decodeChannelDataHeader", input, () => decodeChannelDataHeader(input, header));
    guard("decodeChannelDataHeader(5766)", input, () => {
      decodeChannelDataHeader(input, header, { allowRfc5766Range: true });
    });
    // The same bytes as a stream, cut into random chunks, twice over.
    const framer = new StunStreamFramer({ maxFrameBytes: 2048 });
    guard("StunStreamFramer", input, () => {
      for (let pass = 0; pass < 2; pass++) {
        let from = 0;
        while (from < input.length) {
          const to = Math.min(input.length, from + 1 + Math.floor(random() * 64));
          framer.feed(input.subarray(from, to), (frame) => {
            if ((frame[0]! & 0xc0) === 0x40) {
              guard(
                "stream ChannelData",
                frame,
                () => decodeChannelDataHeader(frame, header, { allowRfc5766Range: true }),
              );
            } else {
              let inner: StunMessage | undefined;
              if (guard("stream STUN", frame, () => (inner = decodeStunMessage(frame)))) {
                decodeAttributes(inner!, frame);
              }
            }
          });
          from = to;
        }
      }
    });
  }
  return {
    inputs: options.iterations,
    decoded,
    refused,
    attributesDecoded,
    attributesRefused,
    crashes,
  };
}

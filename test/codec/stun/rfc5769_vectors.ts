// The RFC 5769 test vectors (sections 2.1-2.4), byte for byte, and small helpers the STUN tests share.
// Note the 0x20 padding after USERNAME (2.1) and SOFTWARE (2.1-2.3): checks run over raw bytes.
import { decodeStunMessage, type StunMessage } from "../../../src/codec/stun/message.ts";
import { StunMessageBuilder } from "../../../src/codec/stun/message_builder.ts";

export const hex = (s: string): Uint8Array => {
  const clean = s.replace(/\s+/g, "");
  return new Uint8Array(clean.match(/../g)?.map((b) => parseInt(b, 16)) ?? []);
};
export const toHex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** RFC 5769 section 2.1-2.3 short-term password. */
export const RFC5769_PASSWORD = "VOkJxbRl1RmTxUk/WvJxBt";
export const RFC5769_TRANSACTION_ID = hex("b7e7a701bc34d686fa87dfae");

/** RFC 5769 section 2.1: sample request. */
export const SAMPLE_REQUEST = hex(`
  00 01 00 58  21 12 a4 42  b7 e7 a7 01  bc 34 d6 86  fa 87 df ae
  80 22 00 10  53 54 55 4e  20 74 65 73  74 20 63 6c  69 65 6e 74
  00 24 00 04  6e 00 01 ff
  80 29 00 08  93 2f f9 b1  51 26 3b 36
  00 06 00 09  65 76 74 6a  3a 68 36 76  59 20 20 20
  00 08 00 14  9a ea a7 0c  bf d8 cb 56  78 1e f2 b5  b2 d3 f2 49  c1 b5 71 a2
  80 28 00 04  e5 7a 3b cf
`);

/** RFC 5769 section 2.2: sample IPv4 response. */
export const SAMPLE_IPV4_RESPONSE = hex(`
  01 01 00 3c  21 12 a4 42  b7 e7 a7 01  bc 34 d6 86  fa 87 df ae
  80 22 00 0b  74 65 73 74  20 76 65 63  74 6f 72 20
  00 20 00 08  00 01 a1 47  e1 12 a6 43
  00 08 00 14  2b 91 f5 99  fd 9e 90 c3  8c 74 89 f9  2a f9 ba 53  f0 6b e7 d7
  80 28 00 04  c0 7d 4c 96
`);

/** RFC 5769 section 2.3: sample IPv6 response. */
export const SAMPLE_IPV6_RESPONSE = hex(`
  01 01 00 48  21 12 a4 42  b7 e7 a7 01  bc 34 d6 86  fa 87 df ae
  80 22 00 0b  74 65 73 74  20 76 65 63  74 6f 72 20
  00 20 00 14  00 02 a1 47  01 13 a9 fa  a5 d3 f1 79  bc 25 f4 b5  be d2 b9 d9
  00 08 00 14  a3 82 95 4e  4b e6 7b f1  17 84 c9 7c  82 92 c2 75  bf e3 ed 41
  80 28 00 04  c8 fb 0b 4c
`);

/** RFC 5769 section 2.4: sample request with long-term authentication (no FINGERPRINT). */
export const SAMPLE_LONG_TERM_REQUEST = hex(`
  00 01 00 60  21 12 a4 42  78 ad 34 33  c6 ad 72 c0  29 da 41 2e
  00 06 00 12  e3 83 9e e3  83 88 e3 83  aa e3 83 83  e3 82 af e3  82 b9 00 00
  00 15 00 1c  66 2f 2f 34  39 39 6b 39  35 34 64 36  4f 4c 33 34  6f 4c 39 46  53 54 76 79  36 34 73 41
  00 14 00 0b  65 78 61 6d  70 6c 65 2e  6f 72 67 00
  00 08 00 14  f6 70 24 65  6d d6 4a 3e  02 b8 e0 71  2e 85 c9 a2  8c a8 96 66
`);

/** RFC 5769 section 2.4 credentials, the password after SASLprep ("The\u00ADM\u00AAtr\u2168" before). */
export const LONG_TERM_CREDENTIALS = {
  username: "\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9",
  realm: "example.org",
  password: "TheMatrIX",
} as const;
export const LONG_TERM_NONCE = "f//499k954d6OL34oL9FSTvy64sA";

/** Runs `fn` and returns what it threw (fails the test when it throws nothing). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected an exception, none was thrown");
}

/**
 * A message assembled by hand, for shapes the builder will not make: each attribute is
 * `[type, value]`, zero-padded; `length` overrides the header length field.
 */
export function rawMessage(
  type: number,
  attributes: ReadonlyArray<readonly [number, Uint8Array]>,
  options: { readonly length?: number; readonly transactionId?: Uint8Array } = {},
): Uint8Array {
  const body = attributes.reduce((n, [, v]) => n + 4 + ((v.length + 3) & ~3), 0);
  const bytes = new Uint8Array(20 + body);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, type);
  view.setUint16(2, options.length ?? body);
  view.setUint32(4, 0x2112a442);
  bytes.set(options.transactionId ?? RFC5769_TRANSACTION_ID, 8);
  let pos = 20;
  for (const [t, v] of attributes) {
    view.setUint16(pos, t);
    view.setUint16(pos + 2, v.length);
    bytes.set(v, pos + 4);
    pos += 4 + ((v.length + 3) & ~3);
  }
  return bytes;
}

/** Builds a message (type `type`, the RFC 5769 transaction id) with `encode`, then decodes it. */
export function built(
  encode: (builder: StunMessageBuilder) => void,
  type = 0x0001,
): StunMessage {
  const builder = new StunMessageBuilder({ capacity: 2048 });
  builder.begin(type, RFC5769_TRANSACTION_ID);
  encode(builder);
  return decodeStunMessage(builder.finish().slice());
}

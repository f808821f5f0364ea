// Hand-assembled DNS messages in the formats of RFC 1035 section 4 and RFC 6762 section 18, and
// small helpers shared by the DNS codec tests.
import { DnsDecodeError } from "../../../src/codec/dns/dns_errors.ts";
import {
  DNS_CLASS_IN,
  type DnsMessage,
  type DnsRecord,
  type DnsRecordData,
} from "../../../src/codec/dns/dns_types.ts";
import { MDNS_RESPONSE_FLAGS } from "../../../src/codec/dns/constants.ts";

/** Bytes from hex text; spaces, newlines and `#` comments to the end of a line are ignored. */
export function hex(text: string): Uint8Array {
  const digits = text.replace(/#[^\n]*/g, "").replace(/\s+/g, "");
  if (digits.length % 2 !== 0 || /[^0-9a-f]/i.test(digits)) throw new Error(`bad hex: ${text}`);
  return Uint8Array.from(digits.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected an exception, none was thrown");
}

/** The DnsDecodeError that `fn` throws (fails the test if it throws anything else or nothing). */
export function decodeErrorOf(fn: () => unknown): DnsDecodeError {
  const error = thrown(fn);
  if (!(error instanceof DnsDecodeError)) {
    throw new Error(`expected a DnsDecodeError, got ${String(error)}`);
  }
  return error;
}

export const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A record with class IN. */
export function record(
  name: readonly string[],
  data: DnsRecordData,
  ttl = 120,
  cacheFlush = false,
): DnsRecord {
  return { name, class: DNS_CLASS_IN, cacheFlush, ttl, data };
}

export const SERVICE = ["_sip", "_udp", "local"];
export const INSTANCE = ["My Phone", "_sip", "_udp", "local"];
export const HOST = ["phone", "local"];

/**
 * The answer to a PTR query for _sip._udp.local as an mDNS responder sends it (RFC 6763 section 12:
 * SRV, TXT and A as additional records), names compressed at every chance (RFC 1035 4.1.4).
 */
export const SAMPLE_RESPONSE = hex(`
  0000 8400 0000 0001 0000 0003   # id 0; QR AA; 1 answer, 3 additional records
  # 12: answer name _sip._udp.local ("_sip" at 12, "_udp" at 17, "local" at 22)
  04 5f736970 04 5f756470 05 6c6f63616c 00
  000c 0001 00001194 000b         # PTR, IN (shared: no cache-flush), TTL 4500, rdlength 11
  08 4d792050686f6e65 c00c        # 39: "My Phone" + pointer to 12
  c027                            # 50: SRV name: pointer to 39
  0021 8001 00000078 000e         # SRV, IN + cache-flush, TTL 120, rdlength 14
  0000 0000 13c4                  # priority 0, weight 0, port 5060
  05 70686f6e65 c016              # 68: "phone" + pointer to "local" at 22
  c027                            # 76: TXT name: pointer to 39
  0010 8001 00001194 000a         # TXT, IN + cache-flush, TTL 4500, rdlength 10
  09 747874766572733d31           # "txtvers=1"
  c044                            # 98: A name: pointer to "phone" at 68
  0001 8001 00000078 0004         # A, IN + cache-flush, TTL 120, rdlength 4
  c0000207                        # 192.0.2.7
`);

/** SAMPLE_RESPONSE as a message. */
export const SAMPLE_RESPONSE_MESSAGE: DnsMessage = {
  id: 0,
  flags: MDNS_RESPONSE_FLAGS,
  questions: [],
  answers: [record(SERVICE, { type: 12, target: INSTANCE }, 4500)],
  authorities: [],
  additionals: [
    record(INSTANCE, { type: 33, priority: 0, weight: 0, port: 5060, target: HOST }, 120, true),
    record(INSTANCE, { type: 16, strings: [ascii("txtvers=1")] }, 4500, true),
    record(HOST, { type: 1, address: "192.0.2.7" }, 120, true),
  ],
};

/**
 * RFC 1035 section 4.1.4's compression example at its offsets: F.ISI.ARPA at 20, FOO.F.ISI.ARPA
 * at 40 as FOO and a pointer to 20, ARPA at 64 as a pointer to 26, the root at 92.
 */
export function rfc1035CompressionExample(): Uint8Array {
  const bytes = new Uint8Array(93);
  bytes.set(hex("01 46 03 495349 04 41525041 00"), 20);
  bytes.set(hex("03 464f4f c014"), 40);
  bytes.set(hex("c01a"), 64);
  bytes[92] = 0;
  return bytes;
}

/** A message of just a header and the given body (counts as given). */
export function message(counts: [number, number, number, number], body: string): Uint8Array {
  const header = new Uint8Array(12);
  header[2] = 0x84;
  for (let i = 0; i < 4; i++) {
    header[4 + 2 * i] = counts[i]! >>> 8;
    header[5 + 2 * i] = counts[i]! & 0xff;
  }
  const rest = hex(body);
  const out = new Uint8Array(12 + rest.length);
  out.set(header);
  out.set(rest, 12);
  return out;
}

// The SIP codec benchmark: messages per second and microseconds per message for parsing (with the
// checks parseSipMessage() always runs, and without them), parsing plus the structured reads a
// proxy makes on every message, and serializing, for a typical INVITE and REGISTER; and heap bytes
// allocated per message, from Deno.memoryUsage() around small batches (no GC expected inside one;
// the median of several batches). Prints figures; asserts nothing.
import { parseSipMessage } from "../../src/codec/sip/parse_sip_message.ts";
import { serializeSipMessage } from "../../src/codec/sip/serialize_sip_message.ts";
import { getParam } from "../../src/codec/sip/header_params.ts";
import { heapBytesPerCall } from "./bench_measure.ts";
import { perSecond } from "./bench_overlay.ts";

const SDP = "v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.101\r\ns=-\r\n" +
  "c=IN IP4 192.0.2.101\r\nt=0 0\r\nm=audio 49172 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

/** A typical INVITE from a phone through one proxy (RFC 3665 style), with SDP. */
export const SAMPLE_INVITE = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n" +
  "Via: SIP/2.0/UDP proxy.atlanta.example.com:5060;branch=z9hG4bK2d4790.1\r\n" +
  "Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK74bf9;received=192.0.2.101;rport=5060\r\n" +
  "Max-Forwards: 69\r\n" +
  "Record-Route: <sip:proxy.atlanta.example.com;lr>\r\n" +
  'From: "Alice" <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n' +
  "To: Bob <sip:bob@biloxi.example.com>\r\n" +
  "Call-ID: 3848276298220188511@atlanta.example.com\r\n" +
  "CSeq: 1 INVITE\r\n" +
  "Contact: <sip:alice@192.0.2.101:5060;transport=udp>\r\n" +
  "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REFER, NOTIFY\r\n" +
  "Supported: replaces, timer\r\n" +
  "User-Agent: Phone/1.0\r\n" +
  "Content-Type: application/sdp\r\n" +
  `Content-Length: ${SDP.length}\r\n\r\n${SDP}`;

/** A typical REGISTER with digest credentials. */
export const SAMPLE_REGISTER = "REGISTER sip:example.com SIP/2.0\r\n" +
  "Via: SIP/2.0/UDP 192.0.2.55:5060;rport;branch=z9hG4bKnashds7\r\n" +
  "Max-Forwards: 70\r\n" +
  "From: <sip:alice@example.com>;tag=a73kszlfl\r\n" +
  "To: <sip:alice@example.com>\r\n" +
  "Call-ID: 1j9FpLxk3uxtm8tn@192.0.2.55\r\n" +
  "CSeq: 2 REGISTER\r\n" +
  'Contact: <sip:alice@192.0.2.55:5060;ob>;expires=3600;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"\r\n' +
  'Authorization: Digest username="alice", realm="example.com", nonce="ea9c8e88df84f1cec4341ae6cbe5a359", uri="sip:example.com", response="dfe56131d1958046689d83306477ecc", algorithm=MD5\r\n' +
  "Expires: 3600\r\n" +
  "User-Agent: Phone/1.0\r\n" +
  "Content-Length: 0\r\n\r\n";

export interface SipBenchRow {
  message: string;
  bytes: number;
  operation: string;
  perSec: number;
  usPerMessage: number;
  /** Heap bytes allocated per message, or undefined where Deno.memoryUsage() is missing. */
  allocatedBytes: number | undefined;
}

/** Runs the SIP codec benchmark (about 2 s). */
export function benchSipCodec(): SipBenchRow[] {
  const rows: SipBenchRow[] = [];
  for (const [name, text] of [["INVITE", SAMPLE_INVITE], ["REGISTER", SAMPLE_REGISTER]] as const) {
    const bytes = new TextEncoder().encode(text);
    const parsed = parseSipMessage(bytes);
    const operations: [string, () => unknown][] = [
      ["parse (framing only, validate: false)", () => parseSipMessage(bytes, { validate: false })],
      ["parse (default checks: Via, From, To, CSeq, ...)", () => parseSipMessage(bytes)],
      ["parse + proxy reads (branch, tags, CSeq, Call-ID, Max-Forwards)", () => {
        const m = parseSipMessage(bytes);
        return [
          m.topVia().branch,
          getParam(m.from().params, "tag"),
          getParam(m.to().params, "tag"),
          m.cseq().seq,
          m.callId(),
          m.maxForwards(),
        ];
      }],
      ["serialize (parsed message)", () => serializeSipMessage(parsed)],
    ];
    for (const [operation, fn] of operations) {
      const perSec = perSecond(fn, 300);
      rows.push({
        message: name,
        bytes: bytes.length,
        operation,
        perSec,
        usPerMessage: 1e6 / perSec,
        allocatedBytes: heapBytesPerCall(fn, 100),
      });
    }
  }
  return rows;
}

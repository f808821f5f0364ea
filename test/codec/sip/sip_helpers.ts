// Shared by the SIP codec tests: sample messages and a way to catch a SipParseError.
import { SipParseError } from "../../../src/codec/sip/sip_errors.ts";

export const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
export const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** The SipParseError `fn` throws; fails the test when it throws nothing or something else. */
export function refusal(fn: () => unknown): SipParseError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SipParseError) return error;
    throw error;
  }
  throw new Error("expected a SipParseError");
}

const SDP = "v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.101\r\ns=-\r\n" +
  "c=IN IP4 192.0.2.101\r\nt=0 0\r\nm=audio 49172 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

/** A typical INVITE from a phone through one proxy (RFC 3665 style), with SDP. */
export const INVITE = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n" +
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
export const REGISTER = "REGISTER sip:example.com SIP/2.0\r\n" +
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

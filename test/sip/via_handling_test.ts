import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseSipMessage, parseVia } from "../../src/codec/sip/mod.ts";
import { responseDestination, stampReceived } from "../../src/sip/via_handling.ts";

const encoder = new TextEncoder();
function request(via: string) {
  return parseSipMessage(encoder.encode([
    "OPTIONS sip:mesh.example SIP/2.0",
    `Via: ${via}`,
    "Via: SIP/2.0/UDP 203.0.113.1;branch=z9hG4bKfar",
    "To: <sip:mesh.example>",
    "From: <sip:a@mesh.example>;tag=1",
    "Call-ID: c1",
    "CSeq: 1 OPTIONS",
    "Content-Length: 0",
    "",
    "",
  ].join("\r\n")));
}
const UDP = { transport: "UDP", host: "198.51.100.7", port: 40123, reliable: false } as const;

test("stampReceived() adds received when sent-by is not the source (RFC 3261 18.2.1)", () => {
  const message = request("SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK1");
  const via = stampReceived(message, { host: "198.51.100.7", port: 40123 });
  assert.is(via.received, "198.51.100.7");
  assert.is(via.rport, undefined);
  assert.is(message.topVia().received, "198.51.100.7");
  assert.is(message.via().length, 2, "the second Via is kept");
  assert.is(message.via()[1]!.branch, "z9hG4bKfar");
});

test("stampReceived() fills an empty rport and adds received even from the sent-by host (RFC 3581)", () => {
  const message = request("SIP/2.0/UDP 198.51.100.7:5060;rport;branch=z9hG4bK2");
  const via = stampReceived(message, { host: "198.51.100.7", port: 40123 });
  assert.is(via.rport, 40123);
  assert.is(via.received, "198.51.100.7");
  assert.is(via.branch, "z9hG4bK2");
});

test("stampReceived() leaves a Via alone when sent-by is the source, IPv6 brackets included", () => {
  const message = request("SIP/2.0/UDP [2001:db8::7]:5060;branch=z9hG4bK3");
  const before = message.headers.get("via");
  stampReceived(message, { host: "2001:db8::7", port: 5060 });
  assert.is(message.headers.get("via"), before);
});

test("responseDestination() follows rport, received and the sent-by port (RFC 3261 18.2.2)", () => {
  const withRport = parseVia("SIP/2.0/UDP 10.0.0.5:5070;rport=40123;received=198.51.100.7");
  assert.equal(responseDestination(withRport, UDP), { ...UDP, port: 40123 });
  const received = parseVia("SIP/2.0/UDP 10.0.0.5:5070;received=198.51.100.7");
  assert.equal(responseDestination(received, UDP), { ...UDP, port: 5070 });
  const plain = parseVia("SIP/2.0/UDP 198.51.100.9");
  assert.equal(responseDestination(plain, UDP), { ...UDP, host: "198.51.100.9", port: 5060 });
  const tcp = {
    transport: "TCP",
    host: "198.51.100.7",
    port: 50000,
    reliable: true,
    flow: "tcp:4",
  };
  assert.equal(responseDestination(received, tcp), tcp, "a stream answers over its connection");
});

test.run();

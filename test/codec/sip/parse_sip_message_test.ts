import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  isCrlfKeepAlive,
  isSipMessage,
  parseSipMessage,
} from "../../../src/codec/sip/parse_sip_message.ts";
import { encode, INVITE, refusal, REGISTER } from "./sip_helpers.ts";

const MINIMAL = "OPTIONS sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n" +
  "From: <sip:a@example.com>;tag=1\r\nTo: <sip:example.com>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\n";

test("parseSipMessage() reads a typical INVITE: start line, ordered headers, lists, body", () => {
  const m = parseSipMessage(encode(INVITE));
  assert.ok(m.isRequest);
  assert.is(m.method, "INVITE");
  assert.is(m.uri, "sip:bob@biloxi.example.com");
  assert.is(m.headers.length, 14);
  assert.is(m.headers.name(0), "Via");
  assert.is(m.via().length, 2);
  assert.is(m.via()[1]!.rport, 5060);
  assert.is(m.via()[1]!.received, "192.0.2.101");
  assert.is(m.headers.values("allow")!.length, 7);
  assert.is(m.recordRoutes()[0]!.uri, "sip:proxy.atlanta.example.com;lr");
  assert.is(new TextDecoder().decode(m.body).slice(0, 4), "v=0\r");
});

test("parseSipMessage() reads a REGISTER: Contact params with quoted <>, Expires, rport flag", () => {
  const m = parseSipMessage(encode(REGISTER));
  const contacts = m.contacts();
  assert.ok(contacts !== "*");
  assert.is(contacts[0]!.params[1]!.value, '"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"');
  assert.is(m.expires(), 3600);
  assert.is(m.topVia().rport, null);
  // Authorization is not a list: its commas stay inside the one value.
  assert.is(m.headers.values("authorization")!.length, 1);
});

test("parseSipMessage() unfolds continuation lines and skips leading CRLFs", () => {
  const m = parseSipMessage(encode(`\r\n\r\n${MINIMAL}Subject: one\r\n\t two\r\n  three\r\n\r\n`));
  assert.is(m.headers.get("subject"), "one two three");
});

test("parseSipMessage() takes the rest of a datagram as body without Content-Length", () => {
  const m = parseSipMessage(encode(`${MINIMAL}\r\nbody bytes`));
  assert.is(new TextDecoder().decode(m.body), "body bytes");
});

test("parseSipMessage() copies the body: the input buffer may be reused", () => {
  const bytes = encode(`${MINIMAL}Content-Length: 4\r\n\r\nabcd`);
  const m = parseSipMessage(bytes);
  bytes.fill(0);
  assert.is(new TextDecoder().decode(m.body), "abcd");
});

test("parseSipMessage() enforces its limits before reading further", () => {
  const big = encode(`${MINIMAL}\r\n${"x".repeat(100)}`);
  assert.is(refusal(() => parseSipMessage(big, { maxMessageBytes: 100 })).reason, "TOO_LARGE");
  assert.is(refusal(() => parseSipMessage(big, { maxMessageBytes: 100 })).status, 513);
  const many = `${MINIMAL}${"X-A: 1\r\n".repeat(10)}\r\n`;
  assert.is(refusal(() => parseSipMessage(encode(many), { maxHeaders: 12 })).reason, "TOO_LARGE");
  parseSipMessage(encode(many), { maxHeaders: 16 });
  const long = `${MINIMAL}X-Long: ${"y".repeat(200)}\r\n\r\n`;
  const error = refusal(() => parseSipMessage(encode(long), { maxLineBytes: 100 }));
  assert.is(error.place, "header 6");
  const folded = `${MINIMAL}X-Long: ${"y\r\n ".repeat(60)}y\r\n\r\n`;
  assert.is(
    refusal(() => parseSipMessage(encode(folded), { maxLineBytes: 100 })).reason,
    "TOO_LARGE",
  );
});

test("parseSipMessage() refuses bare LF, missing empty line, non-UTF-8 headers, nameless lines", () => {
  assert.is(
    refusal(() => parseSipMessage(encode(MINIMAL.replace("\r\nTo", "\nTo") + "\r\n"))).reason,
    "HEADER",
  );
  assert.is(refusal(() => parseSipMessage(encode(MINIMAL))).reason, "HEADER");
  const latin1 = encode(`${MINIMAL}Subject: caf\u00e9\r\n\r\n`);
  parseSipMessage(latin1);
  const broken = Uint8Array.from([...encode(`${MINIMAL}Subject: caf`), 0xe9, 13, 10, 13, 10]);
  assert.is(refusal(() => parseSipMessage(broken)).reason, "HEADER");
  assert.is(
    refusal(() => parseSipMessage(encode(`${MINIMAL}no colon here\r\n\r\n`))).reason,
    "HEADER",
  );
  assert.is(refusal(() => parseSipMessage(encode(`${MINIMAL}: empty\r\n\r\n`))).reason, "HEADER");
});

test("parseSipMessage() refuses bad status lines and accepts an empty reason", () => {
  const tail = MINIMAL.slice(MINIMAL.indexOf("\r\n")) + "\r\n";
  assert.is(parseSipMessage(encode(`SIP/2.0 180 Ringing${tail}`)).reason, "Ringing");
  assert.is(parseSipMessage(encode(`SIP/2.0 200${tail}`)).reason, "");
  for (const line of ["SIP/2.0 099 Low", "SIP/2.0 700 High", "SIP/2.0 20 OK", "SIP/2.0 2000 OK"]) {
    assert.is(refusal(() => parseSipMessage(encode(line + tail))).reason, "START_LINE", line);
  }
  assert.is(refusal(() => parseSipMessage(encode(`SIP/3.0 200 OK${tail}`))).status, 505);
  assert.is(
    refusal(() => parseSipMessage(encode(`INVITE sip:a@b SIP/2.0x${tail}`))).reason,
    "START_LINE",
  );
});

test("parseSipMessage() with validate: false keeps a message without mandatory headers", () => {
  const m = parseSipMessage(encode("OPTIONS sip:a@b SIP/2.0\r\n\r\n"), { validate: false });
  assert.is(m.headers.length, 0);
  assert.is(refusal(() => m.topVia()).reason, "MISSING_HEADER");
});

test("parseSipMessage() refuses a Request-URI with a control character or other white space", () => {
  // Regression (fuzzing the hand-transcribed RFC 4475 corpus): "sip:user@example.co\v" parsed,
  // then serializeSipMessage() threw TypeError on it, so a proxy could not forward what it took.
  for (const bad of ["\v", "\f", "\x7f", "\x01", "\u00a0", "\u2028"]) {
    const bytes = encode(MINIMAL.replace("sip:example.com", `sip:user@exam${bad}ple.com`) + "\r\n");
    const error = refusal(() => parseSipMessage(bytes, { validate: false }));
    assert.is(error.reason, "START_LINE", JSON.stringify(bad));
  }
  assert.is(parseSipMessage(encode(MINIMAL + "\r\n")).uri, "sip:example.com");
});

test("isSipMessage() and isCrlfKeepAlive() tell SIP from STUN and keep-alives", () => {
  assert.ok(isSipMessage(encode("INVITE ")));
  assert.not.ok(isSipMessage(Uint8Array.of(0, 1, 0, 0)));
  assert.not.ok(isSipMessage(encode("\r\n\r\n")));
  assert.ok(isCrlfKeepAlive(encode("\r\n\r\n")));
  assert.ok(isCrlfKeepAlive(encode("\r\n")));
  assert.not.ok(isCrlfKeepAlive(encode("\r\nX")));
  assert.not.ok(isCrlfKeepAlive(new Uint8Array(0)));
});

test.run();

import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseSipMessage } from "../../../src/codec/sip/parse_sip_message.ts";
import { serializeSipMessage } from "../../../src/codec/sip/serialize_sip_message.ts";
import { SipHeaders } from "../../../src/codec/sip/sip_headers.ts";
import { SipMessage } from "../../../src/codec/sip/sip_message.ts";
import { decode, encode, INVITE, REGISTER, thrown } from "./sip_helpers.ts";

test("serializeSipMessage() writes a parsed typical message back byte for byte", () => {
  for (const text of [INVITE, REGISTER]) {
    assert.is(decode(serializeSipMessage(parseSipMessage(encode(text)))), text);
  }
});

test("serializeSipMessage() canonicalises names and rewrites Content-Length from the body", () => {
  const m = parseSipMessage(encode(
    "OPTIONS sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1\r\nf: <sip:a@b>;tag=1\r\n" +
      "t: <sip:b@b>\r\ni: c1\r\nCSEQ: 1 OPTIONS\r\nx-Custom: y\r\nl: 3\r\nSubject: a\r\n  b\r\n\r\nabc",
  ));
  m.body = encode("hello");
  assert.is(
    decode(serializeSipMessage(m)),
    "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\n" +
      "To: <sip:b@b>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nx-Custom: y\r\nSubject: a b\r\n" +
      "Content-Length: 5\r\n\r\nhello",
  );
});

test("serializeSipMessage() encodes UTF-8 values and keeps binary bodies", () => {
  const body = Uint8Array.of(0, 255, 13, 10);
  const m = SipMessage.response({
    status: 200,
    reason: "\u00c7a marche",
    headers: [["Subject", "\u5927"]],
    body,
  });
  const bytes = serializeSipMessage(m);
  const text = decode(bytes.subarray(0, bytes.length - 4));
  assert.ok(text.startsWith("SIP/2.0 200 \u00c7a marche\r\nSubject: \u5927\r\nContent-Length: 4"));
  assert.equal([...bytes.subarray(bytes.length - 4)], [0, 255, 13, 10]);
});

test("serializeSipMessage() refuses header injection and malformed start lines", () => {
  const ok = () => SipMessage.request({ method: "OPTIONS", uri: "sip:a@b" });
  const injected = ok();
  injected.headers.append("Subject", "x\r\nVia: evil");
  assert.instance(thrown(() => serializeSipMessage(injected)), TypeError);
  const badName = ok();
  badName.headers.append("Bad Name", "x");
  assert.instance(thrown(() => serializeSipMessage(badName)), TypeError);
  assert.instance(
    thrown(() => serializeSipMessage(SipMessage.request({ method: "IN VITE", uri: "sip:a@b" }))),
    TypeError,
  );
  assert.instance(
    thrown(() => serializeSipMessage(SipMessage.request({ method: "INVITE", uri: "sip:a b" }))),
    TypeError,
  );
  assert.instance(
    thrown(() => serializeSipMessage(SipMessage.response({ status: 1000, reason: "x" }))),
    TypeError,
  );
  assert.instance(
    thrown(() => serializeSipMessage(SipMessage.response({ status: 200, reason: "a\nb" }))),
    TypeError,
  );
});

test("SipHeaders: prepend, set, remove, shift keep order and invalidate cached parses", () => {
  const m = parseSipMessage(encode(INVITE));
  assert.is(m.topVia().host, "proxy.atlanta.example.com");
  m.headers.prepend("v", "SIP/2.0/TCP me.example.com;branch=z9hG4bKme");
  assert.is(m.topVia().host, "me.example.com");
  assert.is(m.headers.name(0), "v");
  assert.is(m.headers.shift("Via"), "SIP/2.0/TCP me.example.com;branch=z9hG4bKme");
  assert.is(m.topVia().host, "proxy.atlanta.example.com");
  m.headers.set("max-forwards", "68");
  assert.is(m.maxForwards(), 68);
  assert.is(m.headers.count("Max-Forwards"), 1);
  const h = new SipHeaders([["Route", "<sip:a;lr>, <sip:b;lr>"], ["Route", "<sip:c;lr>"]]);
  assert.is(h.shift("route"), "<sip:a;lr>");
  assert.equal(h.values("route"), ["<sip:b;lr>", "<sip:c;lr>"]);
  assert.is(h.remove("ROUTE"), 2);
  assert.is(h.length, 0);
  assert.is(h.shift("route"), undefined);
});

test.run();

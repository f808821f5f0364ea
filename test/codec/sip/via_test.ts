import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseCSeq } from "../../../src/codec/sip/cseq.ts";
import {
  parseCallId,
  parseContentLength,
  parseDeltaSeconds,
  parseMaxForwards,
} from "../../../src/codec/sip/scalar_headers.ts";
import { hasRfc3261Branch, parseVia, serializeVia } from "../../../src/codec/sip/via.ts";
import { refusal } from "./sip_helpers.ts";

test("parseVia() reads sent-protocol with SWS, sent-by, and the well-known parameters", () => {
  const via = parseVia(
    "SIP / 2.0 / tls [2001:db8::9]:5061 ;branch=z9hG4bKx;received=2001:db8::1;rport=5061;maddr=239.1.1.1;ttl=16",
  );
  assert.is(via.protocol, "SIP/2.0");
  assert.is(via.transport, "TLS");
  assert.is(via.host, "[2001:db8::9]");
  assert.is(via.port, 5061);
  assert.is(via.branch, "z9hG4bKx");
  assert.is(via.received, "2001:db8::1");
  assert.is(via.rport, 5061);
  assert.is(via.maddr, "239.1.1.1");
  assert.is(via.ttl, 16);
  assert.ok(hasRfc3261Branch(via));
  assert.is(parseVia("SIP/2.0/UDP host;rport").rport, null);
  assert.is(parseVia("SIP/2.0/UDP host").rport, undefined);
});

test("parseVia() refuses malformed values", () => {
  for (
    const bad of [
      "SIP/2.0 host",
      "SIP/2.0/UDPhost",
      "SIP/2.0/UDP",
      "SIP/2.0/UDP host:70000",
      "SIP/2.0/UDP host;;branch=x",
      "SIP/2.0/UDP host;branch",
      "SIP/2.0/UDP host;received=host.example.com",
      "SIP/2.0/UDP host;rport=x",
      "SIP/2.0/UDP host;ttl=256",
      "SIP/2.0/UDP [::1",
      "SIP/2.0/UDP h@st",
    ]
  ) {
    assert.is(refusal(() => parseVia(bad)).reason, "VALUE", bad);
  }
});

test("serializeVia() writes the canonical form, which parses back", () => {
  const via = parseVia("SIP / 2.0 / udp host : 5060 ; branch = z9hG4bKx ; rport");
  assert.is(serializeVia(via), "SIP/2.0/UDP host:5060;branch=z9hG4bKx;rport");
  assert.equal(parseVia(serializeVia(via)), via);
});

test("parseCSeq() reads number and method; refuses 2**31 and junk", () => {
  assert.equal(parseCSeq("2147483647 REGISTER"), { seq: 2147483647, method: "REGISTER" });
  for (const bad of ["2147483648 INVITE", "INVITE", "1INVITE", "1 ", "-1 INVITE", "1 IN VITE"]) {
    assert.is(refusal(() => parseCSeq(bad)).reason, "VALUE", bad);
  }
});

test("scalar header parsers: Content-Length, Max-Forwards, delta-seconds, Call-ID", () => {
  assert.is(parseContentLength("0"), 0);
  assert.is(refusal(() => parseContentLength("1 2")).reason, "CONTENT_LENGTH");
  assert.is(refusal(() => parseContentLength("1234567890")).reason, "CONTENT_LENGTH");
  assert.is(parseMaxForwards("0068"), 68);
  assert.is(parseMaxForwards("0"), 0);
  assert.is(refusal(() => parseMaxForwards("256")).reason, "VALUE");
  assert.is(refusal(() => parseMaxForwards("")).reason, "VALUE");
  assert.is(parseDeltaSeconds("007"), 7);
  assert.is(parseDeltaSeconds("99999999999999999999"), 0xffff_ffff);
  assert.is(refusal(() => parseDeltaSeconds("-1")).reason, "VALUE");
  assert.is(parseCallId("a@b"), "a@b");
  for (const bad of ["", "a@", "@b", "a b", "a@b@c"]) {
    assert.is(refusal(() => parseCallId(bad)).reason, "VALUE", bad);
  }
});

test.run();

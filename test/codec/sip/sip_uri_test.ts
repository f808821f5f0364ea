import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  parseSipUri,
  serializeSipUri,
  type SipUri,
  uriScheme,
} from "../../../src/codec/sip/sip_uri.ts";
import { refusal } from "./sip_helpers.ts";

const sip = (text: string) => parseSipUri(text) as SipUri;

test("parseSipUri() splits user, password, host, port, params and headers", () => {
  const uri = sip(
    "sips:alice:secret@atlanta.example.com:5061;transport=tcp;lr?subject=project%20x&priority=urgent",
  );
  assert.equal(uri, {
    scheme: "sips",
    user: "alice",
    password: "secret",
    host: "atlanta.example.com",
    port: 5061,
    params: [{ name: "transport", value: "tcp" }, { name: "lr", value: undefined }],
    headers: [{ name: "subject", value: "project x" }, { name: "priority", value: "urgent" }],
  });
});

test("parseSipUri() reads IPv4 and IPv6 references, with and without port", () => {
  assert.is(sip("sip:192.0.2.4").host, "192.0.2.4");
  assert.equal([sip("sip:u@[2001:db8::10]:5070").host, sip("sip:u@[2001:db8::10]:5070").port], [
    "[2001:db8::10]",
    5070,
  ]);
  assert.is(sip("sip:[::ffff:192.0.2.1];lr").host, "[::ffff:192.0.2.1]");
});

test("parseSipUri() refuses bad hosts, ports, escapes and characters", () => {
  for (
    const bad of [
      "sip:u@[2001:db8::10",
      "sip:u@[2001:db8:::10]",
      "sip:u@exa mple.com",
      "sip:u@host:99999",
      "sip:u@host:",
      "sip:u@-host.com",
      "sip:u@192.0.2.256",
      "sip:%zz@host",
      "sip:u@host;p=%4",
      "sip:u<x@host",
      "sip:@host",
      "sip:u@host;;x",
      "sip:u@host?noequals",
      "tel:abc",
      "tel:5551234",
    ]
  ) {
    assert.is(refusal(() => parseSipUri(bad)).reason, "URI", bad);
  }
  assert.is(refusal(() => parseSipUri("http://example.com")).reason, "URI_SCHEME");
  assert.is(refusal(() => parseSipUri("no-scheme")).reason, "URI");
});

test("parseSipUri() reads tel URIs (RFC 3966): global, or local with phone-context", () => {
  assert.equal(parseSipUri("tel:+1-201-555-0123;ext=1234"), {
    scheme: "tel",
    number: "+1-201-555-0123",
    params: [{ name: "ext", value: "1234" }],
  });
  assert.is(parseSipUri("tel:7042;phone-context=example.com").scheme, "tel");
});

test("serializeSipUri() escapes what each part needs and parses back to the same value", () => {
  const uri = sip("sip:I%20have%20spaces@example.net;n%61me=v%61lue%25;lr?h=%3Csip:x%3E");
  assert.is(
    serializeSipUri(uri),
    "sip:I%20have%20spaces@example.net;name=value%25;lr?h=%3Csip:x%3E",
  );
  for (
    const text of [
      "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
      "sip:%00%00@host5.example.com",
      "sip:caf%C3%A9@example.com",
      "sip:%FF@example.com",
      "sips:u@[::1]:5061;maddr=239.255.255.1",
      "tel:+15551234;phone-context=+1",
    ]
  ) {
    const parsed = parseSipUri(text);
    assert.equal(parseSipUri(serializeSipUri(parsed)), parsed, text);
  }
  assert.is(sip("sip:caf%C3%A9@example.com").user, "caf\u00e9");
  assert.is(serializeSipUri(sip("sip:%FF@example.com")), "sip:%FF@example.com");
});

test("uriScheme() returns the lower-cased scheme or undefined", () => {
  assert.is(uriScheme("SIP:a@b"), "sip");
  assert.is(uriScheme("soap.beep://192.0.2.103:3002"), "soap.beep");
  assert.is(uriScheme("1sip:a"), undefined);
  assert.is(uriScheme("sip"), undefined);
});

test.run();
